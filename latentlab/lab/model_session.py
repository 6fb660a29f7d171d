"""The model session: the settings, the model being trained and the GUI's live copy of it, the
training run, and what each snapshot brings (codes, reconstructions, samples, categories).

The training thread owns the model it trains. The session keeps its own copy for decoding
(``live_model``, in ``eval()`` mode) and loads each snapshot's decoder weights into it, so a
decode never waits for training and never sees half-updated weights. When the run ends the
trained model is the session's again: the live copy gets its encoder's weights too.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from psygnal import Signal

from latentlab.config import ConfigError, ModelConfig, TrainConfig
from latentlab.core.files.images import tile_images
from latentlab.core.training.device import training_cpu_threads
from latentlab.core.training.events import (
    EpochEnded,
    Snapshot,
    StepProgress,
    TrainingFailed,
    TrainingFinished,
    TrainingStarted,
)
from latentlab.lab.data_session import DataSession
from latentlab.lab.jobs import JobCallbacks, JobControl, Runner
from latentlab.lab.model_kinds import is_conditional_vae, is_gan, is_progan
from latentlab.lab.notifications import Notifications

#: Progress reaches the GUI 4×/s: enough for a smooth bar and ETA, cheap for the training thread.
PROGRESS_INTERVAL_S = 0.25

if TYPE_CHECKING:  # torch and the models load with the first model, not with the window
    import torch

    from latentlab.core.files.checkpoint import Checkpoint
    from latentlab.core.models import GAN, LatentModel


@dataclass(frozen=True)
class TrainingStatus:
    state: str = "idle"  # idle, running, paused, stopping
    device: str = ""


@dataclass(frozen=True)
class Growth:
    """A progressive GAN's stage, as its live copy's generator holds it."""

    resolution: int
    alpha: float

    @property
    def fading(self) -> bool:
        return self.alpha < 1

    def describe(self) -> str:
        """The stage in words: "14×14, fading in (α 0.43)", or "28×28" once fully in."""
        side = f"{self.resolution}×{self.resolution}"
        return f"{side}, fading in (α {self.alpha:.2f})" if self.fading else side


def _growth_of(model: LatentModel | None) -> Growth | None:
    return Growth(*model.growth) if is_progan(model) else None


class ModelSession:
    """The current model and its training; the only writer of these fields."""

    changed = Signal()  # a new model (or none): every model view starts afresh
    status_changed = Signal()
    started = Signal(object)  # TrainingStarted
    progress = Signal(object)  # StepProgress
    epoch_ended = Signal(object)  # EpochEnded
    finished = Signal(object)  # TrainingFinished: the run's last event
    failed = Signal(object)  # TrainingFailed (the loss became NaN): the run's last event
    run_ended = Signal()  # the training thread has ended: the trained model is final
    weights_changed = Signal()  # new decoder weights in the live model
    codes_changed = Signal(int, float)  # new codes of the map items: global step, epoch
    categories_changed = Signal()  # InfoGAN: Q's category per map item
    recon_changed = Signal()
    samples_changed = Signal()
    growth_changed = Signal()  # a progressive GAN's stage (side or α) moved
    stage_marked = Signal(float, int)  # its side changed: at which epoch, to which side
    #: (ModelConfig, TrainConfig): settings to show in the form (a lesson step's), not a model.
    proposed = Signal(object, object)

    def __init__(self, data: DataSession, runner: Runner, notes: Notifications) -> None:
        self._data = data
        self._runner = runner
        self._notes = notes
        self.model_cfg = ModelConfig()
        self.train_cfg = TrainConfig()
        #: The model a run trains (or an opened checkpoint's): what gets saved.
        self.trained_model: LatentModel | None = None
        #: The GUI thread's copy, for decoding while the other one trains.
        self.live_model: LatentModel | None = None
        #: Where the model was last saved or opened from (None: never saved).
        self.path: Path | None = None
        self.epoch = 0
        self.metrics: dict[str, float] = {}
        #: A run's model not yet written to disk.
        self.unsaved = False
        #: The run diverged (NaN): its model holds the last good weights, not a finished run.
        self.diverged = False
        #: From the start of a run until its thread has ended: the model is not final.
        self._in_run = False
        self.status = TrainingStatus()
        #: Codes of the map items (N×latent); InfoGAN: Q's continuous codes and categories.
        self.codes: np.ndarray | None = None
        self.categories: np.ndarray | None = None
        #: Reconstructions of the strip items; GANs: samples from a fixed batch, and its grid.
        self.strip_recon: np.ndarray | None = None
        self.samples: np.ndarray | None = None
        self.samples_grid = (0, 0)
        #: A progressive GAN's current stage (None for the others), and where the run's side
        #: changed: (epoch, new side), as the snapshots brought the changes.
        self.growth: Growth | None = None
        self.stage_marks: list[tuple[float, int]] = []

    @property
    def gan(self) -> GAN | None:
        """The live model when it is a GAN or InfoGAN."""
        return self.live_model if is_gan(self.live_model) else None

    @property
    def training(self) -> bool:
        return self._runner.running

    def finished_model(self) -> LatentModel | None:
        """The full trained model (encoder included), or None while training or before."""
        return None if self._in_run else self.trained_model

    # ------------------------------------------------------------ lifecycle
    def reset(self) -> None:
        """No model: a new dataset arrived (a run still going is stopped first)."""
        self.stop_and_wait()
        self._adopt(None, None, ModelConfig(), TrainConfig())

    def _adopt(self, model: LatentModel | None, live: LatentModel | None,
               model_cfg: ModelConfig, train_cfg: TrainConfig, path: Path | None = None,
               epoch: int = 0, metrics: dict[str, float] | None = None) -> None:
        self.model_cfg, self.train_cfg = model_cfg, train_cfg
        self.trained_model, self.live_model = model, live
        self.path, self.epoch, self.metrics = path, epoch, dict(metrics or {})
        self.unsaved = self.diverged = False
        self.codes = self.categories = self.strip_recon = self.samples = None
        grid = None if model is None else model.grid_inputs(train_cfg.seed)
        self.samples_grid = (0, 0) if grid is None else grid[1:]
        self.growth, self.stage_marks = _growth_of(live), []
        self.changed.emit()
        self.recon_changed.emit()
        self.samples_changed.emit()

    def adopt_checkpoint(self, checkpoint: Checkpoint) -> None:
        """Show a loaded model as if it had just finished training on this dataset."""
        data = self._data
        assert data.dataset is not None
        from latentlab.core.training.loop import LiveItems
        from latentlab.core.training.views import model_views

        self.stop_and_wait()
        model = checkpoint.model.eval()
        meta = checkpoint.meta
        self._adopt(model, model, meta.model, meta.train, checkpoint.path, meta.epoch,
                    meta.metrics)
        self.apply_snapshot(model_views(model, data.dataset,
                                        LiveItems(data.map_indices, data.strip_indices),
                                        meta.train.seed, meta.epoch))

    def propose(self, model_cfg: ModelConfig, train_cfg: TrainConfig) -> None:
        """Ask the form to show these settings (Train then trains them)."""
        self.proposed.emit(model_cfg, train_cfg)

    def start_training(self, model_cfg: ModelConfig, train_cfg: TrainConfig) -> None:
        """Train a new model in the background; ConfigError lists settings that cannot work."""
        dataset = self._data.dataset
        if dataset is None:
            raise RuntimeError("No dataset loaded.")
        problems = model_cfg.validate(dataset.input_shape) + train_cfg.validate()
        if problems:
            raise ConfigError(problems)
        if self.training:
            raise RuntimeError("Training is already running.")
        from latentlab.core.models import build_model
        from latentlab.core.training.loop import LiveItems, train

        model = build_model(model_cfg, dataset.input_shape, seed=train_cfg.seed,
                            batch_size=train_cfg.batch_size)
        self._in_run = True
        # The GUI thread's own copy: decoding never touches the model being trained.
        self._adopt(model, copy.deepcopy(model).eval(), model_cfg, train_cfg)
        self.unsaved = True
        live = LiveItems(self._data.map_indices, self._data.strip_indices)

        def job(control: JobControl) -> None:
            for event in train(model, dataset, train_cfg, control, live,
                               progress_interval_s=PROGRESS_INTERVAL_S):
                control.report(event)

        self._set_status("running")
        self._runner.start(job, JobCallbacks(yielded=self._on_event, errored=self._on_failed,
                                             finished=self._on_run_ended),
                           cpu_threads=train_cfg.cpu_threads or training_cpu_threads())

    def pause(self) -> None:
        if self.training and self.status.state == "running":
            self._runner.pause()
            self._set_status("paused")

    def resume(self) -> None:
        if self.training and self.status.state == "paused":
            self._runner.resume()
            self._set_status("running")

    def stop(self) -> None:
        if self.training:
            self._runner.cancel()
            self._set_status("stopping")

    def stop_and_wait(self) -> None:
        """Stop a run and wait for it: its end (and the model's autosave) is delivered first."""
        if self.training:
            self._runner.cancel()
            self._runner.wait()

    def _set_status(self, state: str, device: str | None = None) -> None:
        self.status = TrainingStatus(state, self.status.device if device is None else device)
        self.status_changed.emit()

    # ------------------------------------------------------------- events
    def _on_event(self, event: object) -> None:
        if isinstance(event, Snapshot):
            self.apply_snapshot(event)
        elif isinstance(event, StepProgress):
            self.progress.emit(event)
        elif isinstance(event, EpochEnded):
            self.epoch = event.epoch
            self.metrics = {**{f"train_{k}": v for k, v in event.train.items()},
                            **{f"test_{k}": v for k, v in event.test.items()}}
            self.epoch_ended.emit(event)
        elif isinstance(event, TrainingStarted):
            self._set_status(self.status.state, device=event.device)
            self.started.emit(event)
        elif isinstance(event, TrainingFinished):
            self.finished.emit(event)
        elif isinstance(event, TrainingFailed):
            self.diverged = True
            self.failed.emit(event)
            self._notes.report_error("Training stopped", event.message)

    def apply_snapshot(self, snap: Snapshot) -> None:
        """New decoder weights and, when they came, codes, reconstructions and samples."""
        if self.live_model is None:
            return
        import torch  # loaded with the model

        state = {k: torch.from_numpy(v) for k, v in snap.decoder_state.items()}
        self.live_model.decoder.load_state_dict(state)
        self._follow_growth(snap.epoch_float)
        if snap.recon is not None:
            self.strip_recon = snap.recon
            self.recon_changed.emit()
        if snap.samples is not None:
            self.samples = snap.samples
            self.samples_changed.emit()
        if snap.map_categories is not None:
            self.categories = snap.map_categories
            self.categories_changed.emit()
        if snap.map_codes is not None and np.isfinite(snap.map_codes).all():
            self.codes = snap.map_codes
            self.codes_changed.emit(snap.global_step, snap.epoch_float)
        self.weights_changed.emit()

    def _follow_growth(self, epoch: float) -> None:
        """A progressive GAN's stage from the live copy's new buffers; a new side is marked."""
        growth = _growth_of(self.live_model)
        if growth == self.growth:
            return
        if growth is not None and self.growth is not None \
                and growth.resolution != self.growth.resolution:
            self.stage_marks.append((epoch, growth.resolution))
            self.stage_marked.emit(epoch, growth.resolution)
        self.growth = growth
        self.growth_changed.emit()

    def _on_failed(self, exc: BaseException, details: str) -> None:
        self._notes.report_error("Training failed", f"{type(exc).__name__}: {exc}", details)

    def _on_run_ended(self) -> None:
        self._in_run = False
        self._set_status("idle")
        model = self.trained_model
        if model is not None and self.unsaved:
            # The run is over, so its model may be read here: the live copy gets the encoder's
            # weights too.
            model.cpu().eval()
            if self.live_model is not None and self.live_model is not model:
                self.live_model.load_state_dict(model.state_dict())
        self.run_ended.emit()

    def mark_saved(self, path: Path) -> None:
        self.path, self.unsaved = path, False

    def random_code(self, rng: torch.Generator) -> tuple[torch.Tensor, str]:
        """A code from the VAE's prior, or from a Gaussian fitted to an autoencoder's codes, and
        where it came from."""
        assert self.live_model is not None and self.codes is not None
        import torch

        if is_conditional_vae(self.live_model):  # its prior's code, without a class
            return torch.randn(1, self.model_cfg.latent_dim, generator=rng), "the prior N(0, I)"
        z = self.live_model.prior_sample(1, rng)
        if z is not None:
            return z, "the prior N(0, I)"
        mean = self.codes.mean(0)
        cov = np.atleast_2d(np.cov(self.codes, rowvar=False))
        chol = np.linalg.cholesky(cov + 1e-6 * np.eye(len(mean)))
        eps = torch.randn(len(mean), generator=rng).numpy()
        return torch.from_numpy((mean + chol @ eps)[None].astype(np.float32)), (
            "a Gaussian fitted to the codes")

    def sample_grid_image(self) -> np.ndarray | None:
        """GANs: the live samples tiled into one image, one row per grid row."""
        if self.samples is None:
            return None
        rows, cols = self.samples_grid
        return tile_images(self.samples, rows, cols)
