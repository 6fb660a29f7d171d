"""Toy 2-D data for the GAN dynamics lab: mixtures of Gaussians with known modes (the ring of 8
and the 5×5 grid, where mode collapse is countable), a few manifolds, and the user's own drawing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

TOY_DATA = ("ring", "grid", "swiss_roll", "line", "moons", "drawn")
#: The fewest points a drawing may have: fewer is not a distribution worth learning.
MIN_DRAWN_POINTS = 10
#: Resampled points (manifolds, drawings) get Gaussian jitter of this fraction of the data's
#: spread, so the generator is not asked to hit a finite set of points exactly.
JITTER_FRACTION = 0.01


class Gan2dError(ValueError):
    """A bad setting or a failed run; the message names the field it is about."""


@dataclass(frozen=True, eq=False)
class ToyData:
    """A fixed, seeded sample of a 2-D distribution, and a way to draw fresh ones."""

    name: str
    points: np.ndarray  # N×2 float32
    modes: np.ndarray | None = None  # M×2 centres of a Gaussian mixture
    sigma: float | None = None  # the modes' standard deviation
    jitter: float = 0.0  # std of the noise added when resampling ``points``

    def sample(self, n: int, generator: np.random.Generator) -> np.ndarray:
        """``n`` fresh samples (N×2 float32): mixtures draw anew, the rest resample ``points``."""
        if self.modes is not None and self.sigma is not None:
            centres = self.modes[generator.integers(len(self.modes), size=n)]
            return (centres + self.sigma * generator.standard_normal((n, 2))).astype(np.float32)
        picked = self.points[generator.integers(len(self.points), size=n)]
        return (picked + self.jitter * generator.standard_normal((n, 2))).astype(np.float32)

    def torch_sampler(self) -> TorchSampler:
        """The same distribution as ``sample``, drawn with torch (the training loop's hot path)."""
        return TorchSampler(self)

    @property
    def bounds(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """(xlim, ylim) framing the data with a margin, for plots and D's field."""
        low, high = self.points.min(0), self.points.max(0)
        margin = 0.25 * float(max(high - low)) + 1e-3
        return ((float(low[0] - margin), float(high[0] + margin)),
                (float(low[1] - margin), float(high[1] + margin)))


class TorchSampler:
    """Draws real batches as torch tensors from a torch generator (no NumPy round trip)."""

    def __init__(self, data: ToyData) -> None:
        self.mixture = data.modes is not None and data.sigma is not None
        base = data.modes if self.mixture else data.points
        self.base = torch.as_tensor(np.asarray(base, dtype=np.float32))
        self.scale = float(data.sigma if self.mixture else data.jitter)

    def __call__(self, n: int, generator: torch.Generator) -> torch.Tensor:
        index = torch.randint(len(self.base), (n,), generator=generator)
        return self.base[index] + self.scale * torch.randn(n, 2, generator=generator)


def ring_modes(count: int = 8, radius: float = 2.0) -> np.ndarray:
    angles = 2 * np.pi * np.arange(count) / count
    return np.stack([radius * np.cos(angles), radius * np.sin(angles)], 1).astype(np.float32)


def grid_modes(side: int = 5, spacing: float = 2.0) -> np.ndarray:
    axis = spacing * (np.arange(side) - (side - 1) / 2)
    xs, ys = np.meshgrid(axis, axis)
    return np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float32)


def _swiss_roll(n: int, rng: np.random.Generator) -> np.ndarray:
    t = 1.5 * np.pi * (1 + 2 * rng.random(n))
    xy = np.stack([t * np.cos(t), t * np.sin(t)], 1) / 7.5  # about [−2, 2]
    return xy + 0.03 * rng.standard_normal((n, 2))


def _line(n: int, rng: np.random.Generator) -> np.ndarray:
    x = rng.uniform(-2, 2, n)
    return np.stack([x, 0.5 * x], 1) + 0.02 * rng.standard_normal((n, 2))


def _moons(n: int, rng: np.random.Generator) -> np.ndarray:
    # Two interleaved half circles, as scikit-learn's make_moons draws them, centred and scaled.
    upper = rng.random(n) < 0.5
    t = np.pi * rng.random(n)
    x = np.where(upper, np.cos(t), 1 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    xy = 1.5 * (np.stack([x, y], 1) - [0.5, 0.25])
    return xy + 0.05 * rng.standard_normal((n, 2))


_MANIFOLDS = {"swiss_roll": _swiss_roll, "line": _line, "moons": _moons}


def _jitter(points: np.ndarray) -> float:
    return JITTER_FRACTION * float(np.sqrt(points.var(0).sum()) + 1e-6)


def drawn_points(points: object) -> np.ndarray:
    """The user's points as N×2 float32, or Gan2dError naming the field."""
    if points is None:
        raise Gan2dError(f"Drawn points: draw at least {MIN_DRAWN_POINTS} points first.")
    try:
        array = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise Gan2dError(f"Drawn points: not a list of (x, y) pairs ({error}).") from None
    if array.ndim != 2 or array.shape[1] != 2:
        raise Gan2dError(f"Drawn points: expected N×2 (x, y) pairs, got shape {array.shape}.")
    if len(array) < MIN_DRAWN_POINTS:
        raise Gan2dError(
            f"Drawn points: draw at least {MIN_DRAWN_POINTS} points (got {len(array)}).")
    if not np.isfinite(array).all():
        raise Gan2dError("Drawn points: every coordinate must be a finite number.")
    if np.abs(array).max() > 1e6:
        raise Gan2dError("Drawn points: coordinates must lie within ±1,000,000.")
    return array.astype(np.float32)


def make_toy_data(name: str, n: int = 2000, seed: int = 0,
                  points: np.ndarray | None = None) -> ToyData:
    """The named toy data: ``n`` seeded points; ``drawn`` takes the user's ``points``."""
    if name not in TOY_DATA:
        raise Gan2dError(f"Data: unknown toy data {name!r}; choose one of {', '.join(TOY_DATA)}.")
    if name == "drawn":
        array = drawn_points(points)
        return ToyData(name, array, jitter=_jitter(array))
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise Gan2dError(f"Points: the number of points must be a positive integer (got {n!r}).")
    rng = np.random.default_rng(seed)
    if name in ("ring", "grid"):
        modes, sigma = (ring_modes(), 0.02) if name == "ring" else (grid_modes(), 0.05)
        mixture = ToyData(name, np.zeros((0, 2), np.float32), modes, sigma)
        return ToyData(name, mixture.sample(n, rng), modes, sigma)
    array = _MANIFOLDS[name](n, rng).astype(np.float32)
    return ToyData(name, array, jitter=_jitter(array))
