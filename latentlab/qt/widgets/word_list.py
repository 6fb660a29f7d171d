"""A decoded word distribution as a short ranked list with bars: the text counterpart of a tile."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

BAR_COLOUR = QColor(70, 130, 220, 110)


class WordList(QWidget):
    """Top words with their share of the decoded distribution, or a hint when there are none."""

    def __init__(self, hint: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hint = hint
        self.words: list[tuple[str, float]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(160, 10 * self.fontMetrics().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(100, 4 * self.fontMetrics().height())

    def set_words(self, words: list[tuple[str, float]]) -> None:
        self.words = list(words)
        self.update()

    def text(self) -> str:
        """The words as one line (for tooltips, tests and screen readers)."""
        return ", ".join(word for word, _ in self.words)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        if not self.words:
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.rect().adjusted(4, 4, -4, -4),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.hint)
            painter.end()
            return
        metrics = self.fontMetrics()
        row = max(metrics.height() + 2, min(self.height() // len(self.words), 2 * metrics.height()))
        share_width = metrics.horizontalAdvance("100%") + 6
        top = max(0, (self.height() - row * len(self.words)) // 2)
        largest = max(share for _, share in self.words) or 1.0
        bar_space = self.width() - share_width - 8
        for i, (word, share) in enumerate(self.words):
            y = top + i * row
            bar = QRectF(4, y + 1, max(1.0, bar_space * share / largest), row - 2)
            painter.fillRect(bar, BAR_COLOUR)
            painter.setPen(self.palette().text().color())
            painter.drawText(QRectF(8, y, bar_space - 4, row),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                             metrics.elidedText(word, Qt.TextElideMode.ElideRight,
                                                int(bar_space) - 8))
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(QRectF(self.width() - share_width - 4, y, share_width, row),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                             f"{share:.0%}")
        painter.end()
