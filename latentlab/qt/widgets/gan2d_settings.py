"""The GAN lab's settings: the data and seed both runs share, side by side on or off, and one
form per run (loss, stabilisers, optimisers, networks, noise) with recipes to start from."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from latentlab.core.gan2d import TOY_DATA, Gan2dConfig
from latentlab.core.gan2d.nets import ACTIVATIONS
from latentlab.core.gan2d.objectives import LOSSES
from latentlab.core.gan2d.settings import NOISES, OPTIMIZERS, UPDATES
from latentlab.lab.gan2d import RUNS, GanLab

# (field, label as the core's validation names it, kind, choices); grouped as the lecture goes.
SECTIONS: tuple[tuple[str, tuple[tuple[str, str, str, tuple[str, ...]], ...]], ...] = (
    ("Loss and stabilisers", (
        ("loss", "Loss", "choice", LOSSES),
        ("r1", "R1 weight γ", "float", ()),
        ("instance_noise", "Instance noise σ", "float", ()),
        ("anneal_steps", "Anneal steps", "int", ()),
        ("pack", "Packing", "int", ()),
        ("minibatch_features", "Minibatch features", "int", ()),
        ("unrolled", "Unrolled steps k", "int", ()),
        ("d_steps", "D steps", "int", ()),
        ("gp_weight", "Gradient penalty λ", "float", ()),
        ("clip", "Weight clip c", "float", ()))),
    ("Optimisation", (
        ("g_optimizer", "G optimizer", "choice", OPTIMIZERS),
        ("g_lr", "G learning rate", "float", ()),
        ("d_optimizer", "D optimizer", "choice", OPTIMIZERS),
        ("d_lr", "D learning rate", "float", ()),
        ("updates", "Updates", "choice", UPDATES),
        ("batch_size", "Batch size", "int", ()),
        ("g_average", "G average decay", "float", ()))),
    ("Networks", (
        ("g_hidden", "Generator layers", "layers", ()),
        ("d_hidden", "Discriminator layers", "layers", ()),
        ("activation", "Activation", "choice", tuple(ACTIVATIONS)))),
    ("Noise", (
        ("noise_dim", "Noise dimensions", "int", ()),
        ("noise", "Noise", "choice", NOISES))),
)

#: Starting points for a lesson: each overrides the defaults.
#: The first three: small networks collapse onto few of the ring's modes; R1 keeps all eight
#: with otherwise the same settings, unrolling spreads the samples over seven (measured at 6,100
#: steps, seed 0; see the README).
COLLAPSE = {"g_hidden": (32, 32), "d_hidden": (32, 32)}
RECIPES: dict[str, dict[str, Any]] = {
    "Mode collapse (plain)": COLLAPSE,
    "Mode collapse fixed by R1 (γ = 1)": {**COLLAPSE, "r1": 1.0},
    "Mode collapse, unrolled D (k = 5)": {**COLLAPSE, "unrolled": 5},
    "Plain GAN": {},
    "Unrolled GAN (k = 5)": {"unrolled": 5},
    "R1 penalty (γ = 1)": {"r1": 1.0},
    "Instance noise (σ = 0.5)": {"instance_noise": 0.5},
    "PacGAN (pack 4)": {"pack": 4},
    "Minibatch discrimination": {"minibatch_features": 16},
    "WGAN-GP": {"loss": "wgan_gp", "d_steps": 5, "betas": (0.0, 0.9), "d_lr": 1e-4,
                "g_lr": 1e-4},
    "Least squares": {"loss": "least_squares"},
    "Saturating loss": {"loss": "saturating"},
    "Simultaneous updates": {"updates": "simultaneous"},
}


class LayersEditor(QWidget):
    """Depth × width of a network's hidden layers."""

    def __init__(self) -> None:
        super().__init__()
        self.depth, self.width = QSpinBox(), QSpinBox()
        self.depth.setRange(1, 8)
        self.width.setRange(1, 1024)
        self.depth.setSuffix(" layers")
        self.width.setSuffix(" units")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.depth)
        layout.addWidget(self.width)

    def set_value(self, hidden: tuple[int, ...]) -> None:
        self.depth.setValue(len(hidden))
        self.width.setValue(max(hidden))

    def value(self) -> tuple[int, ...]:
        return (self.width.value(),) * self.depth.value()


