"""Controls above and below maps: a configurable map's source, method and parameters (Apply,
Cancel, progress), and the latent map's timeline scrubber."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from latentlab.qt.state import LabState
from latentlab.qt.state_maps import DECODE_ANYWHERE_HELP, METHOD_NAMES, METHODS, MapSetup

SOURCES = (("inputs", "Inputs"), ("codes", "Codes"))


def _compact(widget: QWidget, tip: str) -> QWidget:
    widget.setToolTip(tip)
    return widget


class ProjectionControls(QWidget):
    """Source · method · parameters · Apply / Cancel for one configurable map."""

    def __init__(self, state: LabState, map_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.map_id = map_id
        setup = state.map_setups[map_id]
        self.source = QComboBox()
        for key, name in SOURCES:
            self.source.addItem(name, key)
        self.source.setToolTip("What to map: the inputs (pixels or word vectors) or the model's "
                               "latent codes")
        self.method = QComboBox()
        for key in METHODS:
            self.method.addItem("PCA / LSA" if key == "pca" else METHOD_NAMES[key], key)
        self.method.setToolTip("PCA (LSA for text) and the codes themselves have an exact "
                               "inverse; UMAP and t-SNE decode by interpolating the codes of the "
                               "nearest map points.<br>" + DECODE_ANYWHERE_HELP)
        self.neighbours = _compact(QSpinBox(), "UMAP: n_neighbors (local vs global structure)")
        self.neighbours.setRange(2, 200)
        self.neighbours.setPrefix("k ")
        self.min_dist = _compact(QDoubleSpinBox(), "UMAP: min_dist (how tightly points pack)")
        self.min_dist.setRange(0.0, 1.0)
        self.min_dist.setSingleStep(0.05)
        self.min_dist.setPrefix("d ")
        self.perplexity = _compact(QDoubleSpinBox(), "t-SNE: perplexity (must be below the "
                                                     "number of items)")
        self.perplexity.setRange(1.0, 100_000.0)
        self.perplexity.setDecimals(0)
        self.perplexity.setPrefix("perp ")
        umap_box = QWidget()
        umap_row = QHBoxLayout(umap_box)
        umap_row.setContentsMargins(0, 0, 0, 0)
        umap_row.addWidget(self.neighbours)
        umap_row.addWidget(self.min_dist)
        self.params = QStackedWidget()
        self.params.addWidget(QWidget())  # PCA, codes: no parameters
        self.params.addWidget(umap_box)
        self.params.addWidget(self.perplexity)
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("Compute this map in the background")
        self.apply_button.clicked.connect(self.apply)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the projection; the map stays as it was")
        self.cancel_button.clicked.connect(state.cancel_projection)
        self.status = QLabel("")
        self.status.setObjectName("caption")
        # Progress text changes often and may be long: it must never widen the window.
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(1)
        row = QHBoxLayout()
        row.setSpacing(4)
        for widget in (self.source, self.method, self.params, self.apply_button,
                       self.cancel_button):
            row.addWidget(widget)
        outer.addLayout(row)
        outer.addWidget(self.status)  # progress while computing; how the probe decodes after
        self.method.currentIndexChanged.connect(self._on_method_changed)
        state.projection_changed.connect(self._on_projection_changed)
        state.projection_progress.connect(self._on_progress)
        self.set_setup(setup)
        self._on_projection_changed(map_id)

    def set_setup(self, setup: MapSetup) -> None:
        self.source.setCurrentIndex(self.source.findData(setup.source))
        self.method.setCurrentIndex(self.method.findData(setup.method))
        p = setup.params
        self.neighbours.setValue(int(p.get("n_neighbors", 15)))
        self.min_dist.setValue(float(p.get("min_dist", 0.1)))
        self.perplexity.setValue(float(p.get("perplexity", 30.0)))
        self._on_method_changed()

    def current_setup(self) -> MapSetup:
        method = self.method.currentData()
        params: dict = {}
        if method == "umap":
            params = {"n_neighbors": self.neighbours.value(),
                      "min_dist": round(self.min_dist.value(), 4)}
        elif method == "tsne":
            params = {"perplexity": self.perplexity.value()}
        return MapSetup(self.source.currentData(), method, params)

    def apply(self) -> None:
        self.state.project_map(self.map_id, self.current_setup())

    def _on_method_changed(self, _index: int = 0) -> None:
        method = self.method.currentData()
        self.params.setCurrentIndex({"umap": 1, "tsne": 2}.get(method, 0))
        if method == "codes":
            self.source.setCurrentIndex(self.source.findData("codes"))
        if method == "umap" and self.isVisible():
            self.state.warm_up_umap()  # lazily, on a background thread

    def _on_projection_changed(self, map_id: str) -> None:
        if map_id != self.map_id:
            return
        running = self.state.projecting_map == self.map_id
        self.cancel_button.setEnabled(running)
        self.apply_button.setEnabled(not running)
        setup = self.state.map_setups.get(self.map_id)
        if running and setup is not None and setup != self.current_setup():
            self.set_setup(setup)  # a projection started elsewhere (a lab, a script): show it

    def _on_progress(self, map_id: str, text: str) -> None:
        if map_id == self.map_id:
            self.status.setText(text or self.state.decode_status(map_id))
            self.status.setToolTip(self.status.text())


class TimelineBar(QWidget):
    """Replays how the latent map formed: one stop per recorded epoch, and Live."""

    def __init__(self, state: LabState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Drag to replay the latent map epoch by epoch; release to return "
                               "to the live map")
        self.label = QLabel("Timeline: train a model")
        self.label.setObjectName("caption")
        self.live_button = QPushButton("Live")
        self.live_button.setToolTip("Show the latest map")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Epoch"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.label)
        row.addWidget(self.live_button)
        self.slider.valueChanged.connect(self._on_value_changed)
        self.slider.sliderReleased.connect(lambda: state.show_epoch(None))
        self.live_button.clicked.connect(lambda: state.show_epoch(None))
        state.timeline_changed.connect(self._sync)
        self._sync()

    def _sync(self) -> None:
        epochs = [e for e, _ in self.state.timeline]
        self.slider.blockSignals(True)
        self.slider.setEnabled(bool(epochs))
        self.slider.setRange(0, max(len(epochs) - 1, 0))
        shown = self.state.timeline_epoch
        if shown in epochs:
            self.slider.setValue(epochs.index(shown))
        elif epochs:
            self.slider.setValue(len(epochs) - 1)
        self.slider.blockSignals(False)
        self.live_button.setEnabled(shown is not None)
        if not epochs:
            self.label.setText("no epochs yet")
        elif shown is None:
            self.label.setText(f"live · {len(epochs)} epoch(s)")
        else:
            self.label.setText(f"epoch {shown} of {epochs[-1]}")

    def _on_value_changed(self, value: int) -> None:
        if 0 <= value < len(self.state.timeline):
            self.state.show_epoch(self.state.timeline[value][0])
