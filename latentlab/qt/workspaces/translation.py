"""The image-translation workspace: train pix2pix on the built-in digits (edges, inpainting or
super-resolution) or on the user's own A → B pairs (File → Open image pairs…), watch held-out
translations improve, and draw on a pad whose input the generator translates as you draw.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from latentlab.core.files.lessonfile import TRANSLATION, Step
from latentlab.lab.lesson_targets import (
    CheckpointStepTarget,
    StepTarget,
    checkpoint_step_from,
)
from latentlab.lab.translation import MAX_EPOCHS, TranslationLab
from latentlab.lab.translation_data import DATASETS, FAMILIES, PAIRS, PAIRS_SIZE, TASK_LABELS
from latentlab.qt.actions import make_action
from latentlab.qt.jobs import QtRunner
from latentlab.qt.widgets.drawing_pad import DrawingPad, OutputTile, PairsGrid
from latentlab.qt.widgets.escape_cancels import EscapeCancels
from latentlab.qt.widgets.run_controls import RunControls
from latentlab.qt.workspace import Workspace

PAIRS_FOLDER_TIP = (f"A folder with subfolders A/ and B/ of images matched by file name (A → "
                    f"B), resized to {PAIRS_SIZE}×{PAIRS_SIZE}; a name on one side only, or a "
                    f"pair of two sizes, is skipped. A .npz with arrays A and B: Open image "
                    f"pairs (.npz)…")
PAIRS_FILE_TIP = ("A NumPy .npz holding two arrays A and B of one shape: one B image for each A "
                  "image. A folder with A/ and B/: Open image pairs…")


class TranslationWorkspace(Workspace):
    title = "Image translation"
    lesson_name = TRANSLATION
    #: The model families whose checkpoints this workspace opens (the window sends them here).
    checkpoint_families = FAMILIES

    def __init__(self, window: QMainWindow) -> None:
        self.lab = lab = TranslationLab(runner=QtRunner("translation", window),
                                        reader=QtRunner("translation-open", window))
        super().__init__(window, lab.notes)
        self.grid = PairsGrid(lab)
        self.pad = DrawingPad(lab)
        self.output = OutputTile(lab)
        central = QSplitter(Qt.Orientation.Horizontal)
        central.addWidget(self._settings())
        central.addWidget(self._grid_box())
        central.addWidget(self._pad_box())
        central.setSizes([280, 300, 700])
        central.setStretchFactor(2, 1)
        self.central = central
        open_action = QAction("Open pix2pix model…", window)
        open_action.setToolTip("Open a pix2pix checkpoint in View → Image translation")
        open_action.triggered.connect(self.choose_and_open)
        self.pairs_action = make_action(window, "Open image pairs…", "",
                                        self.choose_pairs_folder, PAIRS_FOLDER_TIP)
        self.pairs_action.setToolTip(PAIRS_FOLDER_TIP)
        self.pairs_file_action = make_action(window, "Open image pairs (.npz)…", "",
                                             self.choose_pairs_file, PAIRS_FILE_TIP)
        self.pairs_file_action.setToolTip(PAIRS_FILE_TIP)
        self.file_items = [open_action, self.pairs_action, self.pairs_file_action]
        self.escape = EscapeCancels(central, lambda: lab.training, lab.stop)
        lab.settings_changed.connect(self._sync)
        lab.training_changed.connect(self._on_training)
        lab.frame_changed.connect(self._on_frame)
        lab.canvas_changed.connect(self._on_canvas)
        lab.opened.connect(self._on_opened)
        lab.pairs_opened.connect(self._on_opened)
        self._sync()
        self._on_training(False)

    # ------------------------------------------------------------- building
    def _settings(self) -> QWidget:
        lab = self.lab
        self.dataset = QComboBox()
        self.dataset.setToolTip("The built-in digits, or your own pairs (File → Open image "
                                "pairs…)")
        self.dataset.activated.connect(lambda i: lab.set_dataset(self.dataset.itemData(i)))
        self.task = QComboBox()
        self.task.activated.connect(lambda i: lab.set_task(self.task.itemData(i)))
        self.adversarial = QCheckBox("Adversarial (PatchGAN + L1)")
        self.adversarial.setToolTip("Off: the same U-Net on the L1 term alone (blurrier)")
        self.adversarial.toggled.connect(lab.set_adversarial)
        self.controls = RunControls(lab, MAX_EPOCHS)
        self.score = QLabel("No model yet.")
        self.score.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Dataset", self.dataset)
        form.addRow("Task", self.task)
        form.addRow("", self.adversarial)
        box = QGroupBox("pix2pix")
        layout = QVBoxLayout(box)
        layout.addLayout(form)
        layout.addWidget(self.controls)
        layout.addWidget(self.score)
        layout.addStretch(1)
        return box

    def _grid_box(self) -> QGroupBox:
        box = QGroupBox("Held-out pairs")
        layout = QVBoxLayout(box)
        header = QHBoxLayout()
        for text in ("input", "output", "target"):
            label = QLabel(text, alignment=Qt.AlignmentFlag.AlignCenter)
            header.addWidget(label)
        layout.addLayout(header)
        layout.addWidget(self.grid, 1)
        return box

    def _pad_box(self) -> QGroupBox:
        box = QGroupBox("Drawing pad")
        layout = QGridLayout(box)
        layout.addWidget(QLabel("Draw here (right-click clears)",
                                alignment=Qt.AlignmentFlag.AlignCenter), 0, 0)
        layout.addWidget(QLabel("The generator's output",
                                alignment=Qt.AlignmentFlag.AlignCenter), 0, 1)
        layout.addWidget(self.pad, 1, 0)
        layout.addWidget(self.output, 1, 1)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.lab.clear)
        layout.addWidget(self.clear_button, 2, 0, alignment=Qt.AlignmentFlag.AlignLeft)
        layout.setRowStretch(1, 1)
        return box

    # ------------------------------------------------------------- observing
    def _sync(self) -> None:
        lab = self.lab
        self.dataset.clear()
        for name, text in DATASETS.items():
            self.dataset.addItem(text, name)
        if lab.pairs is not None:  # the pairs opened last, until others replace them
            self.dataset.addItem(f"{lab.pairs.name} (your pairs)", PAIRS)
        self.dataset.setCurrentIndex(self.dataset.findData(lab.dataset_name))
        self.task.clear()
        for name in lab.tasks():
            self.task.addItem(TASK_LABELS[name], name)
        self.task.setCurrentIndex(self.task.findData(lab.task))
        self.adversarial.setChecked(lab.adversarial)
        self.controls.show_epochs()

    def _on_training(self, training: bool) -> None:
        for widget in (self.dataset, self.task, self.adversarial):
            widget.setEnabled(not training)
        self.escape.watch(training)

    def _on_frame(self) -> None:
        frame = self.lab.frame
        which = "held-out" if frame is None or frame.held_out else "training (none held out)"
        self.score.setText("No model yet." if frame is None else
                           f"Epoch {frame.epoch:.1f}: {which} L1 {frame.l1:.3f} per pixel")

    def _on_canvas(self) -> None:
        self.clear_button.setEnabled(not self.lab.pad_problem)

    # ------------------------------------------------------------- files
    def choose_and_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a pix2pix model", "",
                                              "Checkpoints (*.safetensors);;All files (*)")
        if path:
            self.open_path(Path(path))

    def choose_pairs_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self.window, "Open a folder of pairs (A/ and B/)")
        if path:
            self.open_pairs(Path(path))

    def choose_pairs_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open pairs (arrays A and B)", "",
                                              "NumPy pairs (*.npz);;All files (*)")
        if path:
            self.open_pairs(Path(path))

    def _on_opened(self, _path: object) -> None:
        if hasattr(self.window, "show_workspace"):
            self.window.show_workspace(self)

    def open_path(self, path: Path) -> None:
        self.lab.open_checkpoint(path)  # ``opened`` shows this workspace once it is read

    def open_pairs(self, path: Path) -> None:
        """A folder with A/ and B/, or a .npz with A and B: the lab reads it in the background;
        ``pairs_opened`` shows this workspace with them."""
        self.lab.open_pairs(path)

    def set_active(self, active: bool) -> None:
        super().set_active(active)
        self.escape.watch(active and self.lab.training)

    def step_targets(self) -> list[StepTarget]:
        return [CheckpointStepTarget(TRANSLATION, self.lab)]

    def capture_step(self, title: str) -> Step | None:
        return checkpoint_step_from(self.lesson_name, self.lab.path, title)

    def shutdown(self) -> None:
        self.lab.shutdown()
