"""The lab's state: the single source of truth every widget observes.

Widgets call the state's methods and listen to its signals; they never call each other. The state
holds the dataset, the maps' coordinates, the selection, the probes, the GUI thread's own copy of
the model for live decoding, the training runner and the dataset loader (``state_data``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import QObject, QTimer, Signal

from latentlab.config import ConfigError, ModelConfig, TrainConfig
from latentlab.core.data.dataset import Dataset
from latentlab.core.data.source import DataSource
from latentlab.core.maps.linear import PCA, LatentMap, TfidfLSA
from latentlab.core.models import GAN, LatentModel, build_model
from latentlab.core.models.generator_codes import GeneratorCode
from latentlab.core.training.events import (
    EpochEnded,
    Snapshot,
    StepProgress,
    TrainingFailed,
    TrainingFinished,
    TrainingStarted,
)
from latentlab.core.training.loop import train
from latentlab.core.training.views import LiveItems
from latentlab.qt.map_ids import LATENT, MAP_IDS, PIXELS, THIRD
from latentlab.qt.state_colours import ColourStateMixin
from latentlab.qt.state_data import (
    MAX_MAP_POINTS,
    DataStateMixin,
    LoadOutcome,
    PreparedMaps,
    prepare_maps,
)
from latentlab.qt.state_decoding import DecodingStateMixin
from latentlab.qt.state_files import FileStateMixin
from latentlab.qt.state_gan import GanStateMixin
from latentlab.qt.state_maps import MapStateMixin
from latentlab.qt.state_timeline import TimelineStateMixin
from latentlab.qt.workers import TaskRunner, TrainingRunner

__all__ = ["LATENT", "MAP_IDS", "MAX_MAP_POINTS", "PIXELS", "THIRD", "LabState",
           "LoadOutcome", "TrainingStatus"]

#: Progress reaches the GUI 4×/s: enough for a smooth bar and ETA, cheap for the training thread.
PROGRESS_INTERVAL_S = 0.25


@dataclass(frozen=True)
class TrainingStatus:
    state: str = "idle"  # idle, running, paused, stopping
    device: str = ""


class LabState(FileStateMixin, DataStateMixin, MapStateMixin, DecodingStateMixin,
               TimelineStateMixin, ColourStateMixin, GanStateMixin, QObject):
    dataset_changed = Signal()
    model_changed = Signal()
    map_changed = Signal(str)
    selection_changed = Signal()
    probe_moved = Signal(str)
    decoded = Signal(str)
    tool_changed = Signal(str)
    status_changed = Signal()
    training_started = Signal(object)
    training_finished = Signal(object)
    progress = Signal(object)
    epoch_ended = Signal(object)
    recon_changed = Signal()
    samples_changed = Signal()
    code_changed = Signal()  # the generator code (GANs) changed
    colours_changed = Signal()
    error = Signal(str, str, str)  # title, message, details
    notice = Signal(str, str, str)  # title, message, details: worth knowing, not an error
    message = Signal(str)
    loading_changed = Signal()  # a dataset load started or ended
    load_progress = Signal(object)  # LoadProgress
    load_ended = Signal(object)  # LoadOutcome: loaded, failed or cancelled
    projection_changed = Signal(str)  # a map's projection started or ended
    projection_progress = Signal(str, str)  # map id, text (empty: done)
    timeline_changed = Signal()  # a frame was recorded, or the replayed frame changed
    umap_warmed = Signal(str)  # from the UMAP warm-up thread: ready, or why not

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dataset: Dataset | None = None
        self.map_indices = np.zeros(0, dtype=np.int64)
        self.strip_indices = np.zeros(0, dtype=np.int64)
        self.coords: dict[str, np.ndarray | None] = dict.fromkeys(MAP_IDS)
        self.map_method: dict[str, str] = {PIXELS: "PCA of pixels", LATENT: "no model yet"}
        #: The linear baseline map: PCA of pixels, or LSA of TF-IDF for text.
        self.baseline: PCA | TfidfLSA | None = None
        self.model_cfg = ModelConfig()
        self.train_cfg = TrainConfig()
        self.live_model: LatentModel | None = None
        self.trained_model: LatentModel | None = None
        self.model_path: Path | None = None
        self.model_epoch = 0
        self.model_metrics: dict[str, float] = {}
        self._model_unsaved = False
        self.dataset_request: DataSource | None = None
        self._pending_lab = None
        self.latent_map: LatentMap | None = None
        self.codes: np.ndarray | None = None
        self.strip_recon: np.ndarray | None = None
        #: GANs: images from the fixed input batch, and their grid's (rows, columns).
        self.samples: np.ndarray | None = None
        self.samples_grid = (0, 0)
        #: GANs: what the generator decodes at the latent probe; noise held while codes change.
        self.gen_code: GeneratorCode | None = None
        self.lock_noise = True
        #: InfoGAN: Q's category per map item; maps colour by "label" or by "category".
        self.map_categories: np.ndarray | None = None
        self.colour_by = "label"
        self.selection = np.zeros(0, dtype=np.int64)
        self.probes: dict[str, np.ndarray] = {m: np.zeros(2, np.float32) for m in MAP_IDS}
        self.decoded_images: dict[str, np.ndarray | None] = dict.fromkeys(MAP_IDS)
        self.tool = "pan"
        self.status = TrainingStatus()
        self._sample_rng = torch.Generator().manual_seed(1234)
        self._dirty_probes: set[str] = set()
        self._probe_follows_codes = True
        # Coalesce probe moves: decode at most once per event-loop pass, always the latest spot.
        self._decode_timer = QTimer(self)
        self._decode_timer.setSingleShot(True)
        self._decode_timer.setInterval(0)
        self._decode_timer.timeout.connect(self._decode_dirty_probes)
        self.runner = TrainingRunner(self)
        self.runner.event.connect(self._on_training_event)
        self.runner.failed.connect(self._on_worker_failed)
        self.runner.finished.connect(self._on_runner_finished)
        self.load_request: DataSource | None = None
        self.loader = TaskRunner(self)
        self.loader.progress.connect(self.load_progress)
        self.loader.succeeded.connect(self._on_load_succeeded)
        self.loader.failed.connect(self._on_load_failed)
        self._init_maps()

    # ----------------------------------------------------------------- dataset
    @property
    def pixel_pca(self) -> PCA | None:
        """The baseline map when it is PCA of pixels (image datasets)."""
        return self.baseline if isinstance(self.baseline, PCA) else None

    def set_dataset(self, dataset: Dataset, prepared: PreparedMaps | None = None,
                    request: DataSource | None = None) -> None:
        """Switch datasets: models, maps, selection and probes start afresh.

        ``prepared`` (from a loader thread) spares fitting the baseline map here; ``request``
        says where the dataset came from, for labs and checkpoints to name it.
        """
        if self.runner.running:
            self.runner.stop_and_wait()
        prepared = prepared or prepare_maps(dataset)
        self.dataset, self.dataset_request = dataset, request
        self.map_indices = prepared.map_indices
        self.strip_indices = prepared.strip_indices
        self.baseline = prepared.baseline
        self._clear_configured_maps(codes_only=False)  # before the new views are set
        self.coords.update({PIXELS: prepared.coords, LATENT: None})
        self.map_method.update({PIXELS: prepared.method, LATENT: "no model yet"})
        self.selection = np.zeros(0, dtype=np.int64)  # selections name items of this dataset
        self._reset_model_views()
        self.dataset_changed.emit()
        for map_id in MAP_IDS:
            self.map_changed.emit(map_id)
        self.selection_changed.emit()
        # PCA's origin decodes to the mean image; LSA's probe starts amid the documents.
        self.set_probe(PIXELS, prepared.probe_start)

    def _reset_model_views(self) -> None:
        self._clear_configured_maps(codes_only=True)  # before the codes map is reset
        self.live_model = self.trained_model = None
        self.model_path, self.model_epoch, self.model_metrics = None, 0, {}
        self._model_unsaved = False
        self.latent_map = None
        self.codes = None
        self.strip_recon = None
        self.samples = None
        self.gen_code = None
        self.map_categories = None
        self.coords[LATENT] = None
        self.map_method[LATENT] = "no model yet"
        self.decoded_images[LATENT] = None
        self.model_changed.emit()
        self.recon_changed.emit()
        self.samples_changed.emit()
        self._reset_map_extras()
        self.set_colour_by("label")

    # --------------------------------------------------------------- selection
    def set_selection(self, positions: np.ndarray) -> None:
        """Select map points by their position in ``map_indices`` (shared by all maps)."""
        positions = np.unique(np.asarray(positions, dtype=np.int64))
        if np.array_equal(positions, self.selection):
            return
        self.selection = positions
        self.selection_changed.emit()

    def clear_selection(self) -> None:
        self.set_selection(np.zeros(0, dtype=np.int64))

    def set_tool(self, tool: str) -> None:
        if tool != self.tool:
            self.tool = tool
            self.tool_changed.emit(tool)

    # ------------------------------------------------------------------ probes
    def set_probe(self, map_id: str, xy: np.ndarray | tuple[float, float]) -> None:
        """Move a probe (a drag, a random sample): it stays where it was put from now on."""
        if map_id == LATENT:
            self._probe_follows_codes = False
            gan = self.gan
            if gan is not None and self.gen_code is not None and self.latent_map is not None:
                # The latent probe is a view of the generator code: the code follows it.
                values = self.latent_map.inverse_transform(np.asarray(xy, np.float32)[None])[0]
                self._set_gen_code(self._maybe_new_noise(self.gen_code.with_map_code(gan, values)),
                                   move_probe=False)
        self._move_probe(map_id, xy)

    def _move_probe(self, map_id: str, xy: np.ndarray | tuple[float, float]) -> None:
        self.probes[map_id] = np.asarray(xy, dtype=np.float32).reshape(2)
        self.probe_moved.emit(map_id)
        self._dirty_probes.add(map_id)
        self._decode_timer.start()

    def decode_now(self) -> None:
        """Decode pending probes immediately (the timer does this on the next loop pass)."""
        self._decode_timer.stop()
        self._decode_dirty_probes()

    def _decode_dirty_probes(self) -> None:
        dirty, self._dirty_probes = self._dirty_probes, set()
        for map_id in dirty:
            image = self._decode(map_id)
            if image is not None:
                self.decoded_images[map_id] = image
                self.decoded.emit(map_id)

    def _decode(self, map_id: str) -> np.ndarray | None:
        if self.dataset is None:
            return None
        xy = self.probes[map_id][None, :]
        if map_id in self.map_fits or map_id == THIRD:  # a chosen projection
            return self._decode_projection(map_id, xy)
        if map_id == PIXELS:
            assert self.baseline is not None
            flat = self.baseline.inverse_transform(xy)
            return flat.reshape(self.dataset.input_shape)
        gan = self.gan
        if gan is not None and self.gen_code is not None:
            z = self.gen_code.inputs(gan)
        elif self.live_model is None or self.latent_map is None or self.coords[LATENT] is None:
            return None
        else:
            z = torch.from_numpy(self.latent_map.inverse_transform(xy))
        with torch.inference_mode():
            return self.live_model.decode(z)[0].numpy()

    def sample_random(self) -> None:
        """Decode a random code: the VAE's prior, or a Gaussian fitted to an autoencoder's codes."""
        gan = self.gan
        if gan is not None and self.gen_code is not None:
            self._set_gen_code(GeneratorCode.from_prior(gan, self._sample_rng))
            self.message.emit("Random sample: noise and codes drawn from the generator's prior.")
            return
        if self.live_model is None or self.codes is None or self.latent_map is None:
            self.message.emit("Train a model first: random samples come from its code space.")
            return
        z = self.live_model.prior_sample(1, self._sample_rng)
        if z is None:
            mean = self.codes.mean(0)
            cov = np.atleast_2d(np.cov(self.codes, rowvar=False))
            chol = np.linalg.cholesky(cov + 1e-6 * np.eye(len(mean)))
            eps = torch.randn(len(mean), generator=self._sample_rng).numpy()
            z = torch.from_numpy((mean + chol @ eps)[None].astype(np.float32))
            source = "a Gaussian fitted to the codes"
        else:
            source = "the prior N(0, I)"
        if self.replaced(LATENT):
            # A UMAP or t-SNE map has no place for a new code: show the sample, mark nothing.
            with torch.inference_mode():
                self.decoded_images[LATENT] = self.live_model.decode(z)[0].numpy()
            self.decoded.emit(LATENT)
            self.message.emit(f"Random sample from {source} (not marked: this map is a "
                              "projection of the items).")
            return
        self.set_probe(LATENT, self.latent_map.transform(z.numpy())[0])
        self.message.emit(f"Random sample from {source}.")

    # ---------------------------------------------------------------- training
    def start_training(self, model_cfg: ModelConfig, train_cfg: TrainConfig) -> None:
        if self.dataset is None:
            raise RuntimeError("No dataset loaded.")
        problems = model_cfg.validate(self.dataset.input_shape) + train_cfg.validate()
        if problems:
            raise ConfigError(problems)
        if self.runner.running:
            raise RuntimeError("Training is already running.")
        model = build_model(model_cfg, self.dataset.input_shape, seed=train_cfg.seed)
        self.model_cfg, self.train_cfg = model_cfg, train_cfg
        self._reset_model_views()
        # The GUI thread's own copy: decoding never touches the model being trained.
        self.live_model = copy.deepcopy(model).eval()
        self.trained_model, self._model_unsaved = model, True
        self._probe_follows_codes = True
        self._prepare_latent_map(model)
        self.model_changed.emit()
        self.map_changed.emit(LATENT)
        dataset, live = self.dataset, LiveItems(self.map_indices, self.strip_indices)
        self.runner.start(
            lambda control: train(model, dataset, train_cfg, control, live,
                                  progress_interval_s=PROGRESS_INTERVAL_S),
            cpu_threads=train_cfg.cpu_threads,
        )
        self._set_status("running")

    def _prepare_latent_map(self, model: LatentModel) -> None:
        cfg = model.cfg
        if isinstance(model, GAN):
            self._prepare_generator_map(model)
            return
        self.latent_map = LatentMap(cfg.latent_dim)
        self.map_method[LATENT] = (
            f"{'VAE' if cfg.family == 'vae' else 'Autoencoder'} codes"
            + ("" if cfg.latent_dim <= 2 else f" · PCA of {cfg.latent_dim}-D")
        )

    def pause_training(self) -> None:
        if self.runner.running and self.status.state == "running":
            self.runner.pause()
            self._set_status("paused")

    def resume_training(self) -> None:
        if self.runner.running and self.status.state == "paused":
            self.runner.resume()
            self._set_status("running")

    def stop_training(self) -> None:
        if self.runner.running:
            self.runner.stop()
            self._set_status("stopping")

    def shutdown(self) -> None:
        """Stop training, loading and projections and wait for their threads: a QThread
        destroyed while running aborts. (UMAP's warm-up, a daemon thread, is not waited for.)"""
        self.runner.stop_and_wait()
        self.loader.cancel_and_wait()
        for projector in self.projectors.values():
            projector.cancel_and_wait()
        self._projecting.clear()
        self.load_request = None
        self._decode_timer.stop()

    def _set_status(self, state: str, device: str | None = None) -> None:
        device = self.status.device if device is None else device
        self.status = TrainingStatus(state, device)
        self.status_changed.emit()

    def _on_training_event(self, event: object) -> None:
        if isinstance(event, Snapshot):
            self._apply_snapshot(event)
        elif isinstance(event, StepProgress):
            self.progress.emit(event)
        elif isinstance(event, EpochEnded):
            self.model_epoch = event.epoch
            self.model_metrics = {**{f"train_{k}": v for k, v in event.train.items()},
                                  **{f"test_{k}": v for k, v in event.test.items()}}
            self._timeline_epoch_end(event.epoch)
            self.epoch_ended.emit(event)
        elif isinstance(event, TrainingStarted):
            self._set_status(self.status.state, device=event.device)
            self.training_started.emit(event)
        elif isinstance(event, TrainingFinished):
            self.training_finished.emit(event)
        elif isinstance(event, TrainingFailed):
            self.error.emit("Training stopped", event.message, "")

    def _apply_snapshot(self, snap: Snapshot) -> None:
        if self.live_model is None or self.latent_map is None:
            return
        state = {k: torch.from_numpy(v) for k, v in snap.decoder_state.items()}
        self.live_model.decoder.load_state_dict(state)
        if snap.recon is not None:
            self.strip_recon = snap.recon
            self.recon_changed.emit()
        if snap.samples is not None:
            self.samples = snap.samples
            self.samples_changed.emit()
        if snap.map_categories is not None:
            self.map_categories = snap.map_categories
            if self.colour_by == "category":
                self.colours_changed.emit()
        if snap.map_codes is not None and np.isfinite(snap.map_codes).all():
            self.codes = snap.map_codes
            self.latent_map.refit(snap.map_codes)
            self.timeline_index = None  # new codes: the map is live again
            shown = self.set_built_in_coords(LATENT, self.latent_map.transform(snap.map_codes))
            self._on_codes_arrived(snap.map_codes, snap.global_step, snap.epoch_float)
            if shown and self._probe_follows_codes and self.gan is None:
                # Until the user places it, the probe rides along in the middle of the codes,
                # which drift and grow while the model learns. (A projection replacing the
                # codes map keeps its probe where it is.)
                self._move_probe(LATENT, np.median(self.coords[LATENT], axis=0))
                return
            if self.gan is not None and self.gen_code is not None:
                # The codes' PCA may have moved: keep the probe on the generator's code.
                code = self.gen_code.map_code(self.gan)[None]
                self._move_probe(LATENT, self.latent_map.transform(code)[0])
                return
        # New weights change what the probe decodes to, even if it did not move.
        self._dirty_probes.add(LATENT)
        self._decode_timer.start()

    def _on_worker_failed(self, message: str, details: str) -> None:
        self.error.emit("Training failed", message, details)

    def _on_runner_finished(self) -> None:
        self._set_status("idle")
        model = self.trained_model
        if model is not None and self._model_unsaved:
            # The run is over, so its model may be read here: the GUI's copy gets the encoder's
            # weights too, and the model is kept on disk whatever happens next.
            model.cpu().eval()
            if self.live_model is not None and self.live_model is not model:
                self.live_model.load_state_dict(model.state_dict())
            self._model_unsaved = False
            self.autosave_model()
