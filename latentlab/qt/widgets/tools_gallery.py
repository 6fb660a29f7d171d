"""The selection as a gallery: thumbnails (or document snippets) of the selected items."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from latentlab.core.data.text import document_snippet
from latentlab.lab.latent_lab import LatentLab
from latentlab.lab.tools import NEIGHBOURS
from latentlab.qt.widgets.image_tile import to_qimage

#: Items shown at most; the rest are counted.
GALLERY_MAX = 200
THUMB_PX = 56
SNIPPET_CHARS = 160


class SelectionGallery(QWidget):
    """Observes the selection; double-click an item to select it alone."""

    def __init__(self, lab: LatentLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        tools = lab.tools
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.list = QListWidget()
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.list.itemDoubleClicked.connect(self._select_alone)
        self.latent_button = QPushButton("Neighbours in latent space")
        self.latent_button.setToolTip(
            f"Select the {NEIGHBOURS} items nearest the first selected item (or the item nearest "
            "the latent probe) among the model's codes")
        self.latent_button.clicked.connect(lambda: tools.nearest_neighbours("latent"))
        self.input_button = QPushButton("… in input space")
        self.input_button.setToolTip(
            f"Select the {NEIGHBOURS} items nearest the first selected item (or the item nearest "
            "the latent probe) in pixel (or word) space")
        self.input_button.clicked.connect(lambda: tools.nearest_neighbours("input"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.latent_button)
        buttons.addWidget(self.input_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.header)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self._shown = np.zeros(0, dtype=np.int64)  # map positions, in list order
        lab.selection.changed.connect(self.refresh)
        lab.data.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        dataset = self.lab.data.dataset
        self.list.clear()
        selection = self.lab.selection.items
        self._shown = selection[:GALLERY_MAX]
        if dataset is None or len(selection) == 0:
            self.header.setText("Nothing selected. Draw a box or a lasso on a map (B, L), or "
                                "find an item's nearest neighbours.")
            return
        more = len(selection) - len(self._shown)
        text = f"<b>{len(selection):,} selected</b>"
        if more:
            text += f" · showing the first {len(self._shown)}, {more:,} more"
        self.header.setText(text + " · double-click one to select it alone")
        text_mode = dataset.kind == "text"
        self.list.setAlternatingRowColors(text_mode)
        if text_mode:
            self.list.setViewMode(QListView.ViewMode.ListMode)
            self.list.setWordWrap(True)
            self.list.setSpacing(2)
            self.list.setGridSize(QSize())
            self.list.setIconSize(QSize())
        else:
            self.list.setViewMode(QListView.ViewMode.IconMode)
            self.list.setSpacing(0)
            self.list.setIconSize(QSize(THUMB_PX, THUMB_PX))
            self.list.setGridSize(QSize(THUMB_PX + 8, THUMB_PX + 22))
            self.list.setResizeMode(QListView.ResizeMode.Adjust)
            self.list.setMovement(QListView.Movement.Static)
        for position in self._shown:
            item = int(self.lab.data.map_indices[position])
            label = ("" if dataset.labels is None
                     else dataset.class_names[int(dataset.labels[item])])
            split = "test" if dataset.is_test[item] else "train"
            tip = f"#{item} · {split}" + (f" · {label}" if label else "")
            if text_mode:
                snippet = " ".join(document_snippet(dataset, item).split())
                if len(snippet) > SNIPPET_CHARS:
                    snippet = snippet[:SNIPPET_CHARS].rstrip() + " …"
                entry = QListWidgetItem(f"#{item} {('[' + label + '] ') if label else ''}"
                                        f"{snippet}")
            else:
                pixmap = QPixmap.fromImage(to_qimage(dataset.images(item))).scaled(
                    THUMB_PX, THUMB_PX, Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.FastTransformation)
                entry = QListWidgetItem(QIcon(pixmap), label or f"#{item}")
            entry.setToolTip(tip)
            entry.setData(Qt.ItemDataRole.UserRole, int(position))
            self.list.addItem(entry)

    def _select_alone(self, entry: QListWidgetItem) -> None:
        self.lab.selection.select(np.array([entry.data(Qt.ItemDataRole.UserRole)]))
