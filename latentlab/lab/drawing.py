"""Painting strokes into a small float image: the drawing pad's brush, in numpy alone.

A pixel (row r, column c) covers [c, c + 1) × [r, r + 1) in pad coordinates (x to the right, y
down), so its centre is (c + ½, r + ½). A stroke is a polyline with a width in pixels; each
pixel takes the ink of its distance to the polyline, with a one-pixel ramp at the edge
(anti-aliasing), and keeps the darker of that and what it held: strokes only add ink.
"""

from __future__ import annotations

import numpy as np

#: Widest brush, in pixels: a wider one covers a 28×28 pad in one dab.
MAX_WIDTH = 8.0


def stroke_ink(shape: tuple[int, int], points: np.ndarray, width: float) -> np.ndarray:
    """H×W ink in [0, 1] of a polyline through ``points`` (N×2, x then y, N ≥ 1)."""
    height, width_px = shape
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    radius = min(max(float(width), 0.5), MAX_WIDTH) / 2
    if len(pts) == 1:
        pts = np.concatenate([pts, pts])
    a, b = pts[:-1], pts[1:]  # segments, S×2 each
    ys, xs = np.mgrid[0:height, 0:width_px]
    centres = np.stack([xs.ravel() + 0.5, ys.ravel() + 0.5], axis=1)  # P×2
    # Distance from every pixel centre to every segment (P×S), then to the nearest one.
    ab = b - a
    length2 = np.maximum((ab**2).sum(1), 1e-12)
    t = np.clip(((centres[:, None, :] - a[None]) * ab[None]).sum(2) / length2, 0.0, 1.0)
    nearest = a[None] + t[..., None] * ab[None]
    distance = np.sqrt(((centres[:, None, :] - nearest) ** 2).sum(2)).min(1)
    ink = np.clip(radius + 0.5 - distance, 0.0, 1.0)
    return ink.reshape(height, width_px).astype(np.float32)


def paint(canvas: np.ndarray, points: np.ndarray, width: float,
          locked: np.ndarray | None = None) -> np.ndarray:
    """A new canvas: ``canvas`` with the stroke's ink added; pixels where ``locked`` is True
    keep their value (the hidden box of an inpainting input)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    pts = pts[np.isfinite(pts).all(1)]
    if len(pts) == 0:
        return canvas
    painted = np.maximum(canvas, stroke_ink(canvas.shape, pts, width))
    if locked is not None:
        painted[locked] = canvas[locked]
    return painted


__all__ = ["MAX_WIDTH", "paint", "stroke_ink"]
