"""The 2-D GAN lab's measures: VEEGAN's mode metrics, GAN Lab's grid divergences, and the
Dirac-GAN's dynamics."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pytest

from latentlab.core.gan2d.dirac import DiracGan, field_grid, trajectory, vector_field
from latentlab.core.gan2d.metrics import grid_divergences, mode_metrics


@dataclass
class Ring:
    """Eight Gaussians on a circle of radius 2, σ = 0.02, as in VEEGAN."""

    points: np.ndarray
    modes: np.ndarray | None
    sigma: float | None


def _ring(n: int = 2000, seed: int = 0) -> Ring:
    angles = np.arange(8) * 2 * np.pi / 8
    modes = 2 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    rng = np.random.default_rng(seed)
    points = modes[rng.integers(0, 8, n)] + 0.02 * rng.standard_normal((n, 2))
    return Ring(points, modes, 0.02)


def test_samples_on_every_mode_capture_all_of_them() -> None:
    data = _ring()
    samples = _ring(2500, seed=1).points
    m = mode_metrics(samples, data)
    assert (m.modes_captured, m.n_modes, m.samples) == (8, 8, 2500)
    assert m.high_quality > 0.98
    assert m.reverse_kl < 0.01
    assert m.kl < 0.1 and m.js < 0.05
    json.dumps(m.to_json(), allow_nan=False)


def test_a_collapsed_generator_captures_one_mode() -> None:
    data = _ring()
    samples = data.modes[3] + 0.01 * np.random.default_rng(2).standard_normal((2500, 2))
    m = mode_metrics(samples, data)
    assert m.modes_captured == 1 and m.high_quality == 1.0
    assert m.reverse_kl == pytest.approx(math.log(8))
    assert m.per_mode == (0, 0, 0, 2500, 0, 0, 0, 0)
    assert m.kl > 1.0 and m.js > 0.4


def test_far_away_samples_are_not_high_quality() -> None:
    data = _ring()
    samples = np.full((2500, 2), 50.0)
    samples[0] = np.nan  # a diverged sample counts as far away
    m = mode_metrics(samples, data)
    assert m.modes_captured == 0 and m.high_quality == 0.0
    assert m.reverse_kl == pytest.approx(math.log(8))  # documented: no sample = collapse
    assert m.js > 0.6  # nearly log 2: the histograms barely overlap


def test_identical_sets_diverge_by_zero_and_data_without_modes() -> None:
    points = np.random.default_rng(3).standard_normal((1000, 2))
    assert grid_divergences(points, points.copy()) == (0.0, 0.0)
    m = mode_metrics(points, Ring(points, None, None))
    assert m.kl == 0.0 and m.js == 0.0
    assert m.modes_captured is None and m.high_quality is None and m.reverse_kl is None
    assert m.to_json()["n_modes"] is None


def test_bad_samples_are_refused() -> None:
    with pytest.raises(ValueError, match="Samples"):
        mode_metrics(np.zeros((10, 3)), _ring())


# --------------------------------------------------------------------------- the Dirac-GAN
def _distance(path: np.ndarray) -> np.ndarray:
    return np.hypot(path[:, 0], path[:, 1])


@pytest.mark.parametrize("method", ["simultaneous", "alternating"])
def test_the_plain_gan_does_not_converge_but_regularised_ones_do(method: str) -> None:
    for plain in (DiracGan(), DiracGan(loss="wgan")):
        d = _distance(trajectory(1.0, 1.0, 1000, 0.1, method, plain))
        assert d[-1] >= 0.99 * d[0], (plain, d[-1])
    for remedy in (DiracGan(instance_noise=0.7), DiracGan(r1=0.3),
                   DiracGan(loss="non_saturating", r1=0.3)):
        d = _distance(trajectory(1.0, 1.0, 1000, 0.1, method, remedy))
        assert d[-1] < 1e-3 * d[0], (remedy, d[-1])
    # The non-saturating loss only creeps inwards: far from converged after the same steps.
    d = _distance(trajectory(1.0, 1.0, 1000, 0.1, method, DiracGan(loss="non_saturating")))
    assert d[-1] > 0.1


def test_the_vector_field_rotates_around_the_equilibrium() -> None:
    grid = field_grid(extent=1.0, n=5)
    v = vector_field(grid)
    assert v.shape == (5, 5, 2)
    assert np.allclose(v[2, 2], 0.0)  # (0, 0) is the equilibrium
    # The plain GAN's arrows are tangent to circles: no inward component at all.
    assert np.allclose((grid * v).sum(axis=-1), 0.0)
    # R1 points them inwards.
    inward = (grid * vector_field(grid, DiracGan(r1=1.0))).sum(axis=-1)
    assert (inward <= 1e-12).all() and inward.min() < 0
    with pytest.raises(ValueError, match="Loss"):
        trajectory(1.0, 1.0, 10, 0.1, gan=DiracGan(loss="hinge"))
