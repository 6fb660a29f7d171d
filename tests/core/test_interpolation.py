"""Straight and spherical paths between codes."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.core.maps.interpolation import forth_and_back, lerp, path_codes, slerp, steps


def test_lerp_ends_and_midpoint() -> None:
    a, b = np.array([1.0, -2.0, 3.0]), np.array([3.0, 2.0, -1.0])
    path = path_codes(a, b, 5, "lerp")
    assert path.shape == (5, 3)
    np.testing.assert_allclose(path[0], a)
    np.testing.assert_allclose(path[-1], b)
    np.testing.assert_allclose(path[2], (a + b) / 2)
    # Even steps along the line.
    np.testing.assert_allclose(np.diff(path, axis=0), np.tile((b - a) / 4, (4, 1)), atol=1e-6)


def test_slerp_ends_are_exact() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=16).astype(np.float32), rng.normal(size=16).astype(np.float32)
    path = path_codes(a, b, 7, "slerp")
    np.testing.assert_array_equal(path[0], a)
    np.testing.assert_array_equal(path[-1], b)


def test_slerp_keeps_the_norm_where_lerp_cuts_the_corner() -> None:
    a, b = np.array([2.0, 0.0]), np.array([0.0, 2.0])
    t = steps(9)
    np.testing.assert_allclose(np.linalg.norm(slerp(a, b, t), axis=1), 2.0, rtol=1e-6)
    assert np.linalg.norm(lerp(a, b, t)[4]) == pytest.approx(np.sqrt(2.0))
    # The direction turns at a constant rate: equal angles between steps.
    p = slerp(a, b, t)
    angles = np.arctan2(p[:, 1], p[:, 0])
    np.testing.assert_allclose(np.diff(angles), np.pi / 2 / 8, rtol=1e-5)


def test_slerp_norms_go_linearly_between_unequal_norms() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=8), 3.0 * rng.normal(size=8)
    t = steps(6)
    norms = np.linalg.norm(slerp(a, b, t), axis=1)
    expected = (1 - t) * np.linalg.norm(a) + t * np.linalg.norm(b)
    np.testing.assert_allclose(norms, expected, rtol=1e-5)


@pytest.mark.parametrize("b", [np.array([2.0, 2.0]), np.array([-1.0, -1.0]), np.zeros(2)])
def test_slerp_falls_back_to_the_line_without_a_great_circle(b: np.ndarray) -> None:
    a = np.array([1.0, 1.0])
    np.testing.assert_allclose(slerp(a, b, steps(5)), lerp(a, b, steps(5)), atol=1e-6)


def test_bad_arguments_and_frame_order() -> None:
    with pytest.raises(ValueError):
        steps(1)
    with pytest.raises(ValueError):
        path_codes(np.zeros(2), np.ones(2), 3, "cubic")
    assert forth_and_back(4) == [0, 1, 2, 3, 2, 1]
    assert forth_and_back(2) == [0, 1]
