"""Redraw at most every so often: views coalesce bursts of state changes into one repaint.

Painting pyqtgraph items runs Python on the GUI thread and so competes with the training thread
for the GIL; a view that redraws on every event slows training for nothing the eye can see.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


class Throttle(QObject):
    """Call ``fn`` now if it has not run for ``interval_ms``, else once when the interval ends."""

    def __init__(self, fn: Callable[[], None], interval_ms: int, parent: QObject | None = None):
        super().__init__(parent)
        self._fn = fn
        self._interval_s = interval_ms / 1000
        self._last = -float("inf")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._fire)

    def __call__(self) -> None:
        if self._timer.isActive():
            return  # a trailing call is already booked; it will see the latest state
        wait = self._last + self._interval_s - time.perf_counter()
        if wait <= 0:
            self._fire()
        else:
            self._timer.start(int(wait * 1000) + 1)

    def flush(self) -> None:
        """Run a booked call now (e.g. when training ends, so the last state is drawn)."""
        if self._timer.isActive():
            self._timer.stop()
            self._fire()

    def _fire(self) -> None:
        self._last = time.perf_counter()
        self._fn()
