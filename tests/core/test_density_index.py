"""A map's density image and spatial index against brute force on small sets."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.core.maps.density import MIN_ALPHA, class_counts, shade, spread
from latentlab.core.maps.geometry import points_in_polygon
from latentlab.core.maps.inverse import KNNInverse
from latentlab.core.maps.spatial import PointIndex


def test_class_counts_match_a_count_point_by_point() -> None:
    rng = np.random.default_rng(0)
    gx, gy = rng.uniform(-2, 12, 3000), rng.uniform(-1, 9, 3000)  # some outside the grid
    gx[:3], gy[3:6] = (np.nan, 1e30, -np.inf), (np.inf, -1e300, np.nan)  # never counted
    classes = rng.integers(0, 4, 3000)
    counts = class_counts(gx, gy, classes, 4, width=10, height=8)
    brute = np.zeros((8, 10, 4), np.int64)
    for x, y, k in zip(gx, gy, classes, strict=True):
        if 0 <= x < 10 and 0 <= y < 8:
            brute[int(y), int(x), k] += 1
    np.testing.assert_array_equal(counts, brute)
    assert counts.sum() < 3000  # the points outside were left out, not clipped to an edge


def test_spread_covers_a_dot_and_keeps_every_point() -> None:
    counts = np.zeros((4, 5, 2), np.int64)
    counts[1, 2, 1] = 3
    out = spread(counts)
    assert out[1:3, 2:4, 1].tolist() == [[3, 3], [3, 3]]
    assert out.sum() == 4 * counts.sum()  # each point in four cells, nothing more


def test_shade_mixes_class_colours_and_grows_opaque_with_the_count() -> None:
    counts = np.zeros((1, 3, 2), np.int64)
    counts[0, 0] = (1, 0)  # one red point: the faintest
    counts[0, 1] = (30, 10)  # the densest: opaque, three parts red to one part blue
    rgba = shade(counts, np.array([[255, 0, 0], [0, 0, 255]]))
    assert rgba[0, 2].tolist() == [0, 0, 0, 0]  # an empty cell is transparent
    assert rgba[0, 0, 3] == round(MIN_ALPHA * 255)
    assert rgba[0, 0, 0] == round(255 * MIN_ALPHA)  # premultiplied by its alpha
    assert rgba[0, 1].tolist() == [191, 0, 64, 255]


def test_index_finds_the_nearest_points_as_the_map_pictures_them() -> None:
    rng = np.random.default_rng(1)
    coords = rng.normal(size=(2000, 2)) * (100.0, 0.5)  # axes a hundred times apart in scale
    index = PointIndex(coords)
    spread_ = coords.std(0)  # a fitted view shows both axes at about the same size
    for xy in rng.normal(size=(50, 2)) * (100.0, 0.5):
        idx, dist = index.nearest(xy, 5)
        pictured = np.hypot(*((coords - xy) / spread_).T)
        assert set(idx[0]) == set(np.argsort(pictured)[:5])
        np.testing.assert_allclose(dist[0], np.hypot(*(coords[idx[0]] - xy).T))  # data units
        assert np.all(np.diff(dist[0]) >= 0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_index_polygon_test_matches_every_edge_over_every_point(seed: int) -> None:
    rng = np.random.default_rng(seed)
    coords = rng.normal(size=(5000, 2))
    coords[:100, 1] = np.round(coords[:100, 1], 1)  # points at a vertex's height
    angles = np.sort(rng.uniform(0, 2 * np.pi, 40))
    polygon = np.c_[np.cos(angles), np.sin(angles)] * rng.uniform(0.3, 2.0, (40, 1))
    polygon = np.round(polygon, 1)  # shared heights: horizontal edges and vertices on rows
    index = PointIndex(coords)
    np.testing.assert_array_equal(index.in_polygon(polygon), points_in_polygon(coords, polygon))
    assert 0 < index.in_polygon(polygon).sum() < len(coords)


def test_knn_decoder_shares_the_maps_index() -> None:
    coords = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    index = PointIndex(coords)
    knn = KNNInverse(index, np.array([[0.0], [1.0], [2.0]]), k=2)
    assert knn.index is index
    np.testing.assert_allclose(knn((1.0, 0.0)), [1.0])  # on a stored point: its code exactly
    np.testing.assert_allclose(knn((0.5, 0.0)), [0.5])  # halfway: the mean of the two nearest
