"""The training loop: a generator of plain-data events, driven by whoever iterates it.

The loop owns the model while it runs. Listeners (a QThread in the GUI, a progress bar in the CLI)
only see events; stop and pause arrive through a TrainControl checked once per batch.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch

from latentlab.config import ConfigError, TrainConfig
from latentlab.core.data.dataset import Dataset
from latentlab.core.device import describe_device, resolve_device
from latentlab.core.events import (
    EpochEnded,
    Event,
    Snapshot,
    StepProgress,
    TrainingFailed,
    TrainingFinished,
    TrainingStarted,
)
from latentlab.core.metrics import hungarian_accuracy
from latentlab.core.models.base import LatentModel

if TYPE_CHECKING:
    from latentlab.core.distributed import DataShard

EVAL_BATCH = 1024
#: How often a verified copy of all weights is kept for rolling back after a NaN (a copy and a
#: finiteness check cost ~6 ms for a 1.2 M-parameter model: too much for every snapshot).
GOOD_WEIGHTS_INTERVAL_S = 2.0


@dataclass
class TrainControl:
    """Thread-safe stop/pause flags; the loop checks them between batches."""

    _stop: threading.Event = field(default_factory=threading.Event)
    _running: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # a paused loop must wake up to notice the stop

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self) -> float:
        """Block while paused; return the seconds spent waiting."""
        if self._running.is_set():
            return 0.0
        start = time.perf_counter()
        self._running.wait()
        return time.perf_counter() - start


@dataclass(frozen=True)
class LiveItems:
    """Dataset items the live views follow: map points and the reconstruction strip."""

    map_indices: np.ndarray | None = None
    strip_indices: np.ndarray | None = None


def decoder_state(model: LatentModel) -> dict[str, np.ndarray]:
    """A CPU copy of the decoder's weights that no later training step can touch."""
    state = model.decoder.state_dict()
    return {k: v.detach().to("cpu", copy=True).numpy() for k, v in state.items()}


