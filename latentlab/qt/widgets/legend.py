"""The colour legend shared by all maps (they use the same colours): classes or categories."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from latentlab.lab.latent_lab import LatentLab
from latentlab.qt.widgets.palette import class_colour


class ClassLegend(QWidget):
    def __init__(self, lab: LatentLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(4, 0, 4, 0)
        self.row.setSpacing(10)
        self.entries: list[QLabel] = []
        lab.data.changed.connect(self._rebuild)
        lab.colouring.changed.connect(self._rebuild)

    def _rebuild(self) -> None:
        for entry in self.entries:
            self.row.removeWidget(entry)
            entry.hide()  # at once: deletion waits for the event loop's next full turn
            entry.deleteLater()
        self.entries = []
        while self.row.count():
            self.row.takeAt(0)
        classes, names = self.lab.colouring.point_classes()
        if classes is None:
            return
        counts = np.bincount(classes, minlength=len(names))
        for label, name in enumerate(names):
            colour = class_colour(label, self.lab.colouring.palette).name()
            entry = QLabel(f'<span style="color:{colour}; font-size:14pt">●</span> {name}')
            entry.setToolTip(f"{name}: {counts[label]:,} points on the maps")
            self.row.addWidget(entry)
            self.entries.append(entry)
        self.row.addStretch(1)
