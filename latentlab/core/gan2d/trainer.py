"""Gan2dTrainer: one seeded GAN on toy 2-D data, stepped by hand or in bulk, and what the lab
draws of it — samples, the warped noise grid, D's field and G's gradient arrows."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import torch
from torch import nn

from latentlab.core.gan2d.data import Gan2dError, ToyData, make_toy_data
from latentlab.core.gan2d.nets import Discriminator, Generator
from latentlab.core.gan2d.objectives import (
    d_loss_fake,
    d_loss_real,
    d_output,
    g_loss,
    gradient_penalty,
    r1_penalty,
)
from latentlab.core.gan2d.settings import Gan2dConfig
from latentlab.core.gan2d.unrolled import FirstDStep, Params, unroll

__all__ = ["Gan2dConfig", "Gan2dTrainer", "StepStats"]

#: The noise plane shown by ``noise_grid``: ±2.5σ holds 99 % of a Gaussian axis.
NOISE_EXTENT = {"gaussian": 2.5, "uniform": 1.0}
#: Rows per pass when evaluating D over a grid.
FIELD_CHUNK = 2500


@dataclass(frozen=True)
class StepStats:
    """One step's losses (NaN for a player that did not move) and named extras; ``step`` counts
    the steps done, this one included (the first is 1). Extras: ``d_real`` and
    ``d_fake`` (D's mean output), ``penalty`` (GP and R1) and ``noise_sigma`` when in use."""

    step: int
    d_loss: float
    g_loss: float
    extra: dict[str, float] = field(default_factory=dict)


class Gan2dTrainer:
    """G and D with their optimisers; the same config (and data) always gives the same run."""

    def __init__(self, cfg: Gan2dConfig, data: ToyData | None = None) -> None:
        problems = cfg.validate()
        if problems:
            raise Gan2dError(" ".join(problems))
        self.cfg = cfg
        self.data = data if data is not None else make_toy_data(cfg.data, seed=cfg.seed)
        self._real_sampler = self.data.torch_sampler()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            self.generator = Generator(cfg.noise_dim, cfg.g_hidden, cfg.activation)
            self.discriminator = Discriminator(cfg.d_hidden, cfg.activation, cfg.pack,
                                               cfg.minibatch_features)
        self.g_params = list(self.generator.parameters())
        self.d_params = list(self.discriminator.parameters())
        #: The generator the views and metrics draw from: G itself, or the moving average of
        #: its weights (``g_average``), which no optimiser touches.
        self.shown = self.generator
        if cfg.g_average > 0:
            self.shown = copy.deepcopy(self.generator).requires_grad_(False)
        self._g_opt: torch.optim.Optimizer | None = None
        self._d_opt: torch.optim.Optimizer | None = None
        self._rng = torch.Generator().manual_seed(cfg.seed)
        # Views draw from their own stream, so looking at the run never changes it.
        self._view_rng = torch.Generator().manual_seed(cfg.seed + 1)
        self.step = 0
        with torch.no_grad():
            self.discriminator.reference = self.generator(self._noise(cfg.batch_size,
                                                                      self._view_rng))
        if cfg.loss == "wgan_clip":
            self._clip()

    # The optimisers are built on first use: a process's first torch optimiser imports torch's
    # compiler (over a second), which a run that is only looked at (a window starting) never needs.
    @property
    def g_opt(self) -> torch.optim.Optimizer:
        if self._g_opt is None:
            self._g_opt = self._optimizer(self.cfg.g_optimizer, self.g_params, self.cfg.g_lr)
        return self._g_opt

    @property
    def d_opt(self) -> torch.optim.Optimizer:
        if self._d_opt is None:
            self._d_opt = self._optimizer(self.cfg.d_optimizer, self.d_params, self.cfg.d_lr)
        return self._d_opt

    def _optimizer(self, kind: str, params: list[nn.Parameter],
                   lr: float) -> torch.optim.Optimizer:
        if kind == "sgd":
            return torch.optim.SGD(params, lr=lr)
        # Fused: one kernel, no host reads. The default reads Adam's step count back once per
        # tensor (two dozen GIL hand-offs a step), which made a step 2–3× slower in the window,
        # whose thread holds the GIL while it paints.
        return torch.optim.Adam(params, lr=lr, betas=tuple(self.cfg.betas), fused=True)

    @property
    def critic_output(self) -> bool:
        """True when D's output is a raw score (``d_field`` is then not a probability)."""
        return self.cfg.critic_output

    # ------------------------------------------------------------------ sampling
    def _noise(self, n: int, generator: torch.Generator) -> torch.Tensor:
        if self.cfg.noise == "uniform":
            return torch.rand(n, self.cfg.noise_dim, generator=generator) * 2 - 1
        return torch.randn(n, self.cfg.noise_dim, generator=generator)

    def noise_sigma(self, step: int | None = None) -> float:
        """Instance noise σ at ``step``: linear from its start value to 0 over anneal_steps."""
        step = self.step if step is None else step
        return self.cfg.instance_noise * max(0.0, 1 - step / self.cfg.anneal_steps)

    def _noisy(self, x: torch.Tensor, sigma: float) -> torch.Tensor:
        return x + sigma * torch.randn(x.shape, generator=self._rng) if sigma > 0 else x

    # --------------------------------------------------------------- objectives
    def _critic(self, x: torch.Tensor, params: Params | None = None) -> torch.Tensor:
        if params is None:
            return self.discriminator(x, batch=True)
        return self.discriminator.forward_with(params, x)

    def _d_objective(self, real: torch.Tensor, fake: torch.Tensor, params: Params | None = None
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(D's loss with its penalties, logits on [real, fake], the penalty alone)."""
        cfg, sigma = self.cfg, self.noise_sigma()
        real, fake = self._noisy(real, sigma), self._noisy(fake, sigma)
        logits = self._critic(torch.stack([real, fake]), params)
        loss = d_loss_real(cfg.loss, logits[0]).mean() + d_loss_fake(cfg.loss, logits[1]).mean()
        real_penalty, fake_penalty = self._penalties(real, fake, params)
        penalty = real_penalty + fake_penalty
        return loss + penalty, logits, penalty

    def _penalties(self, real: torch.Tensor, fake: torch.Tensor, params: Params | None
                   ) -> tuple[torch.Tensor, torch.Tensor]:
        """(R1, which sees real data only; WGAN-GP, which sees fake data too), 0 when off."""
        cfg, critic = self.cfg, partial(self._critic, params=params)
        real_penalty = fake_penalty = torch.zeros(())
        if cfg.loss == "wgan_gp" and cfg.gp_weight > 0:
            fake_penalty = gradient_penalty(critic, real, fake, cfg.gp_weight, cfg.pack,
                                            generator=self._rng)
        if cfg.r1 > 0:
            real_penalty = r1_penalty(critic, real, cfg.r1, cfg.pack)
        return real_penalty, fake_penalty

    def _g_objective(self, fake: torch.Tensor, params: Params | None = None) -> torch.Tensor:
        """G's loss on its samples, against D (or D with ``params``)."""
        logits = self._critic(self._noisy(fake, self.noise_sigma()), params)
        return g_loss(self.cfg.loss, logits).mean()

    def _unroll(self, real: torch.Tensor, fake: torch.Tensor) -> tuple[Params, FirstDStep]:
        """Metz et al. 2017: θ_D after k steps of D's optimiser on this batch, as a
        differentiable function of G's samples, so G's gradient sees how D would answer it;
        and the first of those steps, which is D's own update."""
        return unroll(self.discriminator, self.d_opt, self.cfg, self.cfg.unrolled,
                      first=lambda params, flat: self._first_unrolled_gradient(real, fake,
                                                                               params, flat),
                      loss=lambda params: self._d_objective(real, fake, params)[0])

    def _first_unrolled_gradient(self, real: torch.Tensor, fake: torch.Tensor, params: Params,
                                 flat: torch.Tensor) -> FirstDStep:
        """D's gradient at its own weights, differentiable in G's samples. Its real-data terms
        cannot depend on G, so they are differentiated apart and without a graph: a sixth less
        work than one more unrolled step."""
        sigma = self.noise_sigma()
        real, fake = self._noisy(real, sigma), self._noisy(fake, sigma)
        real_logits, fake_logits = self._critic(real, params), self._critic(fake, params)
        real_penalty, fake_penalty = self._penalties(real, fake, params)
        real_term = d_loss_real(self.cfg.loss, real_logits).mean() + real_penalty
        fake_term = d_loss_fake(self.cfg.loss, fake_logits).mean() + fake_penalty
        (real_grad,) = torch.autograd.grad(real_term, flat)
        (fake_grad,) = torch.autograd.grad(fake_term, flat, create_graph=True)
        info = torch.cat([torch.stack([real_logits, fake_logits]).detach(),
                          (real_penalty + fake_penalty).detach().reshape(1, 1).expand(2, 1)], 1)
        return FirstDStep(real_grad + fake_grad, (real_term + fake_term).detach(), info)

    # ------------------------------------------------------------------ training
    def _real(self) -> torch.Tensor:
        return self._real_sampler(self.cfg.batch_size, self._rng)

    def _clip(self) -> None:
        with torch.no_grad():
            for p in self.d_params:
                p.clamp_(-self.cfg.clip, self.cfg.clip)

    def _grads(self, loss: torch.Tensor, params: list[nn.Parameter]) -> list[torch.Tensor]:
        """∂loss/∂params, or Gan2dError when the loss or a gradient is not finite — before any
        weight moves, so the last good weights stay."""
        grads = torch.autograd.grad(loss, params)
        self._check_finite(torch.stack([loss.detach(), *(g.sum() for g in grads)]))
        return list(grads)

    def _check_finite(self, values: torch.Tensor) -> None:
        if not math.isfinite(float(values.sum())):
            raise Gan2dError(f"Training diverged at step {self.step + 1}; the last good weights "
                             f"are kept.")

    @staticmethod
    def _apply(opt: torch.optim.Optimizer, params: list[nn.Parameter],
               grads: list[torch.Tensor]) -> None:
        for p, g in zip(params, grads, strict=True):
            p.grad = g
        opt.step()

    def _d_step(self, fake: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if fake is None:
            with torch.no_grad():
                fake = self.generator(self._noise(self.cfg.batch_size, self._rng))
        loss, logits, penalty = self._d_objective(self._real(), fake)
        self._apply(self.d_opt, self.d_params, self._grads(loss, self.d_params))
        if self.cfg.loss == "wgan_clip":
            self._clip()
        self.discriminator.reference = fake
        return loss.detach(), torch.cat([logits.detach(), penalty.detach().reshape(1, 1)
                                         .expand(2, 1)], 1)

    def _g_step(self) -> torch.Tensor:
        fake = self.generator(self._noise(self.cfg.batch_size, self._rng))
        loss = self._g_objective(fake)
        self._move_g(self._grads(loss, self.g_params))
        return loss.detach()

    def _move_g(self, grads: list[torch.Tensor]) -> None:
        """G's update, and its weights' moving average when one is kept."""
        self._apply(self.g_opt, self.g_params, grads)
        if self.shown is not self.generator:
            with torch.no_grad():
                torch._foreach_lerp_(list(self.shown.parameters()), self.g_params,
                                     1 - self.cfg.g_average)

    def _simultaneous_step(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Both players' gradients at the same weights, then both updates."""
        z = self._noise(self.cfg.batch_size, self._rng)
        with torch.no_grad():
            fake = self.generator(z)
        d_loss, logits, penalty = self._d_objective(self._real(), fake)
        d_grads = self._grads(d_loss, self.d_params)
        g_value = self._g_objective(self.generator(z))
        g_grads = self._grads(g_value, self.g_params)
        self._apply(self.d_opt, self.d_params, d_grads)
        self._move_g(g_grads)
        if self.cfg.loss == "wgan_clip":
            self._clip()
        self.discriminator.reference = fake
        return d_loss.detach(), g_value.detach(), torch.cat(
            [logits.detach(), penalty.detach().reshape(1, 1).expand(2, 1)], 1)

    def _unrolled_step(self, move_d: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """G's step against D unrolled k steps ahead on this batch; with ``move_d``, D's own
        update is the first of those steps, as in Metz et al. — both players move from the
        same weights, and D's step costs no extra pass."""
        fake = self.generator(self._noise(self.cfg.batch_size, self._rng))
        params, first = self._unroll(self._real(), fake)
        g_value = self._g_objective(fake, params)
        g_grads = self._grads(g_value, self.g_params)
        if move_d:
            d_grad = first.gradient.detach()
            self._check_finite(torch.stack([first.loss, d_grad.sum()]))
            self._apply(self.d_opt, self.d_params,
                        [g.view_as(p) for g, p in
                         zip(d_grad.split([p.numel() for p in self.d_params]), self.d_params,
                             strict=True)])
            if self.cfg.loss == "wgan_clip":
                self._clip()
            self.discriminator.reference = fake.detach()
        self._move_g(g_grads)
        return first.loss, g_value.detach(), first.info

    def train_step(self, which: str = "both") -> StepStats:
        """One step: ``"d"`` trains D once, ``"g"`` G once, ``"both"`` d_steps of D then one of
        G (or, with simultaneous updates, both from the same weights). A loss or gradient that
        is not finite raises Gan2dError and leaves the last good weights in place."""
        if which not in ("d", "g", "both"):
            raise Gan2dError(f"Step: {which!r} is not one of d, g, both.")
        nan = torch.tensor(float("nan"))
        d_value = g_value = nan
        d_info: torch.Tensor | None = None
        if which == "d":
            d_value, d_info = self._d_step()
        elif which == "g" and self.cfg.unrolled:
            _, g_value, _ = self._unrolled_step(move_d=False)
        elif which == "g":
            g_value = self._g_step()
        elif self.cfg.unrolled:
            for _ in range(self.cfg.d_steps - 1):
                self._d_step()
            d_value, g_value, d_info = self._unrolled_step(move_d=True)
        elif self.cfg.updates == "simultaneous":
            for _ in range(self.cfg.d_steps - 1):
                self._d_step()
            d_value, g_value, d_info = self._simultaneous_step()
        else:
            for _ in range(self.cfg.d_steps):
                d_value, d_info = self._d_step()
            g_value = self._g_step()
        sigma = self.noise_sigma()
        self.step += 1
        return self._stats(d_value, g_value, d_info, sigma)

    def _stats(self, d_value: torch.Tensor, g_value: torch.Tensor,
               d_info: torch.Tensor | None, sigma: float) -> StepStats:
        extra: dict[str, float] = {}
        if d_info is not None:
            # One conversion for every number: the step's only synchronisation point.
            out = d_output(self.cfg.loss, d_info[:, :-1]).mean(1)
            values = torch.stack([d_value, g_value, out[0], out[1], d_info[0, -1]]).tolist()
            extra = {"d_real": values[2], "d_fake": values[3]}
            if self.cfg.r1 > 0 or self.cfg.loss == "wgan_gp":
                extra["penalty"] = values[4]
        else:
            values = torch.stack([d_value, g_value]).tolist()
        if self.cfg.instance_noise > 0:
            extra["noise_sigma"] = sigma
        return StepStats(self.step, values[0], values[1], extra)

    def run(self, steps: int, every: int = 0,
            callback: Callable[[StepStats], object] | None = None) -> list[StepStats]:
        """``steps`` steps of ``train_step()``. Returns the stats of every ``every``-th step
        (each also handed to ``callback``; returning False from it stops early), or with
        ``every`` = 0 only the last step's."""
        history: list[StepStats] = []
        stats = None
        for _ in range(steps):
            stats = self.train_step()
            if every and self.step % every == 0:
                history.append(stats)
                if callback is not None and callback(stats) is False:
                    return history
        if not every and stats is not None:
            history.append(stats)
        return history

    # --------------------------------------------------------------------- views
    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """``n`` generated points (N×2 float32); a seed fixes them, else a fresh draw."""
        rng = torch.Generator().manual_seed(seed) if seed is not None else self._view_rng
        with torch.inference_mode():
            return self.shown(self._noise(n, rng)).numpy()

    def noise_grid(self, n: int = 20) -> tuple[np.ndarray, np.ndarray]:
        """A regular n×n grid over the noise plane (the first two noise dimensions, the others
        0), as n×n×2, and its image under G (n×n×2): the input grid as G warps it."""
        extent = NOISE_EXTENT[self.cfg.noise]
        axis = torch.linspace(-extent, extent, n)
        ys, xs = torch.meshgrid(axis, axis, indexing="ij")
        plane = torch.stack([xs, ys], -1).reshape(-1, 2)
        z = torch.zeros(n * n, self.cfg.noise_dim)
        used = min(2, self.cfg.noise_dim)
        z[:, :used] = plane[:, :used]
        with torch.inference_mode():
            image = self.shown(z)
        return plane.reshape(n, n, 2).numpy(), image.reshape(n, n, 2).numpy()

    def d_field(self, xlim: tuple[float, float], ylim: tuple[float, float],
                n: int = 100) -> np.ndarray:
        """D's output on an n×n grid of the plane (row i at y = ylim's i-th step, column j at
        x = xlim's j-th): probabilities for the cross-entropy losses, raw scores otherwise."""
        xs = torch.linspace(float(xlim[0]), float(xlim[1]), n)
        ys = torch.linspace(float(ylim[0]), float(ylim[1]), n)
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        with torch.inference_mode():
            points = torch.stack([gx.reshape(-1), gy.reshape(-1)], 1)
            # Chunks that stay in cache are faster than one pass over the whole grid.
            logits = torch.cat([self.discriminator(c) for c in points.split(FIELD_CHUNK)])
            return d_output(self.cfg.loss, logits).reshape(n, n).float().numpy()

    def g_gradients(self, points: np.ndarray) -> np.ndarray:
        """∂(G's loss at x)/∂x for each point (N×2): a generated point moves along minus this."""
        x = torch.as_tensor(np.asarray(points, dtype=np.float32)).reshape(-1, 2)
        x = x.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(g_loss(self.cfg.loss, self.discriminator(x)).sum(), x)
        return grad.numpy()