@torch.no_grad()
def embed_all(model: LatentModel, x: torch.Tensor, batch_size: int = EVAL_BATCH) -> torch.Tensor:
    return torch.cat([model.embed(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])


@torch.no_grad()
def infer_all(model: LatentModel, x: torch.Tensor,
              batch_size: int = EVAL_BATCH) -> tuple[np.ndarray, np.ndarray | None]:
    """Codes of ``x`` and, where the model predicts them, categories (else None), on the CPU."""
    parts = [model.infer_codes(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
    codes = torch.cat([c for c, _ in parts]).cpu().numpy()
    if parts[0][1] is None:
        return codes, None
    return codes, torch.cat([k for _, k in parts]).cpu().numpy()


@torch.no_grad()
def evaluate(model: LatentModel, x: torch.Tensor, batch_size: int = EVAL_BATCH,
             lengths: torch.Tensor | None = None) -> dict[str, float]:
    """Mean of each loss term over ``x`` (weighted by batch size); ``lengths`` for text models
    that score word counts."""
    was_training = model.training
    model.eval()
    totals: dict[str, float] = {}
    for i in range(0, len(x), batch_size):
        batch = x[i : i + batch_size]
        terms = (model.losses(batch) if lengths is None
                 else model.losses(batch, lengths[i : i + batch_size]))
        values = torch.stack(list(terms.values())).tolist()
        for name, value in zip(terms, values, strict=True):
            totals[name] = totals.get(name, 0.0) + value * len(batch)
    model.train(was_training)
    return {name: total / len(x) for name, total in totals.items()}


def warm_up() -> None:
    """Load what the first optimiser pulls in lazily (torch._dynamo, over a second of imports).

    Called on a background thread at start-up, so pressing Train starts training at once.
    """
    torch.optim.Adam(torch.nn.Linear(1, 1).parameters())


def _all_finite(tensors: Iterable[torch.Tensor]) -> bool:
    return all(bool(torch.isfinite(t).all()) for t in tensors)


def _cpu_copy(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def lr_factor(schedule: str, step: int, total_steps: int) -> float:
    """The share of the base learning rate for ``step`` (0-based) of ``total_steps``.

    ``cosine`` decays from 1 to 0 along half a cosine (Loshchilov & Hutter 2017): large steps
    early, small ones that settle the weights at the end.
    """
    if schedule == "constant":
        return 1.0
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * min(step / max(total_steps, 1), 1.0)))
    raise ValueError(f"Unknown learning-rate schedule {schedule!r}.")


def _set_lr(optimizers: list[torch.optim.Optimizer], base_lrs: list[list[float]],
            factor: float) -> None:
    for optimizer, lrs in zip(optimizers, base_lrs, strict=True):
        for group, lr in zip(optimizer.param_groups, lrs, strict=True):
            group["lr"] = lr * factor


def _evenly_spaced(indices: np.ndarray, k: int) -> np.ndarray:
    """At most ``k`` of ``indices``, spread evenly: a fixed subset for the held-out curve."""
    if len(indices) <= k:
        return indices
    return indices[np.linspace(0, len(indices) - 1, k).astype(int)]


def train(
    model: LatentModel,
    data: Dataset,
    cfg: TrainConfig,
    control: TrainControl | None = None,
    live: LiveItems | None = None,
    progress_interval_s: float = 0.1,
    shard: DataShard | None = None,
) -> Iterator[Event]:
    """Train ``model`` on ``data``'s train split, yielding events; stops early on ``control``.

    With a ``shard`` (data-parallel training across processes, ``core.distributed``) this
    process trains on its shard of each epoch and gradients are averaged across processes;
    without one, nothing else changes.
    """
    problems = cfg.validate()
    if problems:
        raise ConfigError(problems)
    control = control or TrainControl()
    live = live or LiveItems()
    device = resolve_device(cfg.device)
    # The VAE's sampling noise, reproducible per run (and different on each rank).
    torch.manual_seed(cfg.seed if shard is None else shard.seed(cfg.seed))
    model.to(device).train()

    def on_device(indices: np.ndarray | None) -> torch.Tensor | None:
        if indices is None or len(indices) == 0:
            return None
        return torch.from_numpy(data.x[indices]).to(device)

    x_train = on_device(data.train_indices)
    if x_train is None:
        raise ValueError(f"{data.name}: the training split is empty.")
    # A fixed subset keeps the per-epoch held-out pass cheap on big test splits.
    test_subset = _evenly_spaced(data.test_indices, cfg.eval_items)
    x_test = on_device(test_subset)
    # A text model that scores word counts needs each document's length with its batch.
    lengths = None
    if model.scores_word_counts and data.lengths is not None:
        lengths = torch.from_numpy(data.lengths.astype(np.float32)).to(device)
    l_train = lengths[torch.from_numpy(data.train_indices).to(device)] \
        if lengths is not None else None
    l_test = lengths[torch.from_numpy(test_subset).to(device)] \
        if lengths is not None and x_test is not None else None
    x_map, x_strip = on_device(live.map_indices), on_device(live.strip_indices)
    # Models that sort items into categories (InfoGAN) are scored against the labels each epoch.
    y_test = data.labels[test_subset] if data.labels is not None and x_test is not None \
        and model.predicts_categories else None
    shuffle = torch.Generator().manual_seed(cfg.seed)
    model.prepare_training(x_train)
    optimizers = model.make_optimizers(cfg)
    base_lrs = [[group["lr"] for group in o.param_groups] for o in optimizers]
    n_train = len(x_train) if shard is None else shard.num_samples(len(x_train))
    if shard is not None:
        shard.attach(model, optimizers)
    steps_per_epoch = math.ceil(n_train / cfg.batch_size)
    total_steps = steps_per_epoch * cfg.epochs

    yield TrainingStarted(describe_device(device), cfg.epochs, steps_per_epoch, total_steps,
                          model.loss_terms)

    grid = model.grid_inputs(cfg.seed)
    grid_inputs = grid[0].to(device) if grid is not None else None

    @torch.no_grad()
    def snapshot(step: int, epoch_float: float, with_views: bool) -> Snapshot:
        """Decoder weights always; codes, reconstructions, samples when the budget allows."""
        if not with_views:
            return Snapshot(step, epoch_float, decoder_state(model))
        model.eval()
        codes = categories = recon = samples = None
        if x_map is not None and model.has_encoder:
            codes, categories = infer_all(model, x_map)
        if x_strip is not None and model.reconstructs:
            recon = model.reconstruct(x_strip).cpu().numpy()
        if grid_inputs is not None:
            samples = model.decode(grid_inputs).cpu().numpy()
        model.train()
        return Snapshot(step, epoch_float, decoder_state(model), codes, recon, categories, samples)

    start = time.perf_counter()
    paused_s = 0.0
    global_step = 0
    last_progress = last_snapshot = start
    next_views_time = start
    last_good, last_good_step, last_good_time = _cpu_copy(model), 0, start
    window: dict[str, float] = {}
    window_n = 0
    epoch = 0
    best_loss, best_epoch, best_weights = math.inf, 0, None

    for epoch in range(1, cfg.epochs + 1):
        epoch_sums: dict[str, float] = {}
        if shard is None:
            order = torch.randperm(n_train, generator=shuffle).to(device)
        else:
            order = shard.epoch_order(epoch, len(x_train), cfg.seed).to(device)
        for step in range(1, steps_per_epoch + 1):
            paused_s += control.wait_while_paused()
            if control.stop_requested:
                yield snapshot(global_step, epoch - 1 + (step - 1) / steps_per_epoch, True)
                yield TrainingFinished("stopped", epoch - 1, global_step,
                                       time.perf_counter() - start - paused_s)
                return
            rows = order[(step - 1) * cfg.batch_size : step * cfg.batch_size]
            batch = x_train[rows]
            if cfg.lr_schedule != "constant":
                _set_lr(optimizers, base_lrs, lr_factor(cfg.lr_schedule, global_step, total_steps))
            terms = (model.train_step(batch, optimizers) if l_train is None
                     else model.train_step(batch, optimizers, l_train[rows]))
            if not all(math.isfinite(v) for v in terms.values()):
                kept_step = global_step
                # A GAN's generator may have stepped after its discriminator's loss was fine.
                if not _all_finite(model.state_dict().values()):
                    model.load_state_dict(last_good)
                    kept_step = last_good_step
                bad = "NaN" if any(math.isnan(v) for v in terms.values()) else "infinite"
                yield snapshot(kept_step, epoch - 1 + step / steps_per_epoch, True)
                yield TrainingFailed(
                    f"The loss became {bad} at epoch {epoch}, step {step}. Training stopped and "
                    f"kept the weights from step {kept_step}. Try a lower learning rate.",
                    global_step,
                )
                return
            global_step += 1
            for name, value in terms.items():
                epoch_sums[name] = epoch_sums.get(name, 0.0) + value * len(batch)
                window[name] = window.get(name, 0.0) + value
            window_n += 1

            now = time.perf_counter()
            if now - last_progress >= progress_interval_s or global_step == total_steps:
                elapsed = now - start - paused_s
                eta = elapsed / global_step * (total_steps - global_step)
                yield StepProgress(epoch, step, steps_per_epoch, global_step, total_steps,
                                   {k: v / window_n for k, v in window.items()}, elapsed, eta)
                window, window_n, last_progress = {}, 0, now
            if now - last_snapshot >= cfg.snapshot_interval_s:
                with_views = now >= next_views_time
                snap = snapshot(global_step, epoch - 1 + step / steps_per_epoch, with_views)
                done = time.perf_counter()
                if with_views:
                    # Codes for the map cost an encoder pass over the subset: keep them on budget.
                    next_views_time = done + max(cfg.snapshot_interval_s,
                                                 (done - now) / cfg.map_update_budget)
                last_snapshot = done
                if done - last_good_time >= GOOD_WEIGHTS_INTERVAL_S:
                    weights = _cpu_copy(model)
                    if _all_finite(weights.values()):
                        last_good, last_good_step, last_good_time = weights, global_step, done
                yield snap

        train_means = {k: v / n_train for k, v in epoch_sums.items()}
        if shard is not None:
            train_means = shard.end_epoch(model, train_means)
        test_means = evaluate(model, x_test, lengths=l_test) if x_test is not None else {}
        if x_map is not None and model.has_encoder:
            # Every epoch's map, for the GUI's timeline: the codes as the epoch ends.
            yield snapshot(global_step, float(epoch), True)
        scores = {}
        if y_test is not None:
            model.eval()
            categories = infer_all(model, x_test)[1]
            model.train()
            if categories is not None:
                scores["category_accuracy"] = hungarian_accuracy(categories, y_test)
        yield EpochEnded(epoch, train_means, test_means, scores)
        held_out = test_means.get("loss")
        # Under torchrun every rank holds the same weights and scores the same held-out items,
        # so every rank stops at the same epoch.
        if cfg.early_stopping and held_out is not None:
            if held_out < best_loss:
                best_loss, best_epoch, best_weights = held_out, epoch, _cpu_copy(model)
            elif epoch - best_epoch >= cfg.early_stopping and best_weights is not None:
                # No better held-out loss for `patience` epochs: back to the best epoch's weights.
                model.load_state_dict(best_weights)
                yield snapshot(global_step, float(epoch), True)
                yield TrainingFinished("early_stopped", epoch, global_step,
                                       time.perf_counter() - start - paused_s, best_epoch)
                return

    yield snapshot(global_step, float(epoch), True)
    yield TrainingFinished("completed", epoch, global_step, time.perf_counter() - start - paused_s)
