"""Small questions asked before or during a load: image-folder options, and which NumPy keys."""

from __future__ import annotations

import html

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from latentlab.core.data.numpy_files import IMAGE_NAMES, NO_LABELS, AmbiguousKeys

IMAGE_SIZES = (16, 28, 32, 48, 64, 96, 128)
DEFAULT_SIZE = 28
COLOUR_MODES = {"auto": "Automatic (colour if any image has colour)", "gray": "Grey",
                "rgb": "Colour (RGB)"}


def _buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                           | QDialogButtonBox.StandardButton.Cancel)
    box.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


class ImageOptionsDialog(QDialog):
    """Square size and colour mode for a folder of images."""

    def __init__(self, folder_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open a folder of images")
        intro = QLabel(f"<b>{html.escape(folder_name)}</b> holds images. Every image is resized "
                       "to a square of the size chosen here; class subfolders become labels.")
        intro.setWordWrap(True)
        self.size = QComboBox()
        for side in IMAGE_SIZES:
            self.size.addItem(f"{side} × {side}", side)
        self.size.setCurrentIndex(IMAGE_SIZES.index(DEFAULT_SIZE))
        self.mode = QComboBox()
        for key, text in COLOUR_MODES.items():
            self.mode.addItem(text, key)
        form = QFormLayout()
        form.addRow("Image size", self.size)
        form.addRow("Colour", self.mode)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(_buttons(self, "Load"))
        self.setMinimumWidth(380)

    def options(self) -> dict[str, object]:
        return {"size": int(self.size.currentData()), "mode": str(self.mode.currentData())}


class KeyChoiceDialog(QDialog):
    """Which arrays of a NumPy file are the images and which the labels (or none)."""

    def __init__(self, problem: AmbiguousKeys, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Which arrays?")
        intro = QLabel(f"{problem}\nChoose the arrays to load:")
        intro.setWordWrap(True)
        self.images = QComboBox()
        for key in problem.image_keys:
            self.images.addItem(key, key)
        conventional = [k for k in problem.image_keys if k.lower() in IMAGE_NAMES]
        if problem.role == "labels" and conventional:
            self.images.setCurrentIndex(problem.image_keys.index(conventional[0]))
        self.labels = QComboBox()
        self.labels.addItem("(no labels)", NO_LABELS)
        for key in problem.label_keys:
            self.labels.addItem(key, key)
        if problem.label_keys:
            self.labels.setCurrentIndex(1)
        form = QFormLayout()
        form.addRow("Images", self.images)
        form.addRow("Labels", self.labels)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(_buttons(self, "Load"))
        self.setMinimumWidth(380)

    def options(self) -> dict[str, str]:
        return {"images_key": str(self.images.currentData()),
                "labels_key": str(self.labels.currentData())}
