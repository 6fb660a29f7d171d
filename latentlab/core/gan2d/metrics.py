"""How well a 2-D generator covers its data: the mode metrics of VEEGAN (Srivastava et al. 2017,
also used by PacGAN) and GAN Lab's grid KL and JS divergences.

Mode metrics, from generated samples (2,500 by convention):

- a sample is *high quality* when it lies within ``3σ`` of its nearest mode;
- a mode is *captured* when it is the nearest mode of at least one high-quality sample;
- ``reverse_kl`` is KL(q ‖ uniform) in nats, q the share of the high-quality samples nearest to
  each mode. Modes without samples add nothing (0·log 0 = 0); their mass went to the others,
  which is what raises the figure. Without any high-quality sample it is log M, the value of a
  generator that collapsed onto one mode.

Grid divergences: the real points and the samples are binned on a 30×30 grid over the real
points' extent (padded by 5 % each side, and by 3σ when the data has a σ); samples beyond the
grid count in its edge cells, so a generator that throws points far away is penalised rather
than ignored. Each histogram gets ``GRID_EPS`` added to every cell's probability and is
renormalised, so that empty cells keep the divergences finite. ``kl`` is KL(real ‖ generated)
(it grows when modes are missed), ``js`` the Jensen–Shannon divergence (symmetric, ≤ log 2).
Identical sets score 0 on both.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np

#: Samples the mode metrics are computed from (VEEGAN's protocol).
N_SAMPLES = 2500
#: A sample within this many σ of its nearest mode is high quality.
HQ_SIGMAS = 3.0
#: Cells per side of the grid the divergences are computed on (GAN Lab's).
GRID_BINS = 30
#: Probability added to each grid cell before renormalising.
GRID_EPS = 1e-6
#: Share of the data's span added on each side of the grid.
GRID_PAD = 0.05


class ToyLike(Protocol):
    """What the metrics read of a toy dataset (``ToyData`` fits)."""

    points: np.ndarray
    modes: np.ndarray | None
    sigma: float | None


@dataclass(frozen=True)
class ModeMetrics:
    """Coverage and quality of generated samples; the mode figures are None without modes."""

    samples: int
    modes_captured: int | None
    n_modes: int | None
    high_quality: float | None
    reverse_kl: float | None
    kl: float
    js: float
    per_mode: tuple[int, ...] | None = None  # high-quality samples nearest each mode

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["per_mode"] = None if self.per_mode is None else list(self.per_mode)
        for key in ("high_quality", "reverse_kl", "kl", "js"):
            if out[key] is not None:
                out[key] = round(float(out[key]), 6)
        return out


def mode_metrics(samples: np.ndarray, data: ToyLike, bins: int = GRID_BINS) -> ModeMetrics:
    """The mode metrics and grid divergences of ``samples`` (N×2) against ``data``."""
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[1] != 2 or len(samples) == 0:
        raise ValueError(f"Samples: expected an N×2 array with N ≥ 1 (got shape "
                         f"{samples.shape}).")
    finite = np.isfinite(samples).all(axis=1)
    # A non-finite sample is far from every mode and lands in an edge cell of the grid.
    samples = np.where(finite[:, None], samples, 1e12)
    kl, js = grid_divergences(np.asarray(data.points, dtype=np.float64), samples, bins,
                              data.sigma)
    if data.modes is None or data.sigma is None:
        return ModeMetrics(len(samples), None, None, None, None, kl, js)
    counts = mode_counts(samples, np.asarray(data.modes, dtype=np.float64), float(data.sigma))
    n_hq = int(counts.sum())
    return ModeMetrics(samples=len(samples), modes_captured=int((counts > 0).sum()),
                       n_modes=len(counts), high_quality=n_hq / len(samples),
                       reverse_kl=reverse_kl(counts), kl=kl, js=js,
                       per_mode=tuple(int(c) for c in counts))


def mode_counts(samples: np.ndarray, modes: np.ndarray, sigma: float) -> np.ndarray:
    """High-quality samples nearest to each mode (length M)."""
    d2 = ((samples[:, None, :] - modes[None, :, :]) ** 2).sum(axis=2)
    nearest = d2.argmin(axis=1)
    good = d2[np.arange(len(samples)), nearest] <= (HQ_SIGMAS * sigma) ** 2
    return np.bincount(nearest[good], minlength=len(modes))


def reverse_kl(counts: np.ndarray) -> float:
    """KL(q ‖ uniform over the modes), nats; log M without any sample (see the module)."""
    m = len(counts)
    total = counts.sum()
    if total == 0:
        return math.log(m)
    q = counts[counts > 0] / total
    return float(max(0.0, (q * np.log(q * m)).sum()))


def grid_extent(points: np.ndarray, sigma: float | None = None) -> tuple[tuple[float, float],
                                                                        tuple[float, float]]:
    """((x0, x1), (y0, y1)): the real points' bounding box, padded (see the module)."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = GRID_PAD * np.maximum(hi - lo, 1e-6) + (HQ_SIGMAS * sigma if sigma else 0.0)
    lo, hi = lo - pad, hi + pad
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


def grid_histogram(points: np.ndarray, extent: tuple[tuple[float, float], tuple[float, float]],
                   bins: int = GRID_BINS) -> np.ndarray:
    """A smoothed probability per cell (bins×bins); points beyond the grid go to edge cells."""
    cells = []
    for axis, (lo, hi) in enumerate(extent):
        index = np.floor((points[:, axis] - lo) / (hi - lo) * bins)
        cells.append(np.clip(np.nan_to_num(index, nan=0.0), 0, bins - 1).astype(np.int64))
    counts = np.bincount(cells[0] * bins + cells[1], minlength=bins * bins).astype(np.float64)
    p = counts / counts.sum() + GRID_EPS
    return (p / p.sum()).reshape(bins, bins)


def grid_divergences(real: np.ndarray, fake: np.ndarray, bins: int = GRID_BINS,
                     sigma: float | None = None) -> tuple[float, float]:
    """(KL(real ‖ fake), JS(real, fake)) in nats on the grid over the real points' extent."""
    extent = grid_extent(real, sigma)
    p, q = grid_histogram(real, extent, bins), grid_histogram(fake, extent, bins)
    m = (p + q) / 2
    kl = float((p * np.log(p / q)).sum())
    js = float(((p * np.log(p / m)).sum() + (q * np.log(q / m)).sum()) / 2)
    return max(0.0, kl), max(0.0, js)
