"""Training as a job that sends frames — the loop's events, and between them a frame of what a
copy of the model makes of some items, one frame in flight at a time — and what a lab built on
it shares (the translation labs): the runner, Stop, a frame's weights reaching the live copy,
and the run's last weights reaching it when the run ends."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from psygnal import Signal

from latentlab.config import TrainConfig
from latentlab.core.data.dataset import Dataset
from latentlab.core.models.base import LatentModel
from latentlab.core.training.device import training_cpu_threads
from latentlab.core.training.events import EpochEnded, Snapshot, StepProgress, TrainingFinished
from latentlab.core.training.loop import TrainControl, train
from latentlab.core.training.views import decoder_state
from latentlab.lab.jobs import InlineRunner, JobCallbacks, JobControl, Runner
from latentlab.lab.notifications import Notifications

#: (the viewer with the snapshot's weights, global step, epoch, the weights) → a frame.
TakeFrame = Callable[[Any, int, float, dict[str, np.ndarray]], object]


def train_with_frames(model: LatentModel, viewer: LatentModel, data: Dataset, cfg: TrainConfig,
                      take: TakeFrame, taken: threading.Event, control: TrainControl) -> str:
    """Train ``model`` on ``data`` (a job), reporting the loop's events through ``control`` and
    ``take``'s frames of ``viewer``, a copy of the model given each snapshot's decoder weights:
    at a snapshot when the lab has taken the last frame (``taken``: one in flight), at each
    epoch's end, and the run's last weights always. Returns why the run ended."""
    reason, pending, step = "", None, 0

    def send(step: int, epoch: float, state: dict[str, np.ndarray]) -> None:
        viewer.decoder.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
        taken.clear()
        control.report(take(viewer, step, epoch, state))

    for event in train(model, data, cfg, control, progress_interval_s=0.25):
        if isinstance(event, Snapshot):
            # One frame in flight: a snapshot the lab has no room for waits as pending.
            pending = None if taken.is_set() else event
            if pending is None:
                send(event.global_step, event.epoch_float, event.decoder_state)
            continue
        if isinstance(event, StepProgress):
            step = event.global_step
        if isinstance(event, EpochEnded):
            pending = None
            send(step, float(event.epoch), decoder_state(model))
        if isinstance(event, TrainingFinished):
            reason = event.reason
        control.report(event)
    if pending is not None:  # the run's last weights always make a frame
        send(pending.global_step, pending.epoch_float, pending.decoder_state)
    return reason


class FramedTrainingLab:
    """A lab that trains one model at a time as a job with frames. Its ``model`` is the GUI
    thread's copy (eval mode): each frame's decoder weights reach it, and the run's last
    weights (every one: batch-norm statistics too) when the run ends; ``_weights_changed`` is
    told each time. A frame must have ``decoder_state``; a subclass handles the rest of the
    job's events in ``_on_event`` and hands frames to ``_take``."""

    training_changed = Signal(bool)
    frame_changed = Signal()
    model_changed = Signal()  # a new live model (trained, opened) or new weights in it

    def __init__(self, runner: Runner | None) -> None:
        self.notes = Notifications()
        self._runner: Runner = runner or InlineRunner()  # training
        self.model: Any = None
        self.frame: Any = None
        self._trained: LatentModel | None = None  # the model the job trains
        self._taken = threading.Event()  # the last frame was taken: room for the next

    @property
    def training(self) -> bool:
        return self._runner.running

    def stop(self) -> None:
        """Stop training; the model keeps the weights trained so far."""
        if self.training:
            self._runner.cancel()

    def stop_and_wait(self) -> None:
        self.stop()
        self._runner.wait()

    def _train(self, model: LatentModel, data: Dataset, cfg: TrainConfig,
               take: TakeFrame) -> None:
        """Train ``model`` (just built) on ``data`` in the background, with ``take``'s frames.
        The live model and the job's viewer are copies of it; ``_new_model`` is told once the
        live copy is in place, before the run starts."""
        viewer = copy.deepcopy(model).eval()  # the job's copy, for frames between steps
        self.model, self._trained, self.frame = copy.deepcopy(model).eval(), model, None
        self.model_changed.emit()
        self._new_model()
        taken = self._taken
        taken.set()

        def job(control: JobControl) -> str:
            return train_with_frames(model, viewer, data, cfg, take, taken, control)

        self.training_changed.emit(True)
        self._runner.start(job, JobCallbacks(yielded=self._on_event, returned=self._on_returned,
                                             errored=self._on_failed, finished=self._on_ended),
                           cpu_threads=training_cpu_threads())

    def _take(self, frame: Any) -> None:
        self.frame = frame
        if self.model is not None and frame.decoder_state is not None:
            state = {k: torch.from_numpy(v) for k, v in frame.decoder_state.items()}
            self.model.decoder.load_state_dict(state)
            self._weights_changed()
        self._taken.set()
        self.frame_changed.emit()

    def _on_event(self, event: object) -> None:
        raise NotImplementedError

    def _on_returned(self, reason: str) -> None:
        if reason == "stopped":
            self.notes.say("Training stopped: the model keeps the weights trained so far.")

    def _on_failed(self, exc: BaseException, details: str) -> None:
        self.notes.report_error("Training failed", f"{type(exc).__name__}: {exc}", details)

    def _on_ended(self) -> None:
        trained = self._trained
        if trained is not None and self.model is not None:
            self.model.load_state_dict(trained.cpu().eval().state_dict())
            self._weights_changed()
            self.model_changed.emit()
        self.training_changed.emit(False)

    def _new_model(self) -> None:
        """A run is about to train a new live model (what shows it starts afresh)."""

    def _weights_changed(self) -> None:
        """The live model has new weights (what shows its output redraws)."""


__all__ = ["FramedTrainingLab", "train_with_frames"]
