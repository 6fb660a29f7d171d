"""The unpaired-translation workspace: CycleGAN between two built-in domains (the 8×8 digits and
the MNIST sample, or the MNIST sample and a version of it), with held-out round trips live, the
cycle and identity losses, and a map of both domains on which any item can be picked."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from latentlab.core.files.lessonfile import UNPAIRED, Step
from latentlab.lab.cycle_frames import FAMILIES, PAIRS
from latentlab.lab.cycle_lab import MAX_EPOCHS, CycleLab
from latentlab.lab.lesson_targets import (
    CheckpointStepTarget,
    StepTarget,
    checkpoint_step_from,
)
from latentlab.qt.actions import make_action
from latentlab.qt.jobs import QtRunner
from latentlab.qt.widgets.cycle_views import (
    DOMAIN_COLOURS,
    CycleCurves,
    DomainMapView,
    PickedTile,
    RoundTrips,
)
from latentlab.qt.widgets.escape_cancels import EscapeCancels
from latentlab.qt.widgets.run_controls import RunControls
from latentlab.qt.workspace import Workspace

IDENTITY_TIP = ("The identity term ‖G(b) − b‖ + ‖F(a) − a‖ at half the cycle's weight (the "
                "paper's): each generator leaves its own domain's items alone, which keeps "
                "colours and layout. Off: only the cycle ties an item to its translation.")


class UnpairedWorkspace(Workspace):
    title = "Unpaired translation"
    lesson_name = UNPAIRED
    #: The model families whose checkpoints this workspace opens (the window sends them here).
    checkpoint_families = FAMILIES

    def __init__(self, window: QMainWindow) -> None:
        self.lab = lab = CycleLab(runner=QtRunner("cyclegan", window),
                                  reader=QtRunner("cyclegan-open", window))
        super().__init__(window, lab.notes)
        self.a_rows = RoundTrips(lab, "a_to_b")
        self.b_rows = RoundTrips(lab, "b_to_a")
        self.map_view = DomainMapView(lab)
        self.picked = PickedTile(lab)
        self.curves = CycleCurves(lab)
        central = QSplitter(Qt.Orientation.Horizontal)
        central.addWidget(self._settings())
        central.addWidget(self._rows_box())
        central.addWidget(self._map_box())
        central.setSizes([260, 420, 620])
        central.setStretchFactor(2, 1)
        self.central = central
        self.open_action = make_action(window, "Open CycleGAN model…", "", self.choose_and_open,
                                       "Open a CycleGAN checkpoint in View → Unpaired "
                                       "translation, with the domains it was trained on")
        self.file_items = [self.open_action]
        self.escape = EscapeCancels(central, lambda: lab.training, lab.stop)
        lab.settings_changed.connect(self._sync)
        lab.training_changed.connect(self._on_training)
        lab.model_changed.connect(self._on_model)
        lab.opened.connect(self._on_opened)
        self._sync()
        self._on_training(False)

    # ------------------------------------------------------------- building
    def _settings(self) -> QWidget:
        lab = self.lab
        self.pair = QComboBox()
        self.pair.addItems(list(PAIRS))
        self.pair.setToolTip("Two domains without pairs: the 8×8 scanned digits and the MNIST "
                             "sample (two real digit domains), or the MNIST sample and a "
                             "version of it (never the same item in both)")
        self.pair.activated.connect(lambda i: lab.set_pair(self.pair.itemText(i)))
        self.identity = QCheckBox("Identity term")
        self.identity.setToolTip(IDENTITY_TIP)
        self.identity.toggled.connect(lab.set_identity)
        self.controls = RunControls(lab, MAX_EPOCHS)
        self.about = QLabel("Least squares GAN losses, cycle λ = 10, Adam 2e-4, batches of 16 "
                            "(the paper's settings but the batch).")
        self.about.setObjectName("caption")
        self.about.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Domains", self.pair)
        form.addRow("", self.identity)
        box = QGroupBox("CycleGAN")
        layout = QVBoxLayout(box)
        layout.addLayout(form)
        layout.addWidget(self.controls)
        layout.addWidget(self.about)
        layout.addStretch(1)
        return box

    def _rows_box(self) -> QGroupBox:
        box = QGroupBox("Held-out round trips")
        layout = QHBoxLayout(box)
        for rows, words in ((self.a_rows, ("A", "→ B", "→ A")), (self.b_rows, ("B", "→ A", "→ B"))):
            column = QVBoxLayout()
            header = QHBoxLayout()
            for word in words:
                colour = DOMAIN_COLOURS[0 if word.endswith("A") else 1]
                label = QLabel(f"<b style='color:{colour}'>{word}</b>",
                               alignment=Qt.AlignmentFlag.AlignCenter)
                header.addWidget(label)
            column.addLayout(header)
            column.addWidget(rows, 1)
            layout.addLayout(column)
        return box

    def _map_box(self) -> QWidget:
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.map_view)
        picked = QGroupBox("Picked item · its translation · back again")
        QVBoxLayout(picked).addWidget(self.picked)
        splitter.addWidget(picked)
        splitter.addWidget(self.curves)
        splitter.setSizes([420, 150, 220])
        return splitter

    # ------------------------------------------------------------- observing
    def _sync(self) -> None:
        lab = self.lab
        self.pair.setCurrentText(lab.pair)
        self.identity.setChecked(lab.identity)
        self.controls.show_epochs()

    def _on_training(self, training: bool) -> None:
        for widget in (self.pair, self.identity):
            widget.setEnabled(not training)
        self.escape.watch(training)

    def _on_model(self) -> None:
        self.picked.hint = ("Click an item on the map to translate it." if self.lab.model
                            else "Train or open a CycleGAN, then click an item on the map.")
        self.picked.update()

    # ------------------------------------------------------------- files
    def choose_and_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a CycleGAN model", "",
                                              "Checkpoints (*.safetensors);;All files (*)")
        if path:
            self.open_path(Path(path))

    def _on_opened(self, _path: object) -> None:
        if hasattr(self.window, "show_workspace"):
            self.window.show_workspace(self)

    def open_path(self, path: Path) -> None:
        self.lab.open_checkpoint(path)  # ``opened`` shows this workspace once it is read

    def set_active(self, active: bool) -> None:
        super().set_active(active)
        self.escape.watch(active and self.lab.training)
        if active and self.lab.data is None and not self.lab.loading:
            self.lab.load()  # the domains load the first time the workspace is shown

    def step_targets(self) -> list[StepTarget]:
        return [CheckpointStepTarget(UNPAIRED, self.lab)]

    def capture_step(self, title: str) -> Step | None:
        return checkpoint_step_from(self.lesson_name, self.lab.path, title)

    def shutdown(self) -> None:
        self.lab.shutdown()
