"""Controls above and below maps: each map's source, method and parameters (Apply, Cancel,
progress), and the codes map's timeline scrubber."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from latentlab.core.maps.methods import DEFAULT_PARAMS, MENU_METHODS, METHOD_NAMES, SOURCES
from latentlab.core.maps.setup import MapSetup
from latentlab.lab.decoding import DECODE_ANYWHERE_HELP
from latentlab.lab.latent_lab import LatentLab
from latentlab.lab.map_state import LATENT, progress_steps
from latentlab.lab.timeline import TIMELINE_EVERY
from latentlab.qt.widgets.elided_label import ElidedLabel


def _compact(widget: QWidget, tip: str) -> QWidget:
    widget.setToolTip(tip)
    return widget


class ProjectionControls(QWidget):
    """Source · method · parameters · Apply (Cancel while computing) for one map."""

    def __init__(self, lab: LatentLab, map_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.map_id = map_id
        setup = lab.maps[map_id].setup
        self.source = QComboBox()
        for key, name in SOURCES.items():
            self.source.addItem(name, key)
        self.source.setToolTip("What to map: the inputs (pixels or word vectors) or the model's "
                               "latent codes")
        self.method = QComboBox()
        for key in MENU_METHODS:
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
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("Compute this map in the background")
        self.apply_button.clicked.connect(self.apply)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the projection; the map stays as it was")
        self.cancel_button.clicked.connect(lambda: lab.maps.cancel_projection(map_id))
        # While computing: a bar (counting iterations or epochs where the phase does, busy
        # where it does not) beside the phase; else how the probe decodes. Progress text
        # changes often and may be long: it is cut to fit, never widens the window.
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(110)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.status = ElidedLabel("")
        self.status.setObjectName("caption")
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        # Two short rows, so three maps fit side by side: what and how, then its parameters
        # with the progress (or how the probe decodes) beside them.
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(1)
        row = QHBoxLayout()
        row.setSpacing(4)
        for widget in (self.source, self.method, self.apply_button, self.cancel_button):
            row.addWidget(widget)
        row.addStretch(1)
        outer.addLayout(row)
        details = QWidget()
        details_row = QHBoxLayout(details)
        details_row.setContentsMargins(0, 0, 0, 0)
        details_row.setSpacing(4)
        for widget in (self.neighbours, self.min_dist, self.perplexity):
            details_row.addWidget(widget)
        details_row.addWidget(self.progress, 1)
        details_row.addWidget(self.status, 2)
        # One height whatever the method shows, so the map below never shifts.
        details.setFixedHeight(self.perplexity.sizeHint().height())
        outer.addWidget(details)
        self.method.currentIndexChanged.connect(self._on_method_changed)
        self.map = lab.maps[map_id]
        self.map.projection_changed.connect(self._on_projection_changed)
        self.map.projection_progress.connect(self._on_progress)
        if map_id == LATENT:
            lab.model.changed.connect(self._on_model_changed)
        self.set_setup(setup)
        self._on_projection_changed()
        self._on_progress(self.map.progress)

    def _on_model_changed(self) -> None:
        # A GAN's map is its generator's code space, tied to the code panel: not replaceable.
        gan = self.lab.model.gan is not None
        self.setEnabled(not gan)
        self.setToolTip("A GAN's map is its generator's code space" if gan else "")

    def set_setup(self, setup: MapSetup) -> None:
        self.source.setCurrentIndex(self.source.findData(setup.source))
        self.method.setCurrentIndex(self.method.findData(setup.method))
        p = {**DEFAULT_PARAMS["umap"], **DEFAULT_PARAMS["tsne"], **setup.params}
        self.neighbours.setValue(int(p["n_neighbors"]))
        self.min_dist.setValue(float(p["min_dist"]))
        self.perplexity.setValue(float(p["perplexity"]))
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
        self.lab.maps.project(self.map_id, self.current_setup())

    def _on_method_changed(self, _index: int = 0) -> None:
        method = self.method.currentData()
        self.neighbours.setVisible(method == "umap")
        self.min_dist.setVisible(method == "umap")
        self.perplexity.setVisible(method == "tsne")
        if method == "codes":
            self.source.setCurrentIndex(self.source.findData("codes"))
        if method == "umap" and self.isVisible():
            self.lab.maps.warm_up_umap()  # lazily, on a background thread

    def _on_projection_changed(self) -> None:
        running = self.map.projecting
        # One place for the button: Apply, or Cancel while this map is computed.
        self.cancel_button.setEnabled(running)
        self.cancel_button.setVisible(running)
        self.apply_button.setEnabled(not running)
        self.apply_button.setVisible(not running)
        setup = self.map.setup
        if setup != self.current_setup():
            # Started elsewhere (a lab), or back to what the map shows (cancelled, new data).
            self.set_setup(setup)

    def _on_progress(self, text: str) -> None:
        self.status.setText(text or self.lab.maps.decode_status(self.map_id))
        self.progress.setVisible(self.map.projecting)
        steps = progress_steps(text)
        if steps is None:
            self.progress.setRange(0, 0)  # busy: this phase does not count its steps
        else:
            self.progress.setRange(0, steps[1])
            self.progress.setValue(steps[0])


class TimelineBar(QWidget):
    """Replays how the codes map formed: a stop per frame, Live, and how often to record one."""

    def __init__(self, lab: LatentLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Drag to replay how the codes map formed, frame by frame; release "
                               "to return to the live map")
        self.label = ElidedLabel("train a model")
        self.label.setObjectName("caption")
        # Its text changes as the slider moves: it must never re-lay out the window.
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.live_button = QPushButton("Live")
        self.live_button.setToolTip("Show the latest map")
        # Only as wide as its word: the slider and the frame's epoch need the room.
        self.live_button.setMaximumWidth(self.live_button.fontMetrics().horizontalAdvance("Live")
                                         + 24)
        self.every = QComboBox()
        for steps in TIMELINE_EVERY:
            self.every.addItem("epochs" if steps == 0 else f"{steps} steps", steps)
        self.every.setToolTip("Record a frame at the end of each epoch, or also about every N "
                              "steps (as often as the live map's updates allow)")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.slider, 3)
        row.addWidget(self.label, 2)
        row.addWidget(self.live_button)
        row.addWidget(self.every)
        self.slider.valueChanged.connect(self._on_value_changed)
        self.slider.sliderReleased.connect(lambda: lab.timeline.show_frame(None))
        self.live_button.clicked.connect(lambda: lab.timeline.show_frame(None))
        self.every.currentIndexChanged.connect(
            lambda _i: lab.timeline.set_every(self.every.currentData()))
        lab.timeline.changed.connect(self._sync)
        lab.maps[LATENT].changed.connect(self._sync)
        self._sync()

    def _sync(self) -> None:
        frames = self.lab.timeline.frames
        replaced = self.lab.maps[LATENT].replaced
        shown = self.lab.timeline.index
        self.slider.blockSignals(True)
        self.slider.setEnabled(bool(frames) and not replaced)
        self.slider.setRange(0, max(len(frames) - 1, 0))
        self.slider.setValue(len(frames) - 1 if shown is None else shown)
        self.slider.blockSignals(False)
        self.every.blockSignals(True)
        self.every.setCurrentIndex(max(0, self.every.findData(self.lab.timeline.every)))
        self.every.blockSignals(False)
        self.live_button.setEnabled(shown is not None)
        if replaced:
            text = "replays the Codes view only"
        elif not frames:
            text = "no frames yet"
        elif shown is None:
            text = f"live · {len(frames)}"
        else:
            frame = frames[shown]
            text = f"epoch {frame.epoch:.0f}" if frame.epoch_end else f"epoch {frame.epoch:.2f}"
        self.label.setText(text)
        if frames and shown is not None:
            tip = f"{text} · step {frames[shown].step:,}"
        else:
            tip = f"{len(frames)} frame(s) recorded: drag the slider to replay them"
        self.label.setToolTip(tip)

    def _on_value_changed(self, value: int) -> None:
        self.lab.timeline.show_frame(value)
