"""The unrolled discriminator's arithmetic (Metz et al. 2017): D's weights after k steps of its
own optimiser, as a differentiable function of whatever its loss depends on (G's samples).

The weights are unrolled as one flat vector: a handful of tensor operations per step, not a
handful per layer. The Adam-like step keeps the second moment constant (detached): the
derivative of g/√(g²) is zero or unbounded, which only adds noise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from latentlab.core.gan2d.settings import Gan2dConfig

Params = dict[str, torch.Tensor]


@dataclass(frozen=True)
class FirstDStep:
    """The first unrolled step at D's own weights: its gradient (flat, differentiable in G's
    samples), its loss, and its logits on [real, fake] with the penalty as a last column."""

    gradient: torch.Tensor
    loss: torch.Tensor
    info: torch.Tensor


def unroll(discriminator: nn.Module, optimizer: torch.optim.Optimizer, cfg: Gan2dConfig,
           steps: int, first: Callable[[Params, torch.Tensor], FirstDStep],
           loss: Callable[[Params], torch.Tensor]) -> tuple[Params, FirstDStep]:
    """D's weights (by parameter name) after ``steps`` steps of ``optimizer`` (Adam or SGD), and
    the first step. ``first(params, flat)`` gives the first step's gradient with respect to
    ``flat``, the flat weights ``params`` are views of; ``loss(params)`` D's loss at later
    weights."""
    named = list(discriminator.named_parameters())
    shapes = [p.shape for _, p in named]
    sizes = [p.numel() for _, p in named]
    flat = torch.cat([p.detach().reshape(-1) for _, p in named]).requires_grad_(True)
    group = optimizer.param_groups[0]
    lr, adam = group["lr"], cfg.d_optimizer == "adam"
    if adam:
        beta1, beta2 = group["betas"]
        states = [optimizer.state.get(p, {}) for _, p in named]
        if all(states):
            m = torch.cat([st["exp_avg"].reshape(-1) for st in states])
            v = torch.cat([st["exp_avg_sq"].reshape(-1) for st in states])
            t = float(states[0]["step"])
        else:
            m, v, t = torch.zeros_like(flat), torch.zeros_like(flat), 0.0

    def unflatten(vector: torch.Tensor) -> Params:
        parts = vector.split(sizes)
        return {name: part.view(shape)
                for (name, _), part, shape in zip(named, parts, shapes, strict=True)}

    start = first(unflatten(flat), flat)
    g = start.gradient
    for i in range(steps):
        if i:
            (g,) = torch.autograd.grad(loss(unflatten(flat)), flat, create_graph=True)
        if adam:
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g.detach() ** 2
            t += 1
            step = (m / (1 - beta1**t)) / ((v / (1 - beta2**t)).sqrt() + group["eps"])
        else:
            step = g
        flat = flat - lr * step
        if cfg.loss == "wgan_clip":
            flat = flat.clamp(-cfg.clip, cfg.clip)
    return unflatten(flat), start
