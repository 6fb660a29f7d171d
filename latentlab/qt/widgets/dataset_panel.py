"""The dataset panel: what is loaded — size, shape or vocabulary, classes, split, a look at it."""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from latentlab.core.data.dataset import Dataset
from latentlab.core.files.images import tile_images
from latentlab.lab.latent_lab import LatentLab
from latentlab.qt.widgets.image_tile import ImageTile
from latentlab.qt.widgets.palette import class_colour

#: The thumbnail grid: this many classes (rows), each with its first items (columns).
THUMB_CLASSES = 10
THUMB_COLUMNS = 8
SNIPPETS = 6
SNIPPET_CHARS = 140


def _dot(label: int) -> QIcon:
    """A small disc in the class's map colour."""
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(class_colour(label))
    painter.drawEllipse(1, 1, 10, 10)
    painter.end()
    return QIcon(pixmap)


def thumbnail_grid(dataset: Dataset) -> np.ndarray:
    """The first items of each class, one row per class (or the first items, unlabelled)."""
    if dataset.labels is None:
        chosen = [np.arange(min(dataset.n, THUMB_COLUMNS * 4))]
    else:
        chosen = [np.flatnonzero(dataset.labels == k)[:THUMB_COLUMNS]
                  for k in range(min(len(dataset.class_names), THUMB_CLASSES))]
    rows = [r for r in chosen if len(r)]
    cols = min(THUMB_COLUMNS, max(len(r) for r in rows))
    if dataset.labels is None:
        n = len(rows[0])
        return tile_images(dataset.images(rows[0]), -(-n // cols), cols)
    # Pad each class's row so that every row starts with its own class.
    images = np.ones((len(rows) * cols, *dataset.x.shape[1:]), np.float32)
    for r, items in enumerate(rows):
        images[r * cols : r * cols + len(items)] = dataset.images(items)
    return tile_images(images, len(rows), cols)


def snippets_html(dataset: Dataset) -> str:
    """The first documents (one per class first), each as its class and first words."""
    assert dataset.documents is not None
    if dataset.labels is None:
        items = list(range(min(SNIPPETS, dataset.n)))
    else:
        firsts = [np.flatnonzero(dataset.labels == k)[:1] for k in range(len(dataset.class_names))]
        items = [int(f[0]) for f in firsts if len(f)][:SNIPPETS]
    parts = []
    for item in items:
        text = " ".join(dataset.documents[item].split())
        if len(text) > SNIPPET_CHARS:
            text = text[:SNIPPET_CHARS].rstrip() + " …"
        tag = (f"<b>{html.escape(dataset.class_names[dataset.labels[item]])}</b> · "
               if dataset.labels is not None else f"<b>#{item}</b> · ")
        parts.append(f"<p style='margin:0 0 6px 0'>{tag}{html.escape(text) or '(empty)'}</p>")
    return "".join(parts)


class _GridTile(ImageTile):
    """An image tile as tall as its picture needs at the panel's width (no empty bands)."""

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        image = self.array
        if image is None:
            return self._min_side
        return max(self._min_side // 2, round(width * image.shape[1] / image.shape[2]))


class DatasetPanel(QWidget):
    """Observes ``lab.data.changed``; shows the dataset, never changes it."""

    def __init__(self, lab: LatentLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.name = QLabel()
        self.name.setObjectName("datasetName")
        self.name.setWordWrap(True)
        self.size_label = QLabel()
        self.shape_label = QLabel()
        self.split_label = QLabel()
        self.skipped_label = QLabel()
        self.skipped_label.setObjectName("caption")
        self.skipped_label.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Items", self.size_label)
        self.shape_row_label = QLabel("Images")
        form.addRow(self.shape_row_label, self.shape_label)
        form.addRow("Split", self.split_label)
        self.classes_title = QLabel("Classes")
        self.classes_title.setObjectName("panelTitle")
        self.classes = QTableWidget(0, 2)
        self.classes.setHorizontalHeaderLabels(["Class", "Items"])
        self.classes.verticalHeader().hide()
        self.classes.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.classes.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.classes.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.classes.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.classes.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.preview_title = QLabel()
        self.preview_title.setObjectName("panelTitle")
        self.thumbnails = _GridTile(min_side=120)
        policy = self.thumbnails.sizePolicy()
        policy.setVerticalPolicy(QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.thumbnails.setSizePolicy(policy)
        self.snippets = QLabel()
        self.snippets.setTextFormat(Qt.TextFormat.RichText)
        self.snippets.setWordWrap(True)
        self.snippets.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        layout = QVBoxLayout(self)
        layout.addWidget(self.name)
        layout.addLayout(form)
        layout.addWidget(self.skipped_label)
        layout.addWidget(self.classes_title)
        layout.addWidget(self.classes)
        layout.addWidget(self.preview_title)
        layout.addWidget(self.thumbnails)
        layout.addWidget(self.snippets)
        layout.addStretch(1)
        lab.data.changed.connect(self._on_dataset_changed)
        self._on_dataset_changed()

    def _on_dataset_changed(self) -> None:
        dataset = self.lab.data.dataset
        if dataset is None:
            self.name.setText("No dataset loaded")
            return
        self.name.setText(dataset.name)
        noun = "documents" if dataset.kind == "text" else "images"
        self.size_label.setText(f"{dataset.n:,} {noun}")
        n_test = int(dataset.is_test.sum())
        self.split_label.setText(f"{dataset.n - n_test:,} train · {n_test:,} test")
        if dataset.kind == "text":
            assert dataset.vocabulary is not None
            self.shape_row_label.setText("Vocabulary")
            self.shape_label.setText(f"{len(dataset.vocabulary):,} words")
        else:
            c, h, w = dataset.input_shape
            self.shape_row_label.setText("Images")
            colour = {1: "grey", 3: "colour (RGB)"}.get(c, f"{c} channels")
            self.shape_label.setText(f"{h}×{w}, {colour}")
        n_skipped = len(dataset.skipped)
        self.skipped_label.setVisible(n_skipped > 0)
        self.skipped_label.setText(f"{n_skipped:,} unreadable file{'s' if n_skipped != 1 else ''}"
                                   " skipped")
        self._fill_classes(dataset)
        text = dataset.kind == "text" and dataset.documents is not None
        self.thumbnails.setVisible(not text)
        self.snippets.setVisible(text)
        if text:
            self.preview_title.setText("First documents")
            self.snippets.setText(snippets_html(dataset))
        else:
            labelled = dataset.labels is not None
            self.preview_title.setText("First images of each class" if labelled
                                       else "First images")
            self.thumbnails.set_image(thumbnail_grid(dataset))

    def _fill_classes(self, dataset: Dataset) -> None:
        counts = dataset.class_counts()
        self.classes_title.setText(f"Classes ({len(counts)})" if counts else "No class labels")
        self.classes.setVisible(bool(counts))
        self.classes.setRowCount(len(counts))
        for row, (name, count) in enumerate(counts.items()):
            label = QTableWidgetItem(_dot(row), name)
            number = QTableWidgetItem(f"{count:,}")
            number.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.classes.setItem(row, 0, label)
            self.classes.setItem(row, 1, number)
        # Show up to ten rows without scrolling; longer lists scroll inside the table.
        rows = min(len(counts), 10)
        height = self.classes.horizontalHeader().height() + 2 * self.classes.frameWidth()
        height += sum(self.classes.rowHeight(r) for r in range(rows))
        self.classes.setFixedHeight(height)
