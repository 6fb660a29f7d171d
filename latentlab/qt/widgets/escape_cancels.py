"""Escape cancels the work a widget shows, while there is some."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QWidget


class EscapeCancels(QObject):
    """While ``watch(True)`` and ``busy()``, Escape pressed anywhere in ``widget``'s window
    calls ``cancel``.

    Only while busy: Escape otherwise belongs to the window (it clears the selection). A key the
    focused widget does not take comes up to the window as a shortcut override; taking Escape
    there cancels the work instead of triggering the window's shortcut.
    """

    def __init__(self, widget: QWidget, busy: Callable[[], bool],
                 cancel: Callable[[], None]) -> None:
        super().__init__(widget)
        self._widget = widget
        self._busy = busy
        self._cancel = cancel
        self._watched: QWidget | None = None

    def watch(self, on: bool) -> None:
        window = self._widget.window() if on else None
        if window is self._watched:
            return
        if self._watched is not None:
            self._watched.removeEventFilter(self)
        self._watched = window
        if window is not None:
            window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Escape and self._busy()):
            event.accept()
            self._cancel()
            return True
        return super().eventFilter(watched, event)
