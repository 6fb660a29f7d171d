"""Decode anywhere on a map that has no inverse (UMAP, t-SNE): interpolate nearby codes."""

from __future__ import annotations

import numpy as np

from latentlab.core.maps.methods import ProjectionError
from latentlab.core.maps.spatial import PointIndex


class KNNInverse:
    """Decode anywhere on a map without an inverse: interpolate the codes of nearby map points.

    The map's spatial index finds the ``k`` nearest points; their codes are averaged with
    weights ``1 / distance**power`` (normalised to sum to 1). At a stored point (distance 0) the
    result is exactly that point's code. Pass the map's :class:`PointIndex` to share it.
    """

    def __init__(self, map_coords: np.ndarray | PointIndex, codes: np.ndarray, k: int = 8,
                 power: float = 2.0) -> None:
        index = map_coords if isinstance(map_coords, PointIndex) else None
        coords = (index.coords if index is not None
                  else np.asarray(map_coords, dtype=np.float64).reshape(-1, 2))
        self.codes = np.asarray(codes, dtype=np.float32).reshape(len(codes), -1)
        if len(coords) != len(self.codes):
            raise ProjectionError(f"{len(coords)} map points against {len(self.codes)} codes")
        if len(coords) == 0:
            raise ProjectionError("decoding a map needs at least one point with a code")
        if not (np.isfinite(coords).all() and np.isfinite(self.codes).all()):
            raise ProjectionError("map points and codes must be finite")
        self.k = max(1, min(int(k), len(coords)))
        self.power = float(power)
        self.index = index if index is not None else PointIndex(coords)

    def use_codes(self, codes: np.ndarray) -> None:
        """Interpolate other codes of the same points (a map of the inputs while a model
        trains): the KD-tree over the map stays."""
        codes = np.asarray(codes, dtype=np.float32).reshape(len(codes), -1)
        if len(codes) != len(self.codes):
            raise ProjectionError(f"{len(self.index)} map points against {len(codes)} codes")
        self.codes = codes

    def weights(self, xy: np.ndarray | tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
        """Indices (M×k) of the nearest stored points to each of M points, and their weights."""
        idx, dist = self.index.nearest(xy, self.k)
        exact = dist[:, 0] == 0.0
        with np.errstate(divide="ignore"):
            w = 1.0 / np.power(dist, self.power)
        w[exact] = 0.0
        w[exact, 0] = 1.0  # on a stored point: that point's code, exactly
        w /= w.sum(axis=1, keepdims=True)
        return idx, w

    def __call__(self, xy: np.ndarray | tuple[float, float]) -> np.ndarray:
        """The interpolated code at ``xy`` (a d-vector), or M×d for M×2 points."""
        single = np.asarray(xy).ndim == 1
        idx, w = self.weights(xy)
        out = np.einsum("mk,mkd->md", w, self.codes[idx], dtype=np.float64).astype(np.float32)
        exact = w[:, 0] == 1.0
        out[exact] = self.codes[idx[exact, 0]]
        return out[0] if single else out
