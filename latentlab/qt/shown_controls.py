"""Presentation mode shows only some of a workspace's controls, and gives every one back as it
was when presenting ends.

Each control id names the widgets (panels, docks, toolbars) it stands for. While some are
hidden, a widget that its workspace shows or hides by itself (the generator's code panel for a
GAN, the few-labels results when they arrive, the third map) is followed: what it asks for is
kept as its own state, which comes back at the end, and a control not chosen stays hidden.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QDockWidget, QWidget


class ShownControls(QObject):
    def __init__(self, controls: dict[str, list[QWidget]], others: list[QWidget],
                 parent: QObject | None = None) -> None:
        """``controls``: id → its widgets; ``others``: widgets that no id names, hidden
        whenever the controls are chosen."""
        super().__init__(parent)
        self.controls = controls
        self.others = others
        self.shown: tuple[str, ...] | None = None  # the ids chosen (None: all, untouched)
        #: Each widget's own hidden state, as its workspace last set it.
        self._own: dict[QWidget, bool] = {}
        self._raised: list[QDockWidget] = []  # the docks whose tab was in front
        self._applying = False
        self._pending = False

    def _widgets(self) -> list[QWidget]:
        return [*(w for ws in self.controls.values() for w in ws), *self.others]

    def show(self, ids: tuple[str, ...] | None) -> None:
        """Show only the controls ``ids``; None gives back every widget's own state."""
        if ids is None:
            self._restore()
            return
        if self.shown is None:
            widgets = self._widgets()
            self._own = {w: w.isHidden() for w in widgets}
            self._raised = [w for w in widgets if isinstance(w, QDockWidget)
                            and w.isVisible() and not w.visibleRegion().isEmpty()]
            for widget in widgets:
                widget.installEventFilter(self)
        self.shown = tuple(ids)
        self._apply()

    def _apply(self) -> None:
        self._pending = False
        if self.shown is None:
            return
        self._applying = True
        try:
            for key, widgets in self.controls.items():
                for widget in widgets:
                    widget.setHidden(self._own[widget] or key not in self.shown)
            for widget in self.others:
                widget.setHidden(True)
        finally:
            self._applying = False

    def _restore(self) -> None:
        if self.shown is None:
            return
        self.shown = None
        self._applying = True
        try:
            for widget, hidden in self._own.items():
                widget.removeEventFilter(self)
                widget.setHidden(hidden)
        finally:
            self._applying = False
        for dock in self._raised:
            if not dock.isHidden():
                dock.raise_()
        self._own, self._raised = {}, []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if (not self._applying and self.shown is not None and watched in self._own
                and kind in (QEvent.Type.Show, QEvent.Type.Hide)):
            # The workspace showed or hid it: that is its own state now. Hide it again on the
            # next pass if it is not chosen (not within its own show).
            assert isinstance(watched, QWidget)
            self._own[watched] = watched.isHidden()
            if not self._pending:
                self._pending = True
                QTimer.singleShot(0, self._apply)
        return False
