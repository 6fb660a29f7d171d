"""The latent-map workspace: datasets, models and up to three linked maps with their probes,
reconstructions or samples, loss curves, the dataset and model docks, the tools, and few labels
(the semi-supervised comparison)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from latentlab.config import ConfigError
from latentlab.core.files.lessonfile import LATENT_MAPS, Step
from latentlab.core.training.recipes import recommended_settings
from latentlab.lab.decoding import DECODE_ANYWHERE_HELP
from latentlab.lab.engine import Engine
from latentlab.lab.latent_lab import LatentLab
from latentlab.lab.lesson_targets import LatentStepTarget, StepTarget, latent_step_from
from latentlab.lab.map_state import LATENT, PIXELS, THIRD
from latentlab.lab.recent import RecentFiles
from latentlab.qt.actions import make_action
from latentlab.qt.data_actions import DataActions
from latentlab.qt.file_actions import FileActions
from latentlab.qt.jobs import CallSoon, QtRunner
from latentlab.qt.recent_menu import RecentMenu
from latentlab.qt.shown_controls import ShownControls
from latentlab.qt.tools_menu import ToolsMenu
from latentlab.qt.widgets.dataset_panel import DatasetPanel
from latentlab.qt.widgets.form_scroll import FormScroll
from latentlab.qt.widgets.gan_panels import CodePanel, SampleGrid
from latentlab.qt.widgets.image_panels import ProbePanel, ReconstructionStrip
from latentlab.qt.widgets.legend import ClassLegend
from latentlab.qt.widgets.load_status import LoadStatus
from latentlab.qt.widgets.loss_plot import LossPlot
from latentlab.qt.widgets.map_controls import ProjectionControls, TimelineBar
from latentlab.qt.widgets.map_view import MapView
from latentlab.qt.widgets.page_stack import PageStack
from latentlab.qt.widgets.semisup_panel import SemisupPanel
from latentlab.qt.widgets.semisup_results import SemisupResults
from latentlab.qt.widgets.training_panel import TrainingPanel
from latentlab.qt.workspace import Workspace

DOCK_WIDTH = 310  # the left docks' width at first; the user may widen them
TOOLS = (("pan", "Pan", "P", "Drag to pan, wheel to zoom"),
         ("box", "Box select", "B", "Drag a box to select points (Shift adds)"),
         ("lasso", "Lasso select", "L", "Draw around points to select them (Shift adds)"))


def qt_lab(parent: QMainWindow, engine: Engine | None = None) -> LatentLab:
    """A lab whose jobs run on QThreads and whose decodes wait for the next event-loop pass;
    ``engine`` says whether torch is loaded yet (the window's; ready when None)."""
    return LatentLab(runners=lambda name: QtRunner(name, parent), call_soon=CallSoon(parent),
                     engine=engine)


class LatentMapsWorkspace(Workspace):
    title = "Latent maps"
    lesson_name = LATENT_MAPS

    def __init__(self, window: QMainWindow) -> None:
        self.lab = lab = qt_lab(window, getattr(window, "engine", None))
        super().__init__(window, lab.notes)
        self.maps = {
            PIXELS: MapView(lab, PIXELS, ("PC 1", "PC 2")),
            LATENT: MapView(lab, LATENT, ("z₁", "z₂")),
            THIRD: MapView(lab, THIRD, ("x", "y"),
                           empty_text="Choose a source and a method above, then Apply"),
        }
        # Each map has its source and method above; the codes map its timeline below.
        self.timeline = TimelineBar(lab)
        self.map_controls = {map_id: ProjectionControls(lab, map_id) for map_id in self.maps}
        self.map_boxes: dict[str, QWidget] = {}
        map_row = self.map_row = QSplitter(Qt.Orientation.Horizontal)
        for map_id, view in self.maps.items():
            box = QWidget()
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(0, 0, 0, 0)
            box_layout.setSpacing(2)
            box_layout.addWidget(self.map_controls[map_id])
            box_layout.addWidget(view, 1)
            if map_id == LATENT:
                box_layout.addWidget(self.timeline)
            map_row.addWidget(box)
            self.map_boxes[map_id] = box
        self.map_boxes[THIRD].hide()  # until the user adds it (+ Map)
        maps_box = QWidget()
        maps_layout = QVBoxLayout(maps_box)
        maps_layout.setContentsMargins(4, 4, 4, 0)
        maps_layout.addWidget(map_row, 1)
        self.maps_legend = ClassLegend(lab)
        maps_layout.addWidget(self.maps_legend)

        self.probe_panel = ProbePanel(lab)
        self.loss_plot = LossPlot(lab)
        self.recon_strip = ReconstructionStrip(lab)
        self.code_panel = CodePanel(lab)
        self.sample_grid = SampleGrid(lab)
        # Autoencoders show reconstructions; GANs, which cannot reconstruct, and conditional
        # models (to compare) show samples.
        self.outputs = PageStack()
        self.outputs.addWidget(self.recon_strip)
        self.outputs.addWidget(self.sample_grid)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.probe_panel)
        bottom.addWidget(self.code_panel)
        bottom.addWidget(self.outputs)
        bottom.addWidget(self.loss_plot)
        self.loss_plot.setMinimumWidth(160)  # room for the curves and their legend
        bottom.setSizes([320, 240, 320, 520])
        # Extra width goes to the loss curves first: the image panels keep their pixels square.
        for index, stretch in enumerate((1, 0, 1, 2)):
            bottom.setStretchFactor(index, stretch)
        central = QSplitter(Qt.Orientation.Vertical)
        central.addWidget(maps_box)
        central.addWidget(bottom)
        central.setSizes([560, 300])
        self.central = central

        self.training_panel = TrainingPanel(lab)
        self.training_dock = self._dock("Model and training", "trainingDock",
                                        self.training_panel)
        self.training_dock.widget().setMinimumWidth(290)
        # The docks' tabs would make them as wide as all four titles: the maps need the width.
        QTimer.singleShot(0, lambda: window.resizeDocks([self.training_dock], [DOCK_WIDTH],
                                                        Qt.Orientation.Horizontal))
        # The dataset panel shares the left side with the model form, one tab each.
        self.dataset_panel = DatasetPanel(lab)
        self.dataset_dock = self._dock("Dataset", "datasetDock", self.dataset_panel)
        self.recent = RecentFiles(lab.files, lab.data, lab.notes)
        self.data_actions = DataActions(lab, window, self.recent)
        self.file_actions = FileActions(lab, window, self.recent)
        self.recent_menu = RecentMenu(self.recent, self.file_actions, self.data_actions, window)
        self.tools_menu = ToolsMenu(lab, window, self)  # Tools, File → Export, their docks
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.training_dock)
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dataset_dock)
        window.tabifyDockWidget(self.training_dock, self.dataset_dock)
        window.tabifyDockWidget(self.dataset_dock, self.tools_menu.gallery_dock)
        self._build_semisup()
        self.training_dock.raise_()
        self.docks = [self.training_dock, self.dataset_dock, self.tools_menu.gallery_dock,
                      self.tools_menu.metrics_dock, self.semisup_dock,
                      self.semisup_results_dock]
        self.menus = [self.tools_menu.menu]
        self.file_items = [*self.data_actions.actions, None, *self.file_actions.actions,
                           self.recent_menu.menu, self.recent_menu.models_action,
                           self.tools_menu.export_menu]
        self.load_status = LoadStatus(lab)
        self.dataset_label = QLabel()
        self.status_widgets = [self.load_status, self.dataset_label]
        self._build_toolbar()
        decode_help = QAction("Decoding anywhere on a map", window)
        decode_help.triggered.connect(
            lambda: QMessageBox.information(window, "Decoding anywhere", DECODE_ANYWHERE_HELP))
        self.help_actions = [decode_help]
        # Presentation mode's controls (lessonfile.CONTROLS) and the widgets they stand for.
        self.shown_controls = ShownControls({
            "dataset": [self.dataset_dock], "model": [self.training_dock],
            "map:pixels": [self.map_boxes[PIXELS]], "map:latent": [self.map_boxes[LATENT]],
            "map:third": [self.map_boxes[THIRD]], "map controls": [*self.map_controls.values()],
            "timeline": [self.timeline], "legend": [self.maps_legend],
            "probe": [self.probe_panel], "codes": [self.code_panel], "outputs": [self.outputs],
            "loss": [self.loss_plot], "toolbar": self.toolbars,
            "few labels": [self.semisup_dock, self.semisup_results_dock],
        }, others=[self.tools_menu.gallery_dock, self.tools_menu.metrics_dock], parent=window)
        lab.data.changed.connect(self._on_dataset_changed)
        lab.selection.changed.connect(self._on_selection_changed)
        lab.maps[THIRD].projection_changed.connect(self._on_third_projection_changed)
        lab.model.changed.connect(self._on_model_changed)
        lab.colouring.changed.connect(self._on_colours_changed)
        lab.model.status_changed.connect(self._on_colours_changed)  # error: not while training
        lab.model.run_ended.connect(self._on_colours_changed)
        lab.semisup.results_changed.connect(self._on_colours_changed)
        lab.semisup.results_changed.connect(self._on_semisup_results)

    def _dock(self, title: str, name: str, panel: QWidget) -> QDockWidget:
        # The forms scroll rather than widen: the maps get the width (1280 on a projector).
        scroll = FormScroll(panel, DOCK_WIDTH)
        dock = QDockWidget(title, self.window)
        dock.setObjectName(name)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        dock.setWidget(scroll)
        return dock

    def _build_semisup(self) -> None:
        """Few labels: the settings and hand labels beside the model form, the results below
        the maps (shown when there are some), and their Tools entry."""
        window = self.window
        self.semisup_panel = SemisupPanel(self.lab)
        self.semisup_dock = self._dock("Few labels", "semisupDock", self.semisup_panel)
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.semisup_dock)
        window.tabifyDockWidget(self.tools_menu.gallery_dock, self.semisup_dock)
        self.semisup_results = SemisupResults(self.lab)
        dock = self.semisup_results_dock = QDockWidget("Few labels: results", window)
        dock.setObjectName("semisupResultsDock")
        dock.setWidget(self.semisup_results)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        window.tabifyDockWidget(self.tools_menu.metrics_dock, dock)
        dock.hide()
        menu = self.tools_menu.menu
        menu.addSeparator()
        self.semisup_action = make_action(
            window, "Few labels…", "Ctrl+Shift+L", self.show_semisup,
            "Pretrained encoder against training from scratch, with a few labels (or yours)")
        menu.addAction(self.semisup_action)

    def show_semisup(self) -> None:
        """The few-labels panel in front, and its results when there are some."""
        self.semisup_dock.show()
        self.semisup_dock.raise_()
        if self.lab.semisup.results:
            self._show_semisup_results()

    def _show_semisup_results(self) -> None:
        dock = self.semisup_results_dock
        if not dock.isVisible():
            dock.show()
            self.window.resizeDocks([dock], [300], Qt.Orientation.Vertical)
        dock.raise_()

    def _on_semisup_results(self) -> None:
        if self.lab.semisup.results:
            self._show_semisup_results()

    def _build_toolbar(self) -> None:
        lab, window = self.lab, self.window
        bar = QToolBar("Map tools")
        bar.setObjectName("mapTools")
        bar.setMovable(False)
        self.toolbars = [bar]
        group = QActionGroup(window)
        self.tool_actions: dict[str, QAction] = {}
        for tool, text, key, tip in TOOLS:
            action = QAction(text, window, checkable=True)
            action.setShortcut(QKeySequence(key))
            action.setToolTip(f"{tip} ({key})")
            action.triggered.connect(lambda _=False, t=tool: lab.selection.set_tool(t))
            group.addAction(action)
            bar.addAction(action)
            self.tool_actions[tool] = action
        self.tool_actions[lab.selection.tool].setChecked(True)
        lab.selection.tool_changed.connect(lambda t: self.tool_actions[t].setChecked(True))
        bar.addSeparator()
        clear = QAction("Clear selection", window)
        clear.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        clear.setToolTip("Clear the selection in all maps (Esc)")
        clear.triggered.connect(lab.selection.clear)
        bar.addAction(clear)
        sample = QAction("Random sample", window)
        sample.setShortcut(QKeySequence("R"))
        sample.setToolTip("Decode a random code (R)")
        sample.triggered.connect(lab.maps.sample_random)
        bar.addAction(sample)
        self.third_map_action = QAction("+ Map", window, checkable=True)
        self.third_map_action.setToolTip("Show a third map: choose its source (inputs or codes) "
                                         "and method (PCA/LSA, UMAP, t-SNE, the codes)")
        self.third_map_action.toggled.connect(self.show_third_map)
        bar.addAction(self.third_map_action)
        bar.addSeparator()
        self.colour_by = QComboBox()
        self.colour_by.addItem("Colour: class", "label")
        self.colour_by.addItem("Colour: Q's category", "category")
        self.colour_by.addItem("Colour: predicted cluster", "cluster")
        self.colour_by.addItem("Colour: reconstruction error", "error")
        self.colour_by.addItem("Colour: predicted class (few labels)", "predicted")
        self.colour_by.addItem("Colour: correct or wrong (few labels)", "correct")
        self.colour_by.addItem("Colour: none", "none")
        self.colour_by.setToolTip(
            "Colour the maps by the dataset's labels; for InfoGAN by the category Q predicts; by "
            "a predicted cluster (Q's category for InfoGAN, else k-means of the codes); by each "
            "item's reconstruction error (sum of squares, 8 quantile bins, dark = low); by the "
            "class the few-labels result shown predicts for each test item, or whether it is "
            "right (train items grey); or not")
        self.colour_by.currentIndexChanged.connect(
            lambda _i: lab.colouring.set_colour_by(self.colour_by.currentData()))
        bar.addWidget(self.colour_by)
        self.selection_label = QLabel("")
        bar.addSeparator()
        bar.addWidget(self.selection_label)
        self.view_actions = [self.third_map_action]

    def _on_dataset_changed(self) -> None:
        dataset = self.lab.data.dataset
        if dataset is not None:
            self.dataset_label.setText(dataset.describe())

    def _on_model_changed(self) -> None:
        # A conditional VAE shows its class-per-row samples, as a conditional GAN does.
        live = self.lab.model.live_model
        samples = self.lab.model.gan is not None or (live is not None and live.needs_labels)
        self.outputs.setCurrentWidget(self.sample_grid if samples else self.recon_strip)
        self._on_colours_changed()

    def _on_colours_changed(self) -> None:
        # "By category" is offered only while the model predicts categories (InfoGAN's Q).
        colouring = self.lab.colouring
        for row in range(self.colour_by.count()):
            key = self.colour_by.itemData(row)
            self.colour_by.model().item(row).setEnabled(colouring.available(key))
        self.colour_by.blockSignals(True)
        self.colour_by.setCurrentIndex(self.colour_by.findData(colouring.colour_by))
        self.colour_by.blockSignals(False)

    def show_third_map(self, shown: bool) -> None:
        """Show or hide the third map (and its probe column); first shown, it starts computing."""
        self.map_boxes[THIRD].setVisible(shown)
        self.map_row.setSizes([1000] * len(self.maps))  # equal widths
        self.probe_panel.set_third_visible(shown)
        if self.third_map_action.isChecked() != shown:
            self.third_map_action.setChecked(shown)
        third = self.lab.maps[THIRD]
        if shown and third.coords is None and not third.projecting:
            self.map_controls[THIRD].apply()

    def _on_third_projection_changed(self) -> None:
        # A projection of the hidden third map (a lab's): show the map it will draw on.
        if self.lab.maps[THIRD].projecting and not self.third_map_action.isChecked():
            self.show_third_map(True)

    def _on_selection_changed(self) -> None:
        n = len(self.lab.selection.items)
        self.selection_label.setText(f"  {n:,} selected" if n else "")

    def quick_start(self) -> None:
        """Train the recommended VAE on the data shown, now (the form shows its settings)."""
        dataset = self.lab.data.dataset
        if dataset is None:
            return
        shape = dataset.input_shape if dataset.kind == "image" else None
        model_cfg, train_cfg = recommended_settings("vae", dataset.kind, shape, 2)
        self.lab.model.propose(model_cfg, train_cfg)
        try:
            self.lab.model.start_training(model_cfg, train_cfg)
        except (ConfigError, RuntimeError) as exc:
            self.lab.notes.report_error("Could not start training", str(exc))

    def step_targets(self) -> list[StepTarget]:
        return [LatentStepTarget(self.lab)]

    def capture_step(self, title: str) -> Step | None:
        try:
            model_cfg, train_cfg = self.training_panel.configs()
        except ConfigError:  # the form has a problem it shows: keep the model's settings
            model_cfg, train_cfg = self.lab.model.model_cfg, self.lab.model.train_cfg
        return latent_step_from(self.lab, model_cfg, train_cfg, title)

    def restyle(self) -> None:
        super().restyle()  # the plots' axes and backgrounds
        for view in self.maps.values():
            view.set_look(self.look)
        self.loss_plot.set_look(self.look)
        self.maps_legend.set_look(self.look)

    def show_controls(self, controls: tuple[str, ...] | None) -> None:
        self.shown_controls.show(controls)

    def shutdown(self) -> None:
        self.lab.shutdown()
