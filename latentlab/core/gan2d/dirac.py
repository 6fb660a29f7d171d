"""The Dirac-GAN (Mescheder, Geiger & Nowozin 2018, "Which training methods for GANs actually
converge?"): the smallest GAN that shows why training oscillates.

The data is a point mass at 0, the generator a point mass at θ (p_θ = δ_θ), the discriminator
linear, D_ψ(x) = ψ·x. With f the loss's function (f(t) = −log(1 + e^−t) for the GAN, f(t) = t
for the WGAN) the objective is

    L(θ, ψ) = E_{x~p_θ}[f(D_ψ(x))] + E_{x~p_D}[f(−D_ψ(x))] = f(ψθ) + f(0),

which the generator minimises and the discriminator maximises. Its vector field
v(θ, ψ) = (−∂L/∂θ, ∂L/∂ψ) = (−ψ f′(ψθ), θ f′(ψθ)) has a Jacobian with purely imaginary
eigenvalues ±i f′(0) at the equilibrium (0, 0): simultaneous gradient steps spiral outwards and
alternating ones circle it, neither converges. The remedies the paper analyses:

- instance noise σ: Gaussian noise added to real and generated points. The expectations over the
  noise have no elementary closed form for the logistic f, so they are taken by Gauss–Hermite
  quadrature (exact to float precision here); the field gains the damping 2σ²f″(0) < 0 on ψ;
- R1 (γ): the penalty γ/2·E_{p_D}‖∇D‖² = γ/2·ψ² on the discriminator, so v_ψ −= γψ;
- the WGAN-GP penalty (γ): γ/2·(|ψ| − 1)², so v_ψ −= γ(|ψ| − 1)·sign ψ;
- weight clipping for the WGAN: ψ projected into [−c, c] after each step.

The non-saturating generator minimises −f(−ψθ) instead of f(ψθ), so v_θ = −ψ f′(−ψθ). Its
Jacobian at (0, 0) is the same, so it does not converge linearly either; the higher-order terms
(d‖(θ, ψ)‖²/dt = −2θψ·tanh(θψ/2) ≤ 0 in continuous time) only let it creep inwards, far more
slowly than with instance noise or R1. The paper's objective above is the saturating one, the
default here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

DIRAC_LOSSES = ("non_saturating", "saturating", "wgan")
METHODS = ("simultaneous", "alternating")
#: Gauss–Hermite nodes for the instance noise's expectations.
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(32)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


@dataclass(frozen=True)
class DiracGan:
    """One Dirac-GAN setting: the loss and its regularisers."""

    loss: str = "saturating"
    instance_noise: float = 0.0  # σ
    r1: float = 0.0  # γ
    gp: float = 0.0  # γ of the WGAN-GP penalty
    clip: float = 0.0  # WGAN weight clipping, 0 = off

    def validate(self) -> list[str]:
        problems = []
        if self.loss not in DIRAC_LOSSES:
            problems.append(f"Loss: unknown {self.loss!r} (choose from "
                            f"{', '.join(DIRAC_LOSSES)}).")
        for name in ("instance_noise", "r1", "gp", "clip"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                problems.append(f"{name.replace('_', ' ').capitalize()}: must be ≥ 0 "
                                f"(got {value}).")
        return problems

    def with_(self, **changes: float | str) -> DiracGan:
        return replace(self, **changes)  # type: ignore[arg-type]


def _f_prime(t: np.ndarray, loss: str) -> np.ndarray:
    if loss == "wgan":
        return np.ones_like(t)
    return 0.5 * (1.0 - np.tanh(t / 2))  # σ(−t), stable for any t


def _field(theta: np.ndarray, psi: np.ndarray, gan: DiracGan) -> tuple[np.ndarray, np.ndarray]:
    """(v_θ, v_ψ) at arrays of the same shape."""
    theta, psi = np.asarray(theta, dtype=np.float64), np.asarray(psi, dtype=np.float64)
    if gan.instance_noise > 0:
        # x_fake = θ + ε, x_real = ε′: average the pointwise gradients over ε (and ε′).
        eps = gan.instance_noise * _NODES.reshape((-1,) + (1,) * theta.ndim)
        w = _WEIGHTS.reshape((-1,) + (1,) * theta.ndim)
        fake = theta + eps
        if gan.loss == "non_saturating":
            v_theta = (w * -psi * _f_prime(-psi * fake, gan.loss)).sum(axis=0)
        else:
            v_theta = (w * -psi * _f_prime(psi * fake, gan.loss)).sum(axis=0)
        v_psi = (w * (fake * _f_prime(psi * fake, gan.loss)
                      - eps * _f_prime(-psi * eps, gan.loss))).sum(axis=0)
    else:
        t = psi * theta
        sign = -1.0 if gan.loss == "non_saturating" else 1.0
        v_theta = -psi * _f_prime(sign * t, gan.loss)
        v_psi = theta * _f_prime(t, gan.loss)  # the real point at 0 adds no gradient
    if gan.r1 > 0:
        v_psi = v_psi - gan.r1 * psi
    if gan.gp > 0:
        v_psi = v_psi - gan.gp * (np.abs(psi) - 1.0) * np.sign(psi)
    return v_theta, v_psi


def vector_field(grid: np.ndarray, gan: DiracGan | None = None) -> np.ndarray:
    """The field at points (…×2 array of (θ, ψ)), same shape: arrows for a quiver plot."""
    grid = np.asarray(grid, dtype=np.float64)
    v_theta, v_psi = _field(grid[..., 0], grid[..., 1], gan or DiracGan())
    return np.stack([v_theta, v_psi], axis=-1)


def field_grid(gan: DiracGan | None = None, extent: float = 2.0, n: int = 21) -> np.ndarray:
    """An n×n×2 grid of (θ, ψ) over [−extent, extent]² (θ along columns)."""
    axis = np.linspace(-extent, extent, n)
    theta, psi = np.meshgrid(axis, axis)
    return np.stack([theta, psi], axis=-1)


def trajectory(theta0: float, psi0: float, steps: int, lr: float,
               method: Literal["simultaneous", "alternating"] = "simultaneous",
               gan: DiracGan | None = None) -> np.ndarray:
    """(steps + 1)×2 points (θ, ψ) of gradient descent (θ) / ascent (ψ) from (θ₀, ψ₀).

    Alternating steps update the discriminator first, then the generator against it (as the
    2-D trainer does)."""
    gan = gan or DiracGan()
    problems = gan.validate()
    if method not in METHODS:
        problems.append(f"Method: unknown {method!r} (choose from {', '.join(METHODS)}).")
    if steps < 0 or not lr > 0:
        problems.append(f"Steps and learning rate: need steps ≥ 0 and lr > 0 (got {steps}, "
                        f"{lr}).")
    if problems:
        raise ValueError(problems[0])
    out = np.empty((steps + 1, 2))
    theta, psi = float(theta0), float(psi0)
    out[0] = theta, psi
    for i in range(1, steps + 1):
        if method == "simultaneous":
            v_theta, v_psi = _field(np.array(theta), np.array(psi), gan)
            theta, psi = theta + lr * float(v_theta), psi + lr * float(v_psi)
            psi = _clip(psi, gan)
        else:
            _, v_psi = _field(np.array(theta), np.array(psi), gan)
            psi = _clip(psi + lr * float(v_psi), gan)
            v_theta, _ = _field(np.array(theta), np.array(psi), gan)
            theta = theta + lr * float(v_theta)
        out[i] = theta, psi
    return out


def _clip(psi: float, gan: DiracGan) -> float:
    return float(np.clip(psi, -gan.clip, gan.clip)) if gan.clip > 0 else psi
