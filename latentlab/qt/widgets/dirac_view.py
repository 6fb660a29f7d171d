"""The Dirac-GAN on its (θ, ψ) plane: the vector field of the chosen objective as short
segments (each with a dot at its head), the trajectory of gradient steps from a start point set
by clicking, and the controls — loss, instance noise σ, penalty γ, simultaneous or alternating
updates, learning rate, steps."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from latentlab.core.gan2d.dirac import DIRAC_LOSSES, METHODS
from latentlab.lab.dirac_lab import EXTENT, FIELD_N, MAX_STEPS, PENALTIES, DiracLab

#: The longest arrow, as a share of the grid's spacing (so arrows never overlap).
ARROW_SHARE = 0.85
PATH_COLOUR = (200, 60, 40)
FIELD_COLOUR = (70, 90, 140, 170)
PENALTY_TITLES = {"r1": "R1 (γ/2·‖∇D‖² at the data)", "gp": "Gradient penalty (γ/2·(‖∇D‖−1)²)"}


def quiver(points: np.ndarray, vectors: np.ndarray, length: float) -> tuple[np.ndarray,
                                                                             np.ndarray,
                                                                             np.ndarray]:
    """x, y of one segment per point (connect="pairs") and its heads. Lengths grow with the
    square root of the field's magnitude, so slow regions still show their direction."""
    norms = np.linalg.norm(vectors, axis=1)
    top = float(norms.max()) if len(norms) and np.isfinite(norms).all() else 0.0
    if top <= 0:
        return np.repeat(points[:, 0], 2), np.repeat(points[:, 1], 2), points
    unit = vectors / np.maximum(norms, 1e-12)[:, None]
    ends = points + unit * (length * np.sqrt(norms / top))[:, None]
    pairs = np.stack([points, ends], axis=1).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1], ends


