"""Plain-data events that cross from the training thread to whoever listens.

Frozen dataclasses holding numbers, strings and numpy arrays only: no tensors that share storage
with the live model, no Qt types. A listener may keep them as long as it likes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class TrainingStarted:
    device: str
    epochs: int
    steps_per_epoch: int
    total_steps: int
    loss_terms: tuple[str, ...]


@dataclass(frozen=True)
class StepProgress:
    epoch: int  # 1-based epoch being trained
    step: int  # 1-based step within the epoch
    steps_per_epoch: int
    global_step: int
    total_steps: int
    losses: dict[str, float]  # running means since the previous progress event
    elapsed_s: float
    eta_s: float

    @property
    def epoch_float(self) -> float:
        """Training time in epochs, for plotting (epoch 2, step 5 of 10 → 1.5)."""
        return self.epoch - 1 + self.step / self.steps_per_epoch


@dataclass(frozen=True)
class EpochEnded:
    epoch: int
    train: dict[str, float]  # means over the epoch's batches
    test: dict[str, float]  # on the held-out split (empty when there is none)
    #: Held-out scores that are not losses, e.g. an InfoGAN's category accuracy (Hungarian-
    #: matched to the labels, when the data has labels).
    scores: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Snapshot:
    """What the live views need: decoder weights (every snapshot) and, as often as the training
    budget allows, the map subset's codes and the strip's reconstructions."""

    global_step: int
    epoch_float: float
    decoder_state: dict[str, np.ndarray]
    map_codes: np.ndarray | None = None  # codes of the fixed map subset, N×latent
    recon: np.ndarray | None = None  # reconstructions of the fixed strip items
    map_categories: np.ndarray | None = None  # InfoGAN: Q's category for each map item
    samples: np.ndarray | None = None  # GANs: images generated from a fixed input batch


@dataclass(frozen=True)
class TrainingFinished:
    reason: str  # "completed", "stopped" or "early_stopped" (the held-out loss stopped falling)
    epochs_done: int
    global_step: int
    elapsed_s: float
    #: After an early stop, the epoch whose weights the model keeps.
    best_epoch: int | None = None


@dataclass(frozen=True)
class TrainingFailed:
    """Training ended early for a reason the user must hear (e.g. the loss became NaN)."""

    message: str
    global_step: int


Event = TrainingStarted | StepProgress | EpochEnded | Snapshot | TrainingFinished | TrainingFailed


def format_duration(seconds: float) -> str:
    """Seconds as m:ss, or h:mm:ss from an hour (an ETA, a run's elapsed time)."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
