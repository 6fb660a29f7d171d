"""An interpolation path: the decoded strip between two items' codes, saved as PNG or GIF."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from latentlab.core.files.images import export_scale, save_path_gif, save_png, tile_images
from latentlab.lab.latent_lab import LatentLab
from latentlab.lab.tools import InterpolationPath
from latentlab.qt.widgets.image_tile import ImageTile

ROW_NAMES = {"lerp": "straight line", "slerp": "great circle (slerp)"}


class InterpolationDialog(QDialog):
    def __init__(self, lab: LatentLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.tools = lab.tools
        self.notes = lab.notes
        self.setWindowTitle("Interpolation path")
        self.path: InterpolationPath | None = None
        self.image: np.ndarray | None = None
        self.last_folder = str(Path.home())
        explain = QLabel(
            "Decodes evenly spaced codes on the way from one item's code to another's. The items "
            "start as the first and last selected items (select two on a map, or in the "
            "Selection gallery); type other item numbers to change them. For a VAE a second row "
            "follows the great circle (slerp), which keeps codes where the prior N(0, I) puts "
            "them. GANs are not supported: they give real items no codes.")
        explain.setWordWrap(True)
        self.item_a, self.item_b = QSpinBox(), QSpinBox()
        self.steps = QSpinBox()
        self.steps.setRange(2, 32)
        self.steps.setValue(10)
        self.use_selection = QPushButton("From the selection")
        self.use_selection.clicked.connect(self.take_selection)
        self.draw_button = QPushButton("Decode path")
        self.draw_button.setDefault(True)
        self.draw_button.clicked.connect(self.compute)
        form = QFormLayout()
        ends = QHBoxLayout()
        ends.addWidget(self.item_a)
        ends.addWidget(QLabel("→"))
        ends.addWidget(self.item_b)
        ends.addWidget(self.use_selection)
        form.addRow("Items", ends)
        form.addRow("Steps", self.steps)
        self.tile = ImageTile("Pick two items and decode the path", min_side=96)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.png_button = QPushButton("Save PNG…")
        self.gif_button = QPushButton("Save GIF…")
        self.png_button.clicked.connect(self.save_png)
        self.gif_button.clicked.connect(self.save_gif)
        buttons = QHBoxLayout()
        buttons.addWidget(self.draw_button)
        buttons.addStretch(1)
        buttons.addWidget(self.png_button)
        buttons.addWidget(self.gif_button)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(self.tile, 1)
        layout.addWidget(self.caption)
        layout.addLayout(buttons)
        self.resize(720, 360)
        lab.data.changed.connect(self._on_dataset_changed)
        self._on_dataset_changed()
        self.take_selection()

    def _on_dataset_changed(self) -> None:
        dataset = self.lab.data.dataset
        top = 0 if dataset is None else dataset.n - 1
        for box in (self.item_a, self.item_b):
            box.setRange(0, max(0, top))
        self._show(None)

    def take_selection(self) -> None:
        ends = self.tools.default_endpoints()
        if ends is not None:
            self.item_a.setValue(ends[0])
            self.item_b.setValue(ends[1])

    def compute(self) -> InterpolationPath | None:
        problem = self.tools.interpolation_problem()
        if problem is not None:
            self._show(None, problem)
            return None
        path = self.tools.interpolate(self.item_a.value(), self.item_b.value(),
                                      self.steps.value())
        self._show(path)
        return path

    def _show(self, path: InterpolationPath | None, problem: str = "") -> None:
        self.path = path
        if path is None:
            self.image = None
            self.tile.set_image(None)
            self.caption.setText(problem)
        else:
            rows, n = path.images.shape[:2]
            self.image = tile_images(path.images.reshape(rows * n, *path.images.shape[2:]),
                                     rows, n)
            self.tile.set_image(self.image)
            a, b = path.items
            self.caption.setText(f"Item #{a} → item #{b}, {n} steps. Rows: "
                                 + "; ".join(ROW_NAMES[m] for m in path.methods) + ".")
        self.png_button.setEnabled(path is not None)
        self.gif_button.setEnabled(path is not None)

    def _ask(self, title: str, name: str, pattern: str) -> Path | None:
        target, _ = QFileDialog.getSaveFileName(self, title, str(Path(self.last_folder) / name),
                                                pattern)
        if not target:
            return None
        path = Path(target)
        suffix = name[name.rindex("."):]
        if path.suffix.lower() != suffix:
            path = path.with_name(path.name + suffix)
        self.last_folder = str(path.parent)
        return path

    def save_png(self) -> Path | None:
        if self.image is None:
            return None
        target = self._ask("Save the path as PNG", "interpolation.png", "PNG images (*.png)")
        if target is None:
            return None
        try:
            return save_png(self.image, target, scale=export_scale(self.image.shape[1]
                                                                     // len(self.path.methods)))
        except OSError as exc:
            self.notes.report_error("Could not save the image", str(exc))
            return None

    def save_gif(self) -> Path | None:
        if self.path is None:
            return None
        target = self._ask("Save the path as an animated GIF", "interpolation.gif",
                           "GIF animations (*.gif)")
        if target is None:
            return None
        try:
            return save_path_gif(self.path.images, target)
        except OSError as exc:
            self.notes.report_error("Could not save the animation", str(exc))
            return None
