"""The adversarial objectives, per sample, as pure functions of D's raw outputs (logits or
critic values), and the gradient penalties. Every loss here is minimised by its player.

For the two cross-entropy losses D(x) = σ(logit); log σ(t) = −softplus(−t) and
log(1 − σ(t)) = −softplus(t), which are the numerically stable forms.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

LOSSES = ("saturating", "non_saturating", "least_squares", "hinge", "wgan_clip", "wgan_gp")
#: Losses whose D outputs a probability through a sigmoid; the others' D outputs a raw score.
PROBABILITY_LOSSES = frozenset({"saturating", "non_saturating"})
#: Least-squares targets (Mao et al. 2017): fake a = 0, real b = 1, and G's target c = 1.
LSGAN_A, LSGAN_B, LSGAN_C = 0.0, 1.0, 1.0


def _check(kind: str) -> None:
    if kind not in LOSSES:
        raise ValueError(f"Unknown GAN loss {kind!r}; choose one of {', '.join(LOSSES)}.")


def d_loss_real(kind: str, logits: torch.Tensor) -> torch.Tensor:
    """D's per-sample loss on real data."""
    _check(kind)
    if kind in PROBABILITY_LOSSES:
        return F.softplus(-logits)  # −log D(x)
    if kind == "least_squares":
        return 0.5 * (logits - LSGAN_B) ** 2
    if kind == "hinge":
        return F.relu(1 - logits)  # max(0, 1 − D(x))
    return -logits  # the critic maximises E D(x) − E D(G(z))


def d_loss_fake(kind: str, logits: torch.Tensor) -> torch.Tensor:
    """D's per-sample loss on generated data."""
    _check(kind)
    if kind in PROBABILITY_LOSSES:
        return F.softplus(logits)  # −log(1 − D(G(z)))
    if kind == "least_squares":
        return 0.5 * (logits - LSGAN_A) ** 2
    if kind == "hinge":
        return F.relu(1 + logits)  # max(0, 1 + D(G(z)))
    return logits


def g_loss(kind: str, logits: torch.Tensor) -> torch.Tensor:
    """G's per-sample loss on D's outputs for its samples."""
    _check(kind)
    if kind == "saturating":
        return -F.softplus(logits)  # log(1 − D(G(z))): the minimax game itself
    if kind == "non_saturating":
        return F.softplus(-logits)  # −log D(G(z)): strong gradients where D rejects G
    if kind == "least_squares":
        return 0.5 * (logits - LSGAN_C) ** 2
    return -logits  # hinge and both WGANs: −D(G(z))


def d_output(kind: str, logits: torch.Tensor) -> torch.Tensor:
    """What D's output means to a person: a probability, or the raw score for the others."""
    return torch.sigmoid(logits) if kind in PROBABILITY_LOSSES else logits


def _input_gradients(critic: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                     pack: int, create_graph: bool) -> torch.Tensor:
    """‖∇ₓD‖² per packed input (what D scores as one): groups × 1."""
    x = x if x.requires_grad else x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=create_graph)
    return grad.reshape(-1, 2 * pack).pow(2).sum(1)


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                     fake: torch.Tensor, weight: float, pack: int = 1,
                     generator: torch.Generator | None = None,
                     eps: torch.Tensor | None = None, create_graph: bool = True) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): λ·E(‖∇D(x̂)‖ − 1)², x̂ = εx + (1 − ε)x̃, ε ~ U[0, 1]
    per packed input. ``critic`` maps N×2 points to N/pack outputs."""
    groups = real.shape[0] // pack
    if eps is None:
        eps = torch.rand(groups, 1, generator=generator, dtype=real.dtype)
    eps = eps.reshape(groups, 1).repeat_interleave(pack, 0)
    mixed = eps * real + (1 - eps) * fake
    squared = _input_gradients(critic, mixed, pack, create_graph)
    # The small floor keeps the norm's gradient finite where ∇D happens to vanish.
    return weight * ((squared + 1e-12).sqrt() - 1).pow(2).mean()


def r1_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
               gamma: float, pack: int = 1, create_graph: bool = True) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): γ/2·E‖∇D(x)‖² on real data."""
    return 0.5 * gamma * _input_gradients(critic, real, pack, create_graph).mean()