class DiracView(QWidget):
    """The controls on the left, the plane on the right; a click on the plane sets the start."""

    def __init__(self, lab: DiracLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.loss = QComboBox()
        self.loss.addItems(list(DIRAC_LOSSES))
        self.loss.setToolTip("saturating: the paper's objective; WGAN: a linear critic")
        self.noise = self._spin(0.0, 10.0, 0.05, "Instance noise σ: Gaussian noise on real and "
                                "fake points; damps the rotation")
        self.penalty = QComboBox()
        for name in PENALTIES:
            self.penalty.addItem(PENALTY_TITLES[name], name)
        self.gamma = self._spin(0.0, 100.0, 0.1, "Penalty γ: 0 = off")
        self.method = QComboBox()
        self.method.addItems(list(METHODS))
        self.method.setToolTip("simultaneous: both players step from the same point; "
                               "alternating: D first, then G against the new D")
        self.lr = self._spin(0.001, 10.0, 0.01, "Learning rate of both players")
        self.lr.setDecimals(3)
        self.steps = QSpinBox()
        self.steps.setRange(1, MAX_STEPS)
        self.steps.setSingleStep(100)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Loss", self.loss)
        form.addRow("Instance noise σ", self.noise)
        form.addRow("Penalty", self.penalty)
        form.addRow("Penalty γ", self.gamma)
        form.addRow("Updates", self.method)
        form.addRow("Learning rate", self.lr)
        form.addRow("Steps", self.steps)
        controls = QVBoxLayout()
        hint = QLabel("Data: a point mass at 0; G: a point mass at θ; D(x) = ψ·x. "
                      "Click the plane to start the trajectory there.")
        hint.setWordWrap(True)
        controls.addWidget(hint)
        controls.addLayout(form)
        controls.addWidget(self.summary)
        controls.addStretch(1)
        side = QWidget()
        side.setLayout(controls)
        side.setMaximumWidth(320)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setAspectLocked(True)
        self.plot.setBackground("w")
        self.plot.setLabel("bottom", "θ (generator)")
        self.plot.setLabel("left", "ψ (discriminator)")
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.view_box = self.plot.getViewBox()
        self.field = pg.PlotCurveItem(pen=pg.mkPen(FIELD_COLOUR, width=1.2), connect="pairs")
        self.heads = pg.ScatterPlotItem(size=3, pen=None, brush=pg.mkBrush(FIELD_COLOUR))
        self.path = pg.PlotCurveItem(pen=pg.mkPen(PATH_COLOUR, width=1.6))
        self.start = pg.ScatterPlotItem(size=10, pen=pg.mkPen("k"), brush=pg.mkBrush("w"))
        self.end = pg.ScatterPlotItem(size=9, pen=None, brush=pg.mkBrush(PATH_COLOUR))
        self.equilibrium = pg.ScatterPlotItem([0.0], [0.0], size=12, symbol="+",
                                              pen=pg.mkPen("k", width=1.5))
        for item in (self.field, self.heads, self.path, self.equilibrium, self.start, self.end):
            self.plot.addItem(item)
        self.view_box.setRange(xRange=(-EXTENT, EXTENT), yRange=(-EXTENT, EXTENT), padding=0.04)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(side)
        layout.addWidget(self.plot, 1)
        self.paths_drawn = 0
        self._show_settings()
        self.loss.activated.connect(lambda _i: lab.set_settings(loss=self.loss.currentText()))
        self.penalty.activated.connect(
            lambda _i: lab.set_settings(penalty=self.penalty.currentData()))
        self.method.activated.connect(
            lambda _i: lab.set_settings(method=self.method.currentText()))
        self.noise.editingFinished.connect(
            lambda: lab.set_settings(instance_noise=self.noise.value()))
        self.gamma.editingFinished.connect(lambda: lab.set_settings(gamma=self.gamma.value()))
        self.lr.editingFinished.connect(lambda: lab.set_settings(lr=self.lr.value()))
        self.steps.editingFinished.connect(lambda: lab.set_settings(steps=self.steps.value()))
        self.plot.scene().sigMouseClicked.connect(self._on_click)
        lab.changed.connect(self._draw)
        self._draw()

    @staticmethod
    def _spin(low: float, high: float, step: float, tip: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(low, high)
        spin.setSingleStep(step)
        spin.setDecimals(2)
        spin.setToolTip(tip)
        spin.setKeyboardTracking(False)
        return spin

    def _show_settings(self) -> None:
        s = self.lab.settings
        for widget in (self.loss, self.penalty, self.method, self.noise, self.gamma, self.lr,
                       self.steps):
            widget.blockSignals(True)
        self.loss.setCurrentText(s.loss)
        self.penalty.setCurrentIndex(max(self.penalty.findData(s.penalty), 0))
        self.method.setCurrentText(s.method)
        self.noise.setValue(s.instance_noise)
        self.gamma.setValue(s.gamma)
        self.lr.setValue(s.lr)
        self.steps.setValue(s.steps)
        for widget in (self.loss, self.penalty, self.method, self.noise, self.gamma, self.lr,
                       self.steps):
            widget.blockSignals(False)

    def _on_click(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        if not self.view_box.sceneBoundingRect().contains(event.scenePos()):
            return
        point = self.view_box.mapSceneToView(event.scenePos())
        self.lab.set_start(point.x(), point.y())

    def _draw(self) -> None:
        lab = self.lab
        self._show_settings()
        spacing = 2 * EXTENT / (FIELD_N - 1)
        xs, ys, heads = quiver(lab.grid, lab.field, ARROW_SHARE * spacing)
        self.field.setData(xs, ys, connect="pairs")
        self.heads.setData(pos=heads)
        path = lab.path
        self.path.setData(path[:, 0], path[:, 1])
        self.start.setData(pos=np.array([lab.start]))
        self.end.setData(pos=path[-1:])
        self.summary.setText(
            f"{len(path) - 1:,} steps from (θ, ψ) = ({lab.start[0]:.2f}, {lab.start[1]:.2f}): "
            f"distance to the equilibrium {lab.start_distance:.3f} → {lab.end_distance:.3g}"
            + ("" if len(path) - 1 == lab.settings.steps else " (stopped: not finite)"))
        self.paths_drawn += 1
