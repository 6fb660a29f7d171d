"""What changes over a run besides the weights: the learning rate's schedule, and early stopping
on the held-out loss."""

from __future__ import annotations

import math

import torch


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


class LearningRate:
    """Sets every optimiser's learning rates to the schedule's share of where they started."""

    def __init__(self, optimizers: list[torch.optim.Optimizer], schedule: str,
                 total_steps: int) -> None:
        self.optimizers, self.schedule, self.total_steps = optimizers, schedule, total_steps
        self.base = [[group["lr"] for group in o.param_groups] for o in optimizers]

    def at(self, step: int) -> None:
        if self.schedule == "constant":
            return
        factor = lr_factor(self.schedule, step, self.total_steps)
        for optimizer, lrs in zip(self.optimizers, self.base, strict=True):
            for group, lr in zip(optimizer.param_groups, lrs, strict=True):
                group["lr"] = lr * factor


class EarlyStopping:
    """Keeps the weights of the epoch with the best held-out loss; says when ``patience``
    epochs have passed without a better one (0: never)."""

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.best_loss, self.best_epoch = math.inf, 0
        self.best_weights: dict[str, torch.Tensor] | None = None

    def should_stop(self, model: torch.nn.Module, epoch: int, held_out: float | None) -> bool:
        if not self.patience or held_out is None:
            return False
        if held_out < self.best_loss:
            self.best_loss, self.best_epoch = held_out, epoch
            self.best_weights = {k: v.detach().cpu().clone()
                                 for k, v in model.state_dict().items()}
            return False
        return epoch - self.best_epoch >= self.patience and self.best_weights is not None

    def restore_best(self, model: torch.nn.Module) -> None:
        assert self.best_weights is not None
        model.load_state_dict(self.best_weights)
