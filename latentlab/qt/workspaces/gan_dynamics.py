"""The 2-D GAN dynamics workspace, after GAN Lab: real and fake points on the plane over the
discriminator's heatmap, the generator's gradients and warped noise grid; step D, G or both,
play and pause, speed; loss curves and mode metrics; two runs side by side; draw your own data.
A second tab holds the Dirac-GAN: the (θ, ψ) plane with its vector field and a trajectory.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QScrollArea,
    QSlider,
    QSplitter,
    QTabWidget,
    QToolBar,
)

from latentlab.core.files.lessonfile import GAN_DYNAMICS, Step
from latentlab.lab.dirac_lab import DiracLab
from latentlab.lab.gan2d import MAX_SPEED, RUNS, GanLab
from latentlab.lab.lesson_targets import GanStepTarget, StepTarget, gan_step_from
from latentlab.qt.jobs import QtRunner
from latentlab.qt.shown_controls import ShownControls
from latentlab.qt.widgets.dirac_view import DiracView
from latentlab.qt.widgets.gan2d_charts import Gan2dLossPlot, Gan2dMetricsTable
from latentlab.qt.widgets.gan2d_plane import Gan2dPlane
from latentlab.qt.widgets.gan2d_settings import Gan2dSettings
from latentlab.qt.workspace import Workspace

#: Training time per frame: with drawing, frames keep coming 30 times a second or more.
FRAME_BUDGET_S = 0.018

LAYER_TITLES = (("heatmap", "Heatmap", "D's output over the plane: green real, purple fake"),
                ("real", "Real", "The real points"),
                ("fake", "Fake", "The generator's points (the same noise every frame)"),
                ("arrows", "Gradients", "Where the generator's next step moves each fake"),
                ("grid", "Noise grid", "A grid over the noise plane, warped by the generator"))


class GanDynamicsWorkspace(Workspace):
    title = "GAN dynamics"
    lesson_name = GAN_DYNAMICS

    def __init__(self, window: QMainWindow) -> None:
        self.lab = lab = GanLab(runner=QtRunner("gan2d", window), frame_budget_s=FRAME_BUDGET_S)
        super().__init__(window, lab.notes)
        self.planes = {name: Gan2dPlane(lab, name) for name in RUNS}
        planes = QSplitter(Qt.Orientation.Horizontal)
        for plane in self.planes.values():
            planes.addWidget(plane)
        self.plane_row = planes
        self.loss_plot = Gan2dLossPlot(lab)
        self.metrics = Gan2dMetricsTable(lab)
        charts = QSplitter(Qt.Orientation.Horizontal)
        charts.addWidget(self.loss_plot)
        charts.addWidget(self.metrics)
        charts.setSizes([700, 360])
        self.charts = charts
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(planes)
        right.addWidget(charts)
        right.setSizes([620, 240])
        right.setStretchFactor(0, 1)
        self.dirac_lab = DiracLab(lab.notes)
        self.dirac = DiracView(self.dirac_lab)
        self.tabs = QTabWidget()
        self.tabs.addTab(right, "Toy data")
        self.tabs.addTab(self.dirac, "Dirac-GAN")
        self.tabs.setTabToolTip(1, "The smallest GAN: why training circles, and what makes it "
                                "converge")
        self.settings = Gan2dSettings(lab)
        scroll = QScrollArea()
        scroll.setWidget(self.settings)
        scroll.setWidgetResizable(True)
        # As wide as the form: its fields are never cut (no sideways scrolling).
        scroll.setMinimumWidth(self.settings.minimumSizeHint().width()
                               + scroll.verticalScrollBar().sizeHint().width() + 4)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        central = QSplitter(Qt.Orientation.Horizontal)
        central.addWidget(scroll)
        central.addWidget(self.tabs)
        # The form drives the toy-data runs only; the Dirac-GAN tab has its own controls.
        self.tabs.currentChanged.connect(lambda index: scroll.setVisible(index == 0))
        central.setSizes([320, 1100])
        central.setStretchFactor(1, 1)
        self.central = central
        # Presenting a lesson's step, whose settings are in place: the planes get the room.
        self.shown_controls = ShownControls({}, [scroll], window)
        self._build_toolbar()
        lab.runs_changed.connect(self._on_runs)
        lab.playing_changed.connect(self._on_playing)
        lab.drawing_changed.connect(self._on_drawing)
        self._on_runs()

    def _action(self, text: str, tip: str, slot, key: str = "",
                checkable: bool = False) -> QAction:
        action = QAction(text, self.window, checkable=checkable)
        if key:
            action.setShortcut(QKeySequence(key))
            tip = f"{tip} ({key})"
        action.setToolTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_toolbar(self) -> None:
        lab = self.lab
        bar = QToolBar("GAN dynamics")
        bar.setObjectName("ganDynamicsTools")
        bar.setMovable(False)
        self.toolbars = [bar]
        self.play_action = self._action("Play", "Train until paused", lab.toggle_play, "Space")
        self.step_d = self._action("Step D", "One discriminator step",
                                   lambda: lab.step("both", "d"))
        self.step_g = self._action("Step G", "One generator step", lambda: lab.step("both", "g"))
        self.step_both = self._action("Step both", "One training step: D then G",
                                      lambda: lab.step("both", "both"))
        self.reset_action = self._action("Reset", "Back to step 0, same seed: the same start",
                                         lab.reset)
        for action in (self.play_action, self.step_d, self.step_g, self.step_both):
            bar.addAction(action)
        bar.addSeparator()
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(1, MAX_SPEED)
        self.speed.setValue(lab.speed)
        self.speed.setFixedWidth(120)
        self.speed.setToolTip("Training steps per frame")
        self.speed.valueChanged.connect(lab.set_speed)
        self.speed_label = QLabel()
        lab.speed_changed.connect(self._on_speed)
        self._on_speed(lab.speed)
        bar.addWidget(QLabel(" Speed "))
        bar.addWidget(self.speed)
        bar.addWidget(self.speed_label)
        bar.addAction(self.reset_action)
        bar.addSeparator()
        self.draw_action = self._action("Draw data", "Click or drag on the plane to add points; "
                                        "click this again to train on them", self._toggle_drawing,
                                        checkable=True)
        bar.addAction(self.draw_action)
        bar.addSeparator()
        self.layer_actions: dict[str, QAction] = {}
        for layer, text, tip in LAYER_TITLES:
            action = self._action(text, tip, lambda on, name=layer: lab.set_layer(name, on),
                                  checkable=True)
            action.setChecked(lab.layers[layer])
            bar.addAction(action)
            self.layer_actions[layer] = action

    def _toggle_drawing(self, on: bool) -> None:
        if on:
            self.lab.start_drawing()
        else:
            self.lab.finish_drawing()
        self._on_drawing()  # a refused drawing goes on: the button says so

    def _on_speed(self, speed: int) -> None:
        self.speed_label.setText(f" {speed} steps/frame ")
        if self.speed.value() != speed:
            self.speed.setValue(speed)

    def _on_runs(self) -> None:
        self.planes["B"].setVisible(self.lab.side_by_side)

    def _on_playing(self, playing: bool) -> None:
        self.play_action.setText("Pause" if playing else "Play")

    def _on_drawing(self) -> None:
        self.draw_action.setChecked(self.lab.drawing)
        self.draw_action.setText("Train on drawing" if self.lab.drawing else "Draw data")

    def restyle(self) -> None:
        super().restyle()
        # Zoomed text needs a wider table: its share of the row grows with the zoom.
        total = sum(self.charts.sizes()) or 1060
        share = min(0.6, 0.34 * self.look.zoom)
        self.charts.setSizes([round(total * (1 - share)), round(total * share)])

    def show_controls(self, controls: tuple[str, ...] | None) -> None:
        self.shown_controls.show(controls)

    def step_targets(self) -> list[StepTarget]:
        return [GanStepTarget(self.lab)]

    def capture_step(self, title: str) -> Step | None:
        return gan_step_from(self.lab, title)

    def shutdown(self) -> None:
        self.lab.shutdown()
