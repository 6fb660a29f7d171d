"""A plot's legend as a row of entries below it, wrapping to more rows where the plot is narrow:
it never covers the curves and is never cut at the plot's edge."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from latentlab.qt.widgets.flow_layout import FlowLayout

#: How each kind of entry is drawn: a line, a dot (held-out points), a dashed line with squares.
GLYPHS = {"line": "━━", "dot": "●", "dashed": "╍■╍"}


class CurveLegend(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row = FlowLayout(self, spacing=8, row_spacing=0)
        self.row.setContentsMargins(2, 0, 2, 0)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.entries: list[QLabel] = []

    def add(self, name: str, colour: str, glyph: str = "line") -> None:
        entry = QLabel(f'<span style="color:{colour}">{GLYPHS[glyph]}</span> '
                       f"{html.escape(name)}")
        entry.setObjectName("caption")
        self.row.addWidget(entry)
        self.entries.append(entry)
        self.updateGeometry()

    def names(self) -> list[str]:
        """The entries' names, as shown."""
        return [entry.text().split("</span> ", 1)[1] for entry in self.entries]

    def clear(self) -> None:
        for entry in self.entries:
            self.row.removeWidget(entry)
            entry.hide()
            entry.deleteLater()
        self.entries = []
        self.updateGeometry()
