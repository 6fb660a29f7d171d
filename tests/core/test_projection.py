from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA as SkPCA

from latentlab.core.geometry import points_in_box, points_in_polygon
from latentlab.core.projection import PCA, LatentMap


def test_pca_matches_scikit_learn(digits) -> None:
    x = digits.x.reshape(digits.n, -1)
    ours = PCA(2).fit(x)
    ref = SkPCA(2).fit(x)
    np.testing.assert_allclose(np.abs(ours.components_), np.abs(ref.components_), atol=1e-5)
    np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_,
                               rtol=1e-5)
    np.testing.assert_allclose(np.abs(ours.transform(x)), np.abs(ref.transform(x)), atol=1e-4)


def test_pca_inverse_is_mean_plus_coords_times_components(digits) -> None:
    x = digits.x.reshape(digits.n, -1)
    pca = PCA(2).fit(x)
    coords = np.array([[0.5, -1.0], [0.0, 0.0]])
    expected = pca.mean_ + coords @ pca.components_
    np.testing.assert_allclose(pca.inverse_transform(coords), expected, atol=1e-6)
    # The origin of the map decodes to the mean image.
    np.testing.assert_allclose(pca.inverse_transform([0, 0])[0], x.mean(0), atol=1e-6)
    # Projecting a reconstruction gives back its coordinates.
    np.testing.assert_allclose(pca.transform(pca.inverse_transform(coords)), coords, atol=1e-5)


def test_full_rank_pca_reconstructs_exactly() -> None:
    x = np.random.default_rng(0).normal(size=(50, 4))
    pca = PCA(4).fit(x)
    np.testing.assert_allclose(pca.inverse_transform(pca.transform(x)), x, atol=1e-5)


def test_refit_keeps_orientation_of_a_reference() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5)) * [5, 3, 1, 0.5, 0.1]
    first = PCA(2).fit(x)
    flipped = PCA(2).fit(-x, reference=first)  # same axes, signs would flip without the reference
    assert np.all(np.sum(first.components_ * flipped.components_, axis=1) > 0)


@pytest.mark.parametrize("dim", [1, 2, 6])
def test_latent_map_round_trip(dim: int) -> None:
    codes = np.random.default_rng(0).normal(size=(100, dim)).astype(np.float32)
    latent_map = LatentMap(dim)
    latent_map.refit(codes)
    xy = latent_map.transform(codes)
    assert xy.shape == (100, 2)
    back = latent_map.inverse_transform(xy[:3])
    assert back.shape == (3, dim)
    # Points on the map decode from codes that project back onto the same map points.
    np.testing.assert_allclose(latent_map.transform(back), xy[:3], atol=1e-4)
    if dim <= 2:
        np.testing.assert_allclose(back, codes[:3], atol=1e-6)


def test_points_in_polygon_and_box() -> None:
    square = np.array([[0, 0], [2, 0], [2, 2], [0, 2]])
    points = np.array([[1, 1], [3, 1], [1, -0.1], [0.1, 1.9]])
    assert points_in_polygon(points, square).tolist() == [True, False, False, True]
    # A concave "L": the notch is outside.
    ell = np.array([[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2]])
    assert points_in_polygon(np.array([[1.5, 1.5], [0.5, 1.5]]), ell).tolist() == [False, True]
    assert points_in_box(points, np.array([2, 2]), np.array([0, 0])).tolist() == [
        True, False, False, True]
    assert not points_in_polygon(points, square[:2]).any()
