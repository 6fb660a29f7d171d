"""A one-line label that never widens its window: where its text does not fit it is cut with
"…", and the whole text is in its tooltip."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget

#: The narrowest a label asks to be: a few letters and the ellipsis.
MIN_CHARS = 6


class ElidedLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None,
                 tooltip: str = "") -> None:
        super().__init__(parent)
        self._full = ""
        self._tooltip = tooltip
        self.setTextFormat(Qt.TextFormat.PlainText)  # names of files and classes are not markup
        self.setText(text)

    def text(self) -> str:  # type: ignore[override]
        """The whole text, not the part shown."""
        return self._full

    def setText(self, text: str) -> None:  # type: ignore[override]
        self._full = text
        self._elide()
        self.updateGeometry()

    def setToolTip(self, tip: str) -> None:  # type: ignore[override]
        """A tooltip of its own, shown under the full text when the text is cut."""
        self._tooltip = tip
        self._elide()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        margins = self.contentsMargins()
        width = (self.fontMetrics().horizontalAdvance(self._full) + margins.left()
                 + margins.right() + 2 * self.margin())
        return QSize(width, hint.height())

    def minimumSizeHint(self) -> QSize:
        narrow = self.fontMetrics().horizontalAdvance("x" * MIN_CHARS + "…")
        return QSize(min(narrow, self.sizeHint().width()), super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def is_elided(self) -> bool:
        return super().text() != self._full

    def _elide(self) -> None:
        width = self.contentsRect().width() - 2 * self.margin()
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight,
                                              max(width, 0))
        super().setText(shown)
        cut = shown != self._full
        tips = [t for t in (self._full if cut else "", self._tooltip) if t]
        super().setToolTip("\n\n".join(tips))
