"""Vectorised 2-D geometry for map interaction (selection), with no GUI dependency."""

from __future__ import annotations

import numpy as np


def points_in_polygon(points: np.ndarray, polygon: np.ndarray,
                      by_y: np.ndarray | None = None) -> np.ndarray:
    """Even-odd rule: which of N×2 ``points`` lie inside the closed K×2 ``polygon``.

    One vectorised pass per edge. With ``by_y`` (the points' order by height, as a map's
    :class:`~latentlab.core.maps.spatial.PointIndex` keeps it) each edge visits only the points
    whose height it spans, so a lasso over a million points costs about what it crosses.
    """
    points = np.asarray(points, dtype=np.float64)
    polygon = np.asarray(polygon, dtype=np.float64)
    inside = np.zeros(len(points), dtype=bool)
    if len(polygon) < 3 or len(points) == 0:
        return inside
    px, py = points[:, 0], points[:, 1]
    heights = None if by_y is None else py[by_y]
    x0, y0 = polygon[:, 0], polygon[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    for ax, ay, bx, by in zip(x0, y0, x1, y1, strict=True):
        if ay == by:
            continue  # horizontal edges never cross a horizontal ray
        if heights is None:
            crosses = (ay > py) != (by > py)
            x_cross = ax + (py - ay) * (bx - ax) / (by - ay)
            inside ^= crosses & (px < x_cross)
            continue
        # The edge crosses the rays of the points with min(ay, by) <= y < max(ay, by).
        lo, hi = np.searchsorted(heights, sorted((ay, by)), side="left")
        rows = by_y[lo:hi]
        x_cross = ax + (py[rows] - ay) * ((bx - ax) / (by - ay))
        inside[rows] ^= px[rows] < x_cross
    return inside


def points_in_box(points: np.ndarray, corner_a: np.ndarray, corner_b: np.ndarray) -> np.ndarray:
    lo, hi = np.minimum(corner_a, corner_b), np.maximum(corner_a, corner_b)
    x, y = points[:, 0], points[:, 1]  # column by column: several times faster than on N×2
    return (x >= lo[0]) & (x <= hi[0]) & (y >= lo[1]) & (y <= hi[1])