class RunSettings(QWidget):
    """The form of one run: shows its settings, applies the edited ones (which restarts it)."""

    def __init__(self, lab: GanLab, run: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab, self.run = lab, run
        self.recipe = QComboBox()
        self.recipe.addItems(list(RECIPES))
        self.recipe.setPlaceholderText("Own settings")
        self.recipe.setToolTip("Fill the form from a recipe (then Apply)")
        self.recipe.activated.connect(lambda _i: self.show_config(
            Gan2dConfig(**RECIPES[self.recipe.currentText()])))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.recipe)
        self.editors: dict[str, tuple[str, str, QWidget]] = {}
        for title, fields in SECTIONS:
            box = QGroupBox(title)
            form = QFormLayout(box)
            for name, label, kind, choices in fields:
                editor: QWidget
                if kind == "choice":
                    editor = QComboBox()
                    editor.addItems(list(choices))
                elif kind == "int":
                    editor = QSpinBox()
                    editor.setRange(0, 1_000_000_000)
                elif kind == "layers":
                    editor = LayersEditor()
                else:
                    editor = QLineEdit()
                editor.setObjectName(name)
                self.editors[name] = (label, kind, editor)
                form.addRow(label, editor)
            layout.addWidget(box)
        self.apply_button = QPushButton(f"Apply to run {run}")
        self.apply_button.setToolTip("Restart this run from step 0 with these settings")
        self.apply_button.clicked.connect(self.apply)
        layout.addWidget(self.apply_button)
        layout.addStretch(1)
        self._betas = Gan2dConfig().betas  # not on the form: kept from the config shown
        lab.runs_changed.connect(self._sync)
        self._sync()

    def _sync(self) -> None:
        run = self.lab.runs.get(self.run)
        self.setEnabled(run is not None)
        if run is not None:
            self.show_config(run.cfg)

    def show_config(self, cfg: Gan2dConfig) -> None:
        for name, (_label, _kind, editor) in self.editors.items():
            value = getattr(cfg, name)
            if isinstance(editor, QComboBox):
                editor.setCurrentText(str(value))
            elif isinstance(editor, QSpinBox):
                editor.setValue(int(value))
            elif isinstance(editor, LayersEditor):
                editor.set_value(tuple(value))
            elif isinstance(editor, QLineEdit):
                editor.setText(f"{value:g}")
        self._betas = cfg.betas
        # The recipe these settings are, if any (the data and seed are the lab's, not a recipe's).
        same = dataclasses.replace(cfg, data=Gan2dConfig.data, seed=Gan2dConfig.seed)
        names = [n for n, recipe in RECIPES.items() if Gan2dConfig(**recipe) == same]
        self.recipe.setCurrentIndex(self.recipe.findText(names[0]) if names else -1)

    def edited_config(self) -> tuple[Gan2dConfig | None, list[str]]:
        """The form's settings, or the fields that are not numbers."""
        values: dict[str, Any] = {"betas": self._betas}
        problems = []
        for name, (label, _kind, editor) in self.editors.items():
            if isinstance(editor, QComboBox):
                values[name] = editor.currentText()
            elif isinstance(editor, (QSpinBox, LayersEditor)):
                values[name] = editor.value()
            elif isinstance(editor, QLineEdit):
                try:
                    values[name] = float(editor.text())
                except ValueError:
                    problems.append(f"{label}: {editor.text()!r} is not a number.")
        if problems:
            return None, problems
        return dataclasses.replace(self.lab.runs[self.run].cfg, **values), []

    def apply(self) -> None:
        cfg, problems = self.edited_config()
        if cfg is None:
            self.lab.notes.report_error(f"Run {self.run}: settings", "\n".join(problems))
            return
        self.lab.set_config(self.run, cfg)


class Gan2dSettings(QWidget):
    """Data, seed and side by side above one form per run."""

    def __init__(self, lab: GanLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.data = QComboBox()
        self.data.addItems([name for name in TOY_DATA if name != "drawn"])
        self.data.setToolTip("The real distribution (Draw data on the toolbar: your own)")
        self.data.activated.connect(lambda _i: lab.set_data(self.data.currentText()))
        self.seed = QSpinBox()
        self.seed.setRange(0, 1_000_000)
        self.seed.setToolTip("Seeds the data, both runs' weights and their batches")
        self.seed.editingFinished.connect(lambda: lab.set_seed(self.seed.value()))
        self.side_by_side = QCheckBox("Side by side: a second run (B)")
        self.side_by_side.setToolTip("Run B trains on the same data with the same seed, with its "
                                     "own settings; from the defaults, A collapses and B is "
                                     "fixed by R1")
        self.side_by_side.toggled.connect(self._toggle_side_by_side)
        shared = QGroupBox("Data (both runs)")
        form = QFormLayout(shared)
        form.addRow("Data", self.data)
        form.addRow("Seed", self.seed)
        form.addRow(self.side_by_side)
        self.tabs = QTabWidget()
        self.forms = {name: RunSettings(lab, name) for name in RUNS}
        for name, run_form in self.forms.items():
            self.tabs.addTab(run_form, f"Run {name}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(shared)
        layout.addWidget(self.tabs, 1)
        lab.runs_changed.connect(self._sync)
        lab.data_changed.connect(self._sync)
        self._sync()

    def _toggle_side_by_side(self, on: bool) -> None:
        if not on:
            self.lab.set_side_by_side(False)
            return
        plain, fixed = (Gan2dConfig(**RECIPES[name]) for name in list(RECIPES)[:2])
        # Untouched settings start the lesson's comparison: collapse beside its fix.
        if self.lab.runs["A"].cfg == dataclasses.replace(Gan2dConfig(), data=self.lab.data.name,
                                                         seed=self.lab.seed):
            self.lab.set_config("A", plain)
        self.lab.set_side_by_side(True, fixed)

    def _sync(self) -> None:
        self.side_by_side.blockSignals(True)
        self.side_by_side.setChecked(self.lab.side_by_side)
        self.side_by_side.blockSignals(False)
        self.tabs.setTabEnabled(1, self.lab.side_by_side)
        if self.lab.data.name != "drawn":
            self.data.setCurrentText(self.lab.data.name)
        self.seed.setValue(self.lab.seed)
