"""A map's spatial index, built once per set of map points and shared by every lookup on them:
the hover's nearest point, the kNN decoder and the lasso.

A k-d tree answers nearest-point queries in microseconds at a million points, but takes about a
second to build there, so it is built once (in a projection's job, or on a map's first lookup)
and kept with the points. The points sorted by y let a polygon test visit, for each edge, only
the points whose height it spans, not every point for every edge.
"""

from __future__ import annotations

import numpy as np


class PointIndex:
    """Nearest-point queries and polygon tests over fixed N×2 ``coords``.

    Queries are in data units. The tree is built on coordinates divided by each axis's spread,
    so that on a map whose axes differ in scale, the candidates are near in the picture too.
    """

    def __init__(self, coords: np.ndarray) -> None:
        from scipy.spatial import cKDTree  # imported on first use: keeps start-up fast

        self.coords = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
        self.scale = (np.maximum(self.coords.std(0), 1e-12) if len(self.coords)
                      else np.ones(2))
        self.tree = cKDTree(self.coords / self.scale)
        self._by_y: np.ndarray | None = None  # the points' order by height, on first polygon

    def __len__(self) -> int:
        return len(self.coords)

    def nbytes(self) -> int:
        """Memory held: the points, the tree's copy and order of them, the order by height."""
        tree = self.tree.data.nbytes + self.tree.indices.nbytes
        return int(self.coords.nbytes + tree + (0 if self._by_y is None else self._by_y.nbytes))

    def nearest(self, xy: np.ndarray | tuple[float, float], k: int) -> tuple[np.ndarray,
                                                                                np.ndarray]:
        """The ``k`` nearest points to each of M points (M×k indices, nearest first) and their
        distances in data units."""
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        k = max(1, min(int(k), len(self.coords)))
        _, idx = self.tree.query(xy / self.scale, k=k)
        idx = np.asarray(idx).reshape(len(xy), k)
        delta = self.coords[idx] - xy[:, None, :]
        dist = np.hypot(delta[..., 0], delta[..., 1])
        # The tree's order is by scaled distance: sort by the distance reported.
        order = np.argsort(dist, axis=1, kind="stable")
        return np.take_along_axis(idx, order, 1), np.take_along_axis(dist, order, 1)

    def in_polygon(self, polygon: np.ndarray) -> np.ndarray:
        """Even-odd rule: which points lie inside the closed K×2 ``polygon`` (a bool mask)."""
        from latentlab.core.maps.geometry import points_in_polygon

        if self._by_y is None:
            self._by_y = np.argsort(self.coords[:, 1], kind="stable")
        return points_in_polygon(self.coords, polygon, by_y=self._by_y)
