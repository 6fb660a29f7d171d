"""A scroll area for a side form: it asks for no more than a set width, so a long form scrolls
(or its fields narrow) rather than take the maps' room."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QScrollArea, QWidget


class FormScroll(QScrollArea):
    def __init__(self, form: QWidget, width: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._width = width
        self.setWidget(form)
        self.setWidgetResizable(True)

    def set_width(self, width: int) -> None:
        """Ask for ``width`` from now on (presentation mode's zoom widens the lesson's text)."""
        self._width = width
        self.updateGeometry()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(min(hint.width(), self._width), hint.height())
