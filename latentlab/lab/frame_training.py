"""A training job that sends frames: the loop's events, and between them a frame of what a
copy of the model makes of some items, one frame in flight at a time (the translation labs)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from latentlab.config import TrainConfig
from latentlab.core.data.dataset import Dataset
from latentlab.core.models.base import LatentModel
from latentlab.core.training.events import EpochEnded, Snapshot, StepProgress, TrainingFinished
from latentlab.core.training.loop import TrainControl, train
from latentlab.core.training.views import decoder_state

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


__all__ = ["train_with_frames"]
