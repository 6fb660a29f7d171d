"""The unpaired-translation lab: CycleGAN between two built-in domains, trained as a job, with
frames of held-out round trips (A → B → A, B → A → B), the cycle and identity losses as they
fall, and a map of both domains' items on which any item can be picked to see its translation.

Who writes what — the lab is the only writer of all its fields:

=============  ===============================================================================
settings       the pair of domains, epochs, the identity term on or off
the data       the two domains (loaded off the lab's thread) and their map
training       the live model (the GUI thread's copy), progress, the latest frame, the curves
the pick       the item picked on the map and its round trip through the live model
``notes``      errors and messages for whatever displays them
=============  ===============================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from psygnal import Signal

from latentlab.config import ConfigError
from latentlab.core.data.dataset import Dataset, DatasetError
from latentlab.core.files.checkpoint import Checkpoint, CheckpointError
from latentlab.core.files.safe_io import printable
from latentlab.core.models import build_model
from latentlab.core.models.cyclegan import DOMAIN_A, CycleGAN
from latentlab.core.training.events import EpochEnded, StepProgress, TrainingFailed
from latentlab.core.training.recipes import recommended_settings
from latentlab.lab.cycle_frames import (
    PAIRS,
    CycleFrame,
    DomainMap,
    domain_map,
    frame_items,
    load_pair,
    read_model,
    round_trip,
    take_frame,
)
from latentlab.lab.file_reads import OpenCancelled, read_abandonably
from latentlab.lab.frame_training import FramedTrainingLab
from latentlab.lab.jobs import InlineRunner, JobCallbacks, JobControl, Runner

MAX_EPOCHS = 200
SEED = 0
SNAPSHOT_INTERVAL_S = 1.0
#: The curves keep at most this many points (a point per progress event, 4 a second).
MAX_CURVE_POINTS = 20_000


@dataclass(frozen=True)
class Picked:
    """An item picked on the map: its dataset index, domain, and (item, translated, back)."""

    index: int
    domain: int
    images: np.ndarray  # 3 images, H×W or H×W×3


class CycleLab(FramedTrainingLab):
    settings_changed = Signal()
    data_changed = Signal()  # new domains (and their map)
    progress_changed = Signal()  # progress and the loss curves
    picked_changed = Signal()
    opened = Signal(object)  # the path of a model just opened

    def __init__(self, runner: Runner | None = None, reader: Runner | None = None) -> None:
        super().__init__(runner)
        self._reader: Runner = reader or InlineRunner()  # loading domains, opening checkpoints
        self.pair = next(iter(PAIRS))
        self.data: Dataset | None = None
        self.map: DomainMap | None = None
        self.epochs = 3
        self.identity = True
        self.model: CycleGAN | None = None  # the GUI thread's copy, in eval mode
        self.path: Path | None = None
        self.progress = (0, 0)
        self.frame: CycleFrame | None = None
        #: Training curves: epoch (fractional) and the running means of each term.
        self.curves: dict[str, list[float]] = {}
        self.picked: Picked | None = None

    @property
    def loading(self) -> bool:
        return self._reader.running

    # ------------------------------------------------------------- settings
    def set_pair(self, name: str) -> None:
        """Choose a built-in pair of domains (a key of PAIRS); they load in the background."""
        if name not in PAIRS:
            self.notes.report_error("Domains", f"Domains: unknown pair {name!r}; choose one of "
                                    f"{', '.join(PAIRS)}.")
            return
        if name == self.pair and self.data is not None:
            return
        self.stop_and_wait()
        self.pair = name
        self.settings_changed.emit()
        self.load()

    def set_epochs(self, epochs: int) -> None:
        self.epochs = max(1, min(MAX_EPOCHS, int(epochs)))
        self.settings_changed.emit()

    def set_identity(self, on: bool) -> None:
        self.identity = bool(on)
        self.settings_changed.emit()

    def load(self) -> None:
        """Load the chosen pair's domains off the lab's thread (the map too)."""
        self._reader.cancel_and_wait()
        source, spec = PAIRS[self.pair]
        name = self.pair

        def job(control: JobControl) -> tuple[Dataset, DomainMap]:
            data = read_abandonably(lambda: load_pair(source, spec), control, name)
            return data, domain_map(data)

        self.notes.say(f"Loading {name}…")
        self._reader.start(job, JobCallbacks(returned=lambda result: self._use_data(*result),
                                             errored=self._on_load_failed))

    def _on_load_failed(self, exc: BaseException, details: str) -> None:
        if isinstance(exc, OpenCancelled):
            self.notes.say(str(exc))
        elif isinstance(exc, DatasetError):
            self.notes.report_error("Could not load the domains", str(exc))
        else:
            self.notes.report_error("Could not load the domains",
                                    f"{type(exc).__name__}: {exc}", details)

    def _use_data(self, data: Dataset, domains: DomainMap) -> None:
        self.stop_and_wait()
        self.data, self.map = data, domains
        self._forget_model()
        self.data_changed.emit()
        assert data.domains is not None
        n_b = int(data.domains.sum())
        self.notes.say(f"{self.pair}: {data.n - n_b:,} items in A, {n_b:,} in B, "
                       f"{data.input_shape[1]}×{data.input_shape[2]}.")

    def _forget_model(self) -> None:
        self.model, self._trained, self.frame, self.path = None, None, None, None
        self.progress, self.curves, self.picked = (0, 0), {}, None
        self.model_changed.emit()
        self.frame_changed.emit()
        self.progress_changed.emit()
        self.picked_changed.emit()

    # ------------------------------------------------------------- training
    def train(self) -> None:
        """Train a new CycleGAN on the domains in the background, reporting frames."""
        if self.training:
            return
        data = self.data
        if data is None:
            self.notes.say("The domains are still loading.")
            return
        model_cfg, train_cfg = recommended_settings("cyclegan", "image")
        model_cfg = replace(model_cfg, identity_weight=model_cfg.identity_weight
                            if self.identity else 0.0)
        train_cfg = replace(train_cfg, epochs=self.epochs, seed=SEED,
                            snapshot_interval_s=SNAPSHOT_INTERVAL_S)
        try:
            model = build_model(model_cfg, data.input_shape, seed=SEED,
                                batch_size=train_cfg.batch_size)
        except ConfigError as exc:
            self.notes.report_error("Settings", str(exc))
            return
        items = frame_items(data)
        self.path, self.progress, self.curves = None, (0, 0), {}
        self._train(model, data, train_cfg,
                    lambda v, step, epoch, state: take_frame(v, items, step, epoch, state))

    def _new_model(self) -> None:
        self._repick()

    def _on_event(self, event: object) -> None:
        if isinstance(event, CycleFrame):
            self._take(event)
        elif isinstance(event, StepProgress):
            self.progress = (event.global_step, event.total_steps)
            if len(self.curves.get("epoch", ())) < MAX_CURVE_POINTS:
                self.curves.setdefault("epoch", []).append(event.epoch_float)
                for name, value in event.losses.items():
                    self.curves.setdefault(name, []).append(value)
            self.progress_changed.emit()
        elif isinstance(event, TrainingFailed):
            self.notes.report_error("Training stopped", event.message)
        elif isinstance(event, EpochEnded) and event.test:
            self.notes.say(f"Epoch {event.epoch}: held-out cycle L1 {event.test['cycle']:.3f}, "
                           f"identity L1 {event.test['identity']:.3f} per pixel.")

    def _weights_changed(self) -> None:
        self._repick()

    # ------------------------------------------------------------- the pick
    def pick(self, index: int) -> None:
        """Show dataset item ``index`` (one of the map's), its translation and the way back."""
        data = self.data
        if data is None or data.domains is None or not 0 <= index < data.n:
            return
        if self.model is None:
            self.notes.say("Train or open a CycleGAN first: then every item on the map "
                           "translates.")
            return
        domain = int(data.domains[index])
        direction = "a_to_b" if domain == DOMAIN_A else "b_to_a"
        x = torch.from_numpy(data.images(slice(index, index + 1)))
        self.picked = Picked(index, domain, round_trip(self.model, x, direction)[0])
        self.picked_changed.emit()

    def _repick(self) -> None:
        if self.picked is not None:
            self.pick(self.picked.index)

    # ------------------------------------------------------------- files
    def open_checkpoint(self, path: str | Path) -> None:
        """Use the CycleGAN saved at ``path`` with the domains it records, read off the lab's
        thread; anything else is refused, naming it. ``opened`` announces it."""
        self.stop_and_wait()
        self._reader.cancel_and_wait()
        path = Path(path)

        def job(control: JobControl) -> tuple[Checkpoint, str, Dataset, DomainMap]:
            checkpoint, name, data = read_abandonably(lambda: read_model(path), control,
                                                      path.name)
            return checkpoint, name, data, domain_map(data)

        self.notes.say(f"Opening {path.name}…")
        self._reader.start(job, JobCallbacks(returned=lambda r: self._use_opened(path, *r),
                                             errored=self._on_open_failed))

    def _on_open_failed(self, exc: BaseException, details: str) -> None:
        if isinstance(exc, OpenCancelled):
            self.notes.say(str(exc))
        elif isinstance(exc, CheckpointError | DatasetError):
            self.notes.report_error("Could not open the model", str(exc))
        else:
            self.notes.report_error("Could not open the model", f"{type(exc).__name__}: {exc}",
                                    details)

    def _use_opened(self, path: Path, checkpoint: Checkpoint, name: str, data: Dataset,
                    domains: DomainMap) -> None:
        model = checkpoint.model.eval()
        assert isinstance(model, CycleGAN)
        if name in PAIRS:
            self.pair = name
        self.data, self.map = data, domains
        self._forget_model()
        self.identity = model.cfg.identity_weight > 0
        self.model, self.path = model, path
        self.frame = take_frame(model, frame_items(data), 0, float(checkpoint.meta.epoch))
        self.settings_changed.emit()
        self.data_changed.emit()
        self.model_changed.emit()
        self.frame_changed.emit()
        self.notes.say(f"Opened {printable(path.name)}: a CycleGAN of {printable(name)}, "
                       f"epoch {checkpoint.meta.epoch}.")
        self.opened.emit(path)

    def shutdown(self) -> None:
        self._runner.cancel_and_wait()
        self._reader.cancel_and_wait()


__all__ = ["MAX_EPOCHS", "CycleLab", "Picked"]
