"""One run of the 2-D GAN lab: its settings, its trainer, its history and what the plane shows
of it (a *frame*: fake points, the discriminator's field, the generator's gradients, the warped
noise grid, the mode metrics).

Frames are computed where the trainer lives — on the training thread while playing, here when
stepping by hand — and applied by :meth:`GanRun.apply`, the only writer of a run's fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from psygnal import Signal

from latentlab.core.gan2d import Gan2dConfig, Gan2dError, Gan2dTrainer, StepStats, ToyData
from latentlab.core.gan2d.metrics import N_SAMPLES, mode_metrics

#: Fake points drawn on the plane: the same noise every frame, so each point visibly moves.
N_FAKES = 500
#: Fakes that carry a gradient arrow (more would hide the points).
N_ARROWS = 150
#: Cells per side of the discriminator's heatmap.
FIELD_N = 72
#: Lines per direction of the warped noise grid.
GRID_N = 16
SAMPLE_SEED = 12345
METRICS_SEED = 54321

Bounds = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class GanFrame:
    """What one run looks like after some steps: numbers and arrays only (crosses threads)."""

    run: str
    steps: np.ndarray  # the steps trained since the last frame, and their losses
    d_losses: np.ndarray
    g_losses: np.ndarray
    samples: np.ndarray  # N_FAKES × 2
    field: np.ndarray  # FIELD_N × FIELD_N, D's output over the plane, [iy, ix]
    arrows: np.ndarray  # N_ARROWS × 2: where the generator's step moves each fake
    warped: np.ndarray  # GRID_N × GRID_N × 2: the noise grid through G
    metrics: dict[str, float | int | None] | None = None
    diverged: str = ""  # why the run stopped (its last good weights are kept)


@dataclass
class StepLog:
    """Steps trained between two frames (kept by whoever trains)."""

    steps: list[int] = field(default_factory=list)
    d: list[float] = field(default_factory=list)
    g: list[float] = field(default_factory=list)

    def add(self, stats: StepStats) -> None:
        self.steps.append(stats.step)
        self.d.append(stats.d_loss)
        self.g.append(stats.g_loss)


def train_steps(name: str, trainer: Gan2dTrainer, n: int, which: str, log: StepLog) -> str:
    """Train ``n`` steps; '' or why the run diverged (the trainer keeps its last good weights)."""
    for _ in range(n):
        try:
            stats = trainer.train_step(which)
        except Gan2dError as exc:  # a loss or gradient that is not finite: no weight moved
            return (f"Run {name}: {exc} Lower the learning rates or add a stabiliser "
                    "(R1, instance noise).")
        log.add(stats)  # a player that did not move has a NaN loss
    return ""


def take_frame(name: str, trainer: Gan2dTrainer, bounds: Bounds, log: StepLog,
               data: ToyData | None = None, diverged: str = "") -> GanFrame:
    """The run's frame now; with ``data``, its mode metrics too (they cost more)."""
    (x0, x1), (y0, y1) = bounds
    samples = np.asarray(trainer.sample(N_FAKES, seed=SAMPLE_SEED), dtype=np.float32)
    field_ = np.asarray(trainer.d_field((x0, x1), (y0, y1), n=FIELD_N), dtype=np.float32)
    # A generated point moves along minus the gradient of G's loss.
    arrows = -np.asarray(trainer.g_gradients(samples[:N_ARROWS]), dtype=np.float32)
    _grid, warped = trainer.noise_grid(n=GRID_N)
    metrics = None
    if data is not None:
        metrics = mode_metrics(trainer.sample(N_SAMPLES, seed=METRICS_SEED), data).to_json()
    return GanFrame(name, np.asarray(log.steps, dtype=np.int64),
                    np.asarray(log.d, dtype=np.float32), np.asarray(log.g, dtype=np.float32),
                    samples, field_, arrows,
                    np.asarray(warped, dtype=np.float32), metrics, diverged)


class GanRun:
    """One run (A or B): settings, trainer, loss history and the latest frame; the only writer
    of these fields. While the lab plays, the training thread owns :attr:`trainer`."""

    changed = Signal()  # a new frame (or a fresh start)

    def __init__(self, name: str, cfg: Gan2dConfig) -> None:
        self.name = name
        self.cfg = cfg
        self.trainer: Gan2dTrainer | None = None
        self.step = 0
        self.steps = np.zeros(0, dtype=np.int64)
        self.d_losses = np.zeros(0, dtype=np.float32)
        self.g_losses = np.zeros(0, dtype=np.float32)
        self.frame: GanFrame | None = None
        self.metrics: dict[str, float | int | None] | None = None
        self.diverged = ""

    def restart(self, cfg: Gan2dConfig, data: ToyData, bounds: Bounds) -> None:
        """A new trainer from ``cfg`` (its seed: the same start every time) and no history."""
        self.cfg = cfg
        self.trainer = Gan2dTrainer(cfg, data=data)
        self.step = 0
        self.steps = np.zeros(0, dtype=np.int64)
        self.d_losses = np.zeros(0, dtype=np.float32)
        self.g_losses = np.zeros(0, dtype=np.float32)
        self.diverged = ""
        self.metrics = None
        self.apply(take_frame(self.name, self.trainer, bounds, StepLog(), data))

    def apply(self, frame: GanFrame) -> None:
        self.frame = frame
        if len(frame.steps):
            self.step = int(frame.steps[-1])
            self.steps = np.concatenate([self.steps, frame.steps])
            self.d_losses = np.concatenate([self.d_losses, frame.d_losses])
            self.g_losses = np.concatenate([self.g_losses, frame.g_losses])
        if frame.metrics is not None:
            self.metrics = frame.metrics
        if frame.diverged:
            self.diverged = frame.diverged
        self.changed.emit()
