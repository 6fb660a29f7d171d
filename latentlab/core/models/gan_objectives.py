"""The image GANs' objectives: the per-sample losses of the 2-D lab (``core.gan2d.objectives``)
averaged over a batch, and the input-gradient penalties and instance noise for image batches.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from latentlab.config import GAN_LOSSES
from latentlab.core.gan2d.objectives import (
    PROBABILITY_LOSSES,
    d_loss_fake,
    d_loss_real,
    d_output,
    g_loss,
)
from latentlab.core.models.form_values import WGAN_GP_WEIGHT

#: Instance noise falls linearly from σ to 0 over this many discriminator steps.
INSTANCE_NOISE_STEPS = 5_000

Critic = Callable[[torch.Tensor], torch.Tensor]


def _check(kind: str) -> None:
    if kind not in GAN_LOSSES:
        raise ValueError(f"Unknown generator loss {kind!r}; choose one of "
                         f"{', '.join(GAN_LOSSES)}.")


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor,
                       kind: str = "non_saturating") -> torch.Tensor:
    """D's batch loss: for the cross-entropy losses −log D(x) − log(1 − D(G(z))); least squares
    ½(D(x) − 1)² + ½D(G(z))²; hinge max(0, 1 − D(x)) + max(0, 1 + D(G(z))); WGAN-GP's critic
    −D(x) + D(G(z)) (its penalty is added separately)."""
    _check(kind)
    return d_loss_real(kind, real_logits).mean() + d_loss_fake(kind, fake_logits).mean()


def generator_loss(fake_logits: torch.Tensor, kind: str) -> torch.Tensor:
    """The generator's loss on D's logits for its samples.

    ``saturating`` minimises log(1 − D(G(z))) = −softplus(logit), the minimax objective itself,
    whose gradient vanishes when D confidently rejects the samples (early in training).
    ``non_saturating`` minimises −log D(G(z)) = softplus(−logit): the same fixed point with
    strong gradients exactly then (the flipped-target heuristic). ``least_squares`` minimises
    ½(D(G(z)) − 1)²; ``hinge`` and ``wgan_gp`` minimise −D(G(z)).
    """
    _check(kind)
    return g_loss(kind, fake_logits).mean()


def d_reading(kind: str, logits: torch.Tensor) -> torch.Tensor:
    """D's batch-mean output as reported: a probability for the cross-entropy losses, else the
    raw score."""
    return d_output(kind, logits).mean()


def is_probability(kind: str) -> bool:
    return kind in PROBABILITY_LOSSES


def _squared_input_gradients(critic: Critic, x: torch.Tensor) -> torch.Tensor:
    """‖∇ₓD(x)‖² per image, with the graph kept so the penalty can be minimised."""
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return grad.flatten(1).pow(2).sum(1)


def gradient_penalty(critic: Critic, real: torch.Tensor, fake: torch.Tensor,
                     weight: float = WGAN_GP_WEIGHT,
                     eps: torch.Tensor | None = None) -> torch.Tensor:
    """WGAN-GP: λ·E(‖∇D(x̂)‖ − 1)² at x̂ = εx + (1 − ε)x̃, one ε ~ U[0, 1] per image."""
    if eps is None:
        eps = torch.rand(len(real), device=real.device, dtype=real.dtype)
    eps = eps.reshape(-1, *[1] * (real.dim() - 1))
    mixed = eps * real.detach() + (1 - eps) * fake.detach()
    squared = _squared_input_gradients(critic, mixed)
    # The small floor keeps the norm's gradient finite where ∇D happens to vanish.
    return weight * ((squared + 1e-12).sqrt() - 1).pow(2).mean()


def r1_penalty(critic: Critic, real: torch.Tensor, gamma: float) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): γ/2·E‖∇D(x)‖² on real images."""
    return 0.5 * gamma * _squared_input_gradients(critic, real).mean()


def instance_noise_sigma(sigma: float, step: int, steps: int = INSTANCE_NOISE_STEPS) -> float:
    """σ after ``step`` discriminator steps: linear from ``sigma`` down to 0 at ``steps``."""
    return sigma * max(0.0, 1.0 - step / steps)


def add_instance_noise(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """x + N(0, σ²): real and generated images blur together, so their supports overlap
    (Sønderby et al. 2017)."""
    return x + sigma * torch.randn_like(x) if sigma > 0 else x
