"""The main window: panels composed around one LabState."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from latentlab import __version__
from latentlab.qt.data_actions import DataActions
from latentlab.qt.file_actions import FileActions
from latentlab.qt.state import LATENT, PIXELS, THIRD, LabState
from latentlab.qt.state_maps import DECODE_ANYWHERE_HELP
from latentlab.qt.tools_menu import ToolsMenu
from latentlab.qt.widgets.dataset_panel import DatasetPanel
from latentlab.qt.widgets.gan_panels import CodePanel, SampleGrid
from latentlab.qt.widgets.image_panels import ProbePanel, ReconstructionStrip
from latentlab.qt.widgets.legend import ClassLegend
from latentlab.qt.widgets.load_status import LoadStatus
from latentlab.qt.widgets.loss_plot import LossPlot
from latentlab.qt.widgets.map_controls import ProjectionControls, TimelineBar
from latentlab.qt.widgets.map_view import MapView
from latentlab.qt.widgets.training_panel import TrainingPanel

TOOLS = (("pan", "Pan", "P", "Drag to pan, wheel to zoom"),
         ("box", "Box select", "B", "Drag a box to select points (Shift adds)"),
         ("lasso", "Lasso select", "L", "Draw around points to select them (Shift adds)"))


class MainWindow(QMainWindow):
    def __init__(self, state: LabState | None = None) -> None:
        super().__init__()
        self.state = state or LabState(self)
        self.setWindowTitle("latentlab")
        self.resize(1440, 900)

        self.maps = {
            PIXELS: MapView(self.state, PIXELS, ("PC 1", "PC 2")),
            LATENT: MapView(self.state, LATENT, ("z₁", "z₂")),
            THIRD: MapView(self.state, THIRD, ("x", "y"),
                           empty_text="Choose a source and a method above, then Apply"),
        }
        # Each map has its source and method above; the codes map its timeline below.
        self.timeline = TimelineBar(self.state)
        self.map_controls = {map_id: ProjectionControls(self.state, map_id)
                             for map_id in self.maps}
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
        maps_layout.addWidget(ClassLegend(self.state))

        self.probe_panel = ProbePanel(self.state)
        self.loss_plot = LossPlot(self.state)
        self.recon_strip = ReconstructionStrip(self.state)
        self.code_panel = CodePanel(self.state)
        self.sample_grid = SampleGrid(self.state)
        # Autoencoders show reconstructions; GANs, which cannot reconstruct, show samples.
        self.outputs = QStackedWidget()
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
        self.setCentralWidget(central)

        self.training_panel = TrainingPanel(self.state)
        scroll = QScrollArea()
        scroll.setWidget(self.training_panel)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(290)
        dock = QDockWidget("Model and training", self)
        dock.setObjectName("trainingDock")
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        dock.setWidget(scroll)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        # The dataset panel shares the left side with the model form, one tab each.
        self.dataset_panel = DatasetPanel(self.state)
        data_scroll = QScrollArea()
        data_scroll.setWidget(self.dataset_panel)
        data_scroll.setWidgetResizable(True)
        self.dataset_dock = QDockWidget("Dataset", self)
        self.dataset_dock.setObjectName("datasetDock")
        self.dataset_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.dataset_dock.setWidget(data_scroll)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dataset_dock)
        self.tabifyDockWidget(dock, self.dataset_dock)
        dock.raise_()

        self.data_actions = DataActions(self.state, self)
        self.file_actions = FileActions(self.state, self)
        self.tools_menu = ToolsMenu(self.state, self)  # Tools menu, File → Export, their docks
        self.tabifyDockWidget(self.dataset_dock, self.tools_menu.gallery_dock)
        dock.raise_()
        self._build_toolbar()
        self.load_status = LoadStatus(self.state)
        self.statusBar().addPermanentWidget(self.load_status)
        self.dataset_label = QLabel()
        self.statusBar().addPermanentWidget(self.dataset_label)
        self.state.dataset_changed.connect(self._on_dataset_changed)
        self.state.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.state.error.connect(self.show_error)
        self.state.selection_changed.connect(self._on_selection_changed)
        self.state.projection_changed.connect(self._on_projection_changed)
        self.state.model_changed.connect(self._on_model_changed)
        self.state.colours_changed.connect(self._on_colours_changed)
        self.state.status_changed.connect(self._on_colours_changed)  # error: not while training
        self.state.training_finished.connect(lambda _e: self._on_colours_changed())

    def _build_toolbar(self) -> None:
        bar = QToolBar("Map tools")
        bar.setObjectName("mapTools")
        bar.setMovable(False)
        self.addToolBar(bar)
        group = QActionGroup(self)
        self.tool_actions: dict[str, QAction] = {}
        for tool, text, key, tip in TOOLS:
            action = QAction(text, self, checkable=True)
            action.setShortcut(QKeySequence(key))
            action.setToolTip(f"{tip} ({key})")
            action.triggered.connect(lambda _=False, t=tool: self.state.set_tool(t))
            group.addAction(action)
            bar.addAction(action)
            self.tool_actions[tool] = action
        self.tool_actions[self.state.tool].setChecked(True)
        self.state.tool_changed.connect(lambda t: self.tool_actions[t].setChecked(True))
        bar.addSeparator()
        clear = QAction("Clear selection", self)
        clear.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        clear.setToolTip("Clear the selection in all maps (Esc)")
        clear.triggered.connect(self.state.clear_selection)
        bar.addAction(clear)
        sample = QAction("Random sample", self)
        sample.setShortcut(QKeySequence("R"))
        sample.setToolTip("Decode a random code (R)")
        sample.triggered.connect(self.state.sample_random)
        bar.addAction(sample)
        self.third_map_action = QAction("+ Map", self, checkable=True)
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
        self.colour_by.addItem("Colour: none", "none")
        self.colour_by.setToolTip(
            "Colour the maps by the dataset's labels; for InfoGAN by the category Q predicts; by "
            "a predicted cluster (Q's category for InfoGAN, else k-means of the codes); by each "
            "item's reconstruction error (sum of squares, 8 quantile bins, dark = low); or not")
        self.colour_by.currentIndexChanged.connect(
            lambda _i: self.state.set_colour_by(self.colour_by.currentData()))
        bar.addWidget(self.colour_by)
        self.selection_label = QLabel("")
        bar.addSeparator()
        bar.addWidget(self.selection_label)
        quit_action = QAction("Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addActions(list(self.data_actions.actions))
        file_menu.addSeparator()
        file_menu.addActions(list(self.file_actions.actions))
        file_menu.addMenu(self.tools_menu.export_menu)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        self.menuBar().addMenu(self.tools_menu.menu)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.third_map_action)
        about = QAction("About latentlab", self)
        about.triggered.connect(self._show_about)
        help_menu = self.menuBar().addMenu("&Help")
        decode_help = QAction("Decoding anywhere on a map", self)
        decode_help.triggered.connect(
            lambda: QMessageBox.information(self, "Decoding anywhere", DECODE_ANYWHERE_HELP))
        help_menu.addAction(decode_help)
        help_menu.addAction(about)

    def _on_dataset_changed(self) -> None:
        if self.state.dataset is not None:
            self.dataset_label.setText(self.state.dataset.describe())

    def _on_model_changed(self) -> None:
        gan = self.state.gan is not None
        self.outputs.setCurrentWidget(self.sample_grid if gan else self.recon_strip)
        self._on_colours_changed()

    def _on_colours_changed(self) -> None:
        # "By category" is offered only while the model predicts categories (InfoGAN's Q).
        for row in range(self.colour_by.count()):
            key = self.colour_by.itemData(row)
            self.colour_by.model().item(row).setEnabled(self.state.colour_available(key))
        self.colour_by.blockSignals(True)
        self.colour_by.setCurrentIndex(self.colour_by.findData(self.state.colour_by))
        self.colour_by.blockSignals(False)

    def show_third_map(self, shown: bool) -> None:
        """Show or hide the third map (and its probe column); first shown, it starts computing."""
        self.map_boxes[THIRD].setVisible(shown)
        self.map_row.setSizes([1000] * len(self.maps))  # equal widths
        self.probe_panel.set_third_visible(shown)
        if self.third_map_action.isChecked() != shown:
            self.third_map_action.setChecked(shown)
        if shown and self.state.coords[THIRD] is None and not self.state.is_projecting(THIRD):
            self.map_controls[THIRD].apply()

    def _on_projection_changed(self, map_id: str) -> None:
        # A projection of the hidden third map (a lab's): show the map it will draw on.
        if map_id == THIRD and self.state.is_projecting(THIRD) and (
                not self.third_map_action.isChecked()):
            self.show_third_map(True)

    def _on_selection_changed(self) -> None:
        n = len(self.state.selection)
        self.selection_label.setText(f"  {n:,} selected" if n else "")

    def show_error(self, title: str, message: str, details: str = "") -> None:
        """A readable, non-blocking error dialog; the technical details stay folded away."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok,
                          self)
        if details:
            box.setDetailedText(details)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _show_about(self) -> None:
        QMessageBox.about(
            self, "About latentlab",
            f"<b>latentlab {__version__}</b><p>A desktop laboratory for latent spaces.</p>"
            "<p><b>Bundled data.</b> The embedded digits are the UCI ML hand-written digits "
            "(E. Alpaydin, C. Kaynak), shipped with scikit-learn; licensed CC BY 4.0.</p>"
            "<p><b>Built on</b> Qt and PySide6 (LGPL-3.0), pyqtgraph (MIT), PyTorch, NumPy, "
            "SciPy, scikit-learn, umap-learn, numba (BSD licences) and Pillow (MIT-CMU).</p>",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        # Stop the worker and wait: a QThread destroyed while running aborts the process.
        self.state.shutdown()
        self.tools_menu.shutdown()
        super().closeEvent(event)
