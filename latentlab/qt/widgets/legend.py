"""The colour legend shared by all maps (they use the same colours): classes or categories. It
wraps to more rows rather than widen the window, and says when colours repeat."""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from latentlab.lab.latent_lab import LatentLab
from latentlab.qt.look import Look
from latentlab.qt.widgets.flow_layout import FlowLayout
from latentlab.qt.widgets.palette import class_colour, palette_colours

DOT_POINTS = 14  # a class's dot, at zoom 1.0


class ClassLegend(QWidget):
    def __init__(self, lab: LatentLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.look = Look()  # the window's zoom
        self.row = FlowLayout(self)
        self.row.setContentsMargins(4, 0, 4, 0)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.entries: list[QLabel] = []
        #: Says that colours repeat, when the classes outnumber them.
        self.repeat_note = QLabel()
        self.repeat_note.setObjectName("caption")
        lab.data.changed.connect(self._rebuild)
        lab.colouring.changed.connect(self._rebuild)

    def set_look(self, look: Look) -> None:
        """The dots at ``look``'s zoom (the names follow the application's font)."""
        if look.zoom != self.look.zoom:
            self.look = look
            self._rebuild()
        self.look = look

    def _rebuild(self) -> None:
        for entry in self.entries:
            self.row.removeWidget(entry)
            entry.hide()  # at once: deletion waits for the event loop's next full turn
            entry.deleteLater()
        self.entries = []
        self.row.removeWidget(self.repeat_note)
        self.repeat_note.hide()
        classes, names = self.lab.colouring.point_classes()
        if classes is None:
            self.updateGeometry()
            return
        palette = self.lab.colouring.palette
        counts = np.bincount(classes, minlength=len(names))
        for label, name in enumerate(names):
            colour = class_colour(label, palette).name()
            dot = f"{self.look.points(DOT_POINTS):g}pt"
            entry = QLabel(f'<span style="color:{colour}; font-size:{dot}">●</span> '
                           f"{html.escape(name)}")
            entry.setToolTip(f"{name}: {counts[label]:,} points on the maps")
            self.row.addWidget(entry)
            self.entries.append(entry)
        n_colours = len(palette_colours(palette))
        if len(names) > n_colours:
            self.repeat_note.setText(f"colours repeat after {n_colours} classes")
            self.row.addWidget(self.repeat_note)
            self.repeat_note.show()
        self.updateGeometry()
