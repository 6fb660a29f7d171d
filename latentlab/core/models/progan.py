"""Progressive growing of GANs (Karras et al. 2018): G and D start at a low resolution and
double it in stages (28×28 data: 7 → 14 → 28), each new layer faded in while α goes 0 → 1.

The run's steps are split evenly among the stages; the first half of every stage after the
first fades its layers in, the second trains them fully in. The model counts its own steps
(``train_step``) and moves G and D to the stage of each step before taking it. The real images
D sees are blended the same way as G's output, so at every step D compares like with like.

Everything else is the GAN's: the objectives, R1, instance noise, minibatch discrimination and
the unrolled D (``gan.GAN``), with the networks of ``progan_nets``.
"""

from __future__ import annotations

import torch

from latentlab.config import ModelConfig
from latentlab.core.models.base import StepLosses
from latentlab.core.models.gan import GAN
from latentlab.core.models.gan_layers import build_critic
from latentlab.core.models.progan_nets import (
    ProgressiveDiscriminator,
    ProgressiveGenerator,
    blend_real,
)


def stage_at(step: int, total_steps: int, sides: tuple[int, ...]) -> tuple[int, float]:
    """(side, α) for a step of a run of ``total_steps``: the steps split evenly among the
    stages, the first half of each stage after the first fading it in (α 0 → 1)."""
    per_stage = total_steps / len(sides)
    index = min(int(step / per_stage), len(sides) - 1)
    if index == 0:
        return sides[0], 1.0
    into = (step - index * per_stage) / (per_stage / 2)
    return sides[index], min(1.0, into)


class ProGAN(GAN):
    """A GAN that grows (``decoder``: ``ProgressiveGenerator``; D: its ``features`` and
    ``critic``). Before ``plan_steps`` (an opened checkpoint) it stays at the stage its
    buffers hold."""

    def __init__(self, cfg: ModelConfig, input_shape: tuple[int, int, int]) -> None:
        super().__init__(cfg, input_shape)
        #: G steps taken so far in this run, and the run's length (None: not planned).
        self.steps_done = 0
        self.total_steps: int | None = None

    def _build_networks(self, cfg: ModelConfig, input_shape: tuple[int, int, int]) -> None:
        # The growing nets take the places of GAN's MLP or DCGAN.
        self.decoder = ProgressiveGenerator(cfg, input_shape, self.input_dim)
        self.features = ProgressiveDiscriminator(cfg, input_shape)
        self.feature_dim = self.features.width
        self.critic = build_critic(cfg, self.feature_dim)

    @property
    def sides(self) -> tuple[int, ...]:
        """The stages' sides, ending at the data's."""
        return self.decoder.sides

    @property
    def growth(self) -> tuple[int, float]:
        """(the current side, α), as G's buffers hold them."""
        return self.decoder.stage()

    def set_stage(self, resolution: int, alpha: float) -> None:
        """Move G and D (both) to a stage."""
        self.decoder.set_stage(resolution, alpha)
        self.features.set_stage(resolution, alpha)

    def plan_steps(self, total_steps: int) -> None:
        super().plan_steps(total_steps)
        self.total_steps, self.steps_done = max(1, total_steps), 0
        self.set_stage(*stage_at(0, self.total_steps, self.sides))

    def blend_real(self, x: torch.Tensor) -> torch.Tensor:
        """Real images as D sees them at the current stage (``progan_nets.blend_real``)."""
        return blend_real(x, self.sides, *self.growth)

    def losses(self, x: torch.Tensor,
               labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        return super().losses(self.blend_real(x), labels)

    def train_step(self, x: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                   labels: torch.Tensor | None = None) -> StepLosses:
        if self.total_steps is not None:
            self.set_stage(*stage_at(self.steps_done, self.total_steps, self.sides))
        # Blending is linear with weights that sum to 1, so blending the [0, 1] images is
        # blending them in D's [−1, 1] range; D's steps, R1 and an unrolled D all see it.
        terms = super().train_step(self.blend_real(x), optimizers, labels)
        self.steps_done += 1
        return terms


__all__ = ["ProGAN", "stage_at"]
