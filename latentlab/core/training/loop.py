"""The training loop: a generator of plain-data events, driven by whoever iterates it.

The loop owns the model while it runs. Listeners (a QThread in the GUI, a progress bar in the CLI)
only see events; stop and pause arrive through a TrainControl checked once per batch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import numpy as np
import torch

from latentlab.config import ConfigError, TrainConfig
from latentlab.core.data.dataset import Dataset
from latentlab.core.data.pixels import tensor_images
from latentlab.core.evaluation.metrics import hungarian_accuracy
from latentlab.core.models.base import LatentModel
from latentlab.core.training.batches import TrainItems, fits_on_device
from latentlab.core.training.control import TrainControl
from latentlab.core.training.device import describe_device, resolve_device
from latentlab.core.training.events import (
    EpochEnded,
    Event,
    Snapshot,
    StepProgress,
    TrainingFailed,
    TrainingFinished,
    TrainingStarted,
)
from latentlab.core.training.precision import mixed_precision
from latentlab.core.training.schedule import EarlyStopping, LearningRate
from latentlab.core.training.step_losses import BadStep, LossSums
from latentlab.core.training.views import (
    EVAL_BATCH,
    LiveItems,
    ViewInputs,
    decoder_state,
    infer_all,
    items_on,
    snapshot_of,
)

if TYPE_CHECKING:
    from latentlab.core.training.distributed import DataShard

#: How often a verified copy of all weights is kept for rolling back after a NaN (a copy and a
#: finiteness check cost ~6 ms for a 1.2 M-parameter model: too much for every snapshot).
GOOD_WEIGHTS_INTERVAL_S = 2.0


@torch.no_grad()
def evaluate(model: LatentModel, x: torch.Tensor, batch_size: int = EVAL_BATCH,
             side: torch.Tensor | None = None) -> dict[str, float]:
    """Mean of each loss term over ``x`` (weighted by batch size); ``side``: the model's side
    input for these items (``LatentModel.side_input``), if it takes one."""
    was_training = model.training
    model.eval()
    totals: dict[str, float] = {}
    for i in range(0, len(x), batch_size):
        batch = x[i : i + batch_size]
        terms = (model.losses(batch) if side is None
                 else model.losses(batch, side[i : i + batch_size]))
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


class LastGoodWeights:
    """A verified CPU copy of all weights, renewed at most every ``every_s`` seconds, to roll back
    to when the loss becomes NaN (a copy and a finiteness check are too dear for every step)."""

    def __init__(self, model: LatentModel, now: float, every_s: float) -> None:
        self.weights, self.step, self.time, self.every_s = _cpu_copy(model), 0, now, every_s

    def renew(self, model: LatentModel, step: int, now: float) -> None:
        if now - self.time >= self.every_s:
            weights = _cpu_copy(model)
            if _all_finite(weights.values()):
                self.weights, self.step, self.time = weights, step, now

    def restore(self, model: LatentModel, step: int) -> int:
        """Roll back if any weight is no longer finite; the step whose weights the model has.
        (A GAN's generator may have stepped after its discriminator's loss was fine.)"""
        if _all_finite(model.state_dict().values()):
            return step
        model.load_state_dict(self.weights)
        return self.step


class SnapshotClock:
    """When a snapshot is due, and whether it may carry the views: an encoder pass over the map
    items costs time, so views come at most as often as ``budget`` (a share of the run) allows."""

    def __init__(self, interval_s: float, budget: float, now: float) -> None:
        self.interval_s, self.budget = interval_s, budget
        self.last = self.next_views = now

    def due(self, now: float) -> bool:
        return now - self.last >= self.interval_s

    def with_views(self, now: float) -> bool:
        return now >= self.next_views

    def sent(self, started: float, done: float, with_views: bool) -> None:
        if with_views:
            self.next_views = done + max(self.interval_s, (done - started) / self.budget)
        self.last = done


def _snapshot(model: LatentModel, views: ViewInputs, step: int, epoch_float: float,
              with_views: bool) -> Snapshot:
    """Decoder weights always; codes, reconstructions, samples when the budget allows."""
    if not with_views:
        return Snapshot(step, epoch_float, decoder_state(model))
    return snapshot_of(model, views, step, epoch_float)


def _all_finite(tensors: Iterable[torch.Tensor]) -> bool:
    return all(bool(torch.isfinite(t).all()) for t in tensors)


def _cpu_copy(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def _side_values(model: LatentModel, data: Dataset, indices: np.ndarray) -> np.ndarray | None:
    """The model's side input for these items (documents' lengths, class labels), or None."""
    values = model.side_input(data)
    if values is None or len(indices) == 0:
        return None
    return values[indices]


@torch.no_grad()
def _category_scores(model: LatentModel, x: torch.Tensor | None,
                     labels: np.ndarray | None) -> dict[str, float]:
    """A model that sorts items into categories (InfoGAN), scored against the labels."""
    if x is None or labels is None or not model.predicts_categories:
        return {}
    model.eval()
    categories = infer_all(model, x)[1]
    model.train()
    return {} if categories is None else {
        "category_accuracy": hungarian_accuracy(categories, labels)}


def _train_items(model: LatentModel, data: Dataset,
                 device: torch.device) -> tuple[TrainItems, TrainItems | None]:
    """The train split and the model's side input for it, on ``device`` when they fit there
    (``core.training.batches``)."""
    x = data.x[data.train_indices]
    side = _side_values(model, data, data.train_indices)
    resident = fits_on_device(x.nbytes + (0 if side is None else side.nbytes), device)
    return (TrainItems.of(x, device, resident),
            None if side is None else TrainItems.of(side, device, resident))


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

    With a ``shard`` (data-parallel training across processes, ``core.training.distributed``)
    this process trains on its shard of each epoch and gradients are averaged across processes;
    without one, nothing else changes.
    """
    problems = cfg.validate()
    if problems:
        raise ConfigError(problems)
    problem = model.data_problem(data)
    if problem:
        raise ValueError(problem)
    control = control or TrainControl()
    device = resolve_device(cfg.device)
    mixed = mixed_precision(cfg.precision, device)
    # The VAE's sampling noise, reproducible per run (and different on each rank).
    torch.manual_seed(cfg.seed if shard is None else shard.seed(cfg.seed))
    model.to(device).train()
    if len(data.train_indices) < 2:
        # Batch statistics (and a GAN's game) need two items; one would fail mid-step.
        raise ValueError(f"{data.name}: training needs at least 2 items in the train split "
                         f"(it holds {len(data.train_indices)}).")
    x_train, side_train = _train_items(model, data, device)
    # A fixed subset keeps the per-epoch held-out pass cheap on big test splits.
    test_subset = _evenly_spaced(data.test_indices, cfg.eval_items)
    x_test = items_on(data, test_subset, device)
    side_test = _side_values(model, data, test_subset)
    side_test = None if side_test is None else torch.from_numpy(side_test).to(device)
    y_test = data.labels[test_subset] if data.labels is not None else None
    views = ViewInputs.of(model, data, live or LiveItems(), cfg.seed, device)
    shuffle = torch.Generator().manual_seed(cfg.seed)
    model.prepare_training(x_train.values, None if side_train is None else side_train.values)
    model.mixed_precision = mixed
    optimizers = model.make_optimizers(cfg)
    n_items = len(x_train.values)
    n_train = n_items if shard is None else shard.num_samples(n_items)
    if shard is not None:
        shard.attach(model, optimizers)
    steps_per_epoch = math.ceil(n_train / cfg.batch_size)
    total_steps = steps_per_epoch * cfg.epochs
    model.plan_steps(total_steps)
    yield TrainingStarted(describe_device(device), cfg.epochs, steps_per_epoch, total_steps,
                          model.loss_terms)

    def snapshot(step: int, epoch_float: float, with_views: bool = True) -> Snapshot:
        return _snapshot(model, views, step, epoch_float, with_views)

    start = last_progress = time.perf_counter()
    paused_s, global_step, epoch = 0.0, 0, 0
    clock = SnapshotClock(cfg.snapshot_interval_s, cfg.map_update_budget, start)
    last_good = LastGoodWeights(model, start, GOOD_WEIGHTS_INTERVAL_S)
    losses = LossSums()
    learning_rate = LearningRate(optimizers, cfg.lr_schedule, total_steps)
    # Under torchrun every rank holds the same weights and scores the same held-out items, so
    # every rank stops at the same epoch.
    early = EarlyStopping(cfg.early_stopping)
    epoch_views: Snapshot | None = None  # the last epoch's map, while no step followed it

    def failure(bad: BadStep, step: int) -> Iterator[Event]:
        """Roll back to finite weights and say at which step the loss went bad."""
        bad_step = step - bad.steps_after  # reads happen at every epoch's end: same epoch
        bad_global = global_step - bad.steps_after
        kept_step = last_good.restore(model, global_step)
        yield snapshot(kept_step, epoch - 1 + bad_step / steps_per_epoch)
        yield TrainingFailed(bad.message(epoch, bad_step, kept_step), bad_global - 1)

    for epoch in range(1, cfg.epochs + 1):
        if shard is None:
            order = torch.randperm(n_train, generator=shuffle)
        else:
            order = shard.epoch_order(epoch, n_items, cfg.seed)
        order = order.to(x_train.values.device)
        for step in range(1, steps_per_epoch + 1):
            paused_s += control.wait_while_paused()
            if control.stop_requested:
                bad = losses.read()
                if bad is not None:
                    yield from failure(bad, step - 1)
                    return
                yield snapshot(global_step, epoch - 1 + (step - 1) / steps_per_epoch)
                yield TrainingFinished("stopped", epoch - 1, global_step,
                                       time.perf_counter() - start - paused_s)
                return
            rows = order[(step - 1) * cfg.batch_size : step * cfg.batch_size]
            learning_rate.at(global_step)
            batch = tensor_images(x_train.batch(rows))  # 8-bit pixels made float here
            terms = (model.train_step(batch, optimizers) if side_train is None
                     else model.train_step(batch, optimizers, side_train.batch(rows)))
            global_step += 1
            epoch_views = None
            losses.add(terms, len(rows))
            now = time.perf_counter()
            report = now - last_progress >= progress_interval_s or global_step == total_steps
            snapshot_due = clock.due(now)
            if report or snapshot_due or step == steps_per_epoch:
                # The one wait for the device between these points: losses and NaN checks.
                bad = losses.read()
                if bad is not None:
                    yield from failure(bad, step)
                    return
                last_good.renew(model, global_step, now)
            if report:
                elapsed = now - start - paused_s
                eta = elapsed / global_step * (total_steps - global_step)
                yield StepProgress(epoch, step, steps_per_epoch, global_step, total_steps,
                                   losses.window_means(), elapsed, eta)
                last_progress = now
            if snapshot_due:
                with_views = clock.with_views(now)
                snap = snapshot(global_step, epoch - 1 + step / steps_per_epoch, with_views)
                clock.sent(now, time.perf_counter(), with_views)
                yield snap

        train_means = losses.epoch_means(n_train)
        if shard is not None:
            train_means = shard.end_epoch(model, train_means)
        test_means = evaluate(model, x_test, side=side_test) if x_test is not None else {}
        if views.x_map is not None and model.has_encoder:
            # Every epoch's map, for the GUI's timeline: the codes as the epoch ends. It counts
            # against the views' budget like any map (with short epochs, fewer maps between).
            began = time.perf_counter()
            epoch_views = snapshot(global_step, float(epoch))
            clock.sent(began, time.perf_counter(), with_views=True)
            yield epoch_views
        yield EpochEnded(epoch, train_means, test_means, _category_scores(model, x_test, y_test))
        if early.should_stop(model, epoch, test_means.get("loss")):
            # No better held-out loss for `patience` epochs: back to the best epoch's weights.
            early.restore_best(model)
            yield snapshot(global_step, float(epoch))
            yield TrainingFinished("early_stopped", epoch, global_step,
                                   time.perf_counter() - start - paused_s, early.best_epoch)
            return

    # The last epoch's map already shows these weights: send it again rather than recompute.
    yield epoch_views if epoch_views is not None else snapshot(global_step, float(epoch))
    yield TrainingFinished("completed", epoch, global_step, time.perf_counter() - start - paused_s)
