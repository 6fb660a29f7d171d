"""Many points as one image: per-class counts in a grid of screen cells, shaded by colour.

When a map's points overlap many times over (a million items in a few hundred thousand pixels),
drawing each as a dot costs time and shows only the last one drawn in each place. Counting the
points of each class per cell and painting each cell in the mix of its classes' colours, more
opaque where more points fall, shows what the dots would hide, in a time that grows with the
points only through one ``bincount``.
"""

from __future__ import annotations

import numpy as np

#: The faintest a cell with a single point is drawn (0–1; a dot is drawn at 0.78); the
#: densest is opaque.
MIN_ALPHA = 0.6


def class_counts(gx: np.ndarray, gy: np.ndarray, classes: np.ndarray, n_classes: int,
                 width: int, height: int, all_inside: bool = False) -> np.ndarray:
    """Count points per grid cell and class: a height×width×n_classes int array.

    ``gx``, ``gy`` are positions in cell units (cell (i, j) holds ``j <= gx < j + 1`` and
    ``i <= gy < i + 1``); points outside the grid are not counted. ``all_inside``: the caller
    knows every point is in the grid (finite, within it), which spares the test.
    """
    # One flat index per point, (row, column, class) in C order, in the integer type bincount
    # counts with (another would be converted first).
    with np.errstate(invalid="ignore"):  # NaN or huge positions: dropped below
        flat = gy.astype(np.intp)
        columns = gx.astype(np.intp)
    flat *= width * n_classes
    columns *= n_classes
    flat += columns
    flat += classes
    cells = width * height * n_classes
    if not all_inside:
        # Points off the grid go to one extra bin, dropped: cheaper than selecting the others.
        inside = (gx >= 0) & (gx < width) & (gy >= 0) & (gy < height)
        np.putmask(flat, ~inside, cells)
    counts = np.bincount(flat, minlength=cells + 1)[:cells]
    return counts.reshape(height, width, n_classes)


def spread(counts: np.ndarray) -> np.ndarray:
    """Each cell's counts added to the cells right, below and right-below of it: with cells of
    half a dot's side, a point covers a dot's area, as it would drawn as a dot."""
    out = counts.copy()
    out[:, 1:] += counts[:, :-1]
    out[1:, :] += out[:-1, :].copy()
    return out


def shade(counts: np.ndarray, colours: np.ndarray, min_alpha: float = MIN_ALPHA) -> np.ndarray:
    """H×W×4 premultiplied RGBA (uint8) for ``counts`` (H×W×K) and K RGB ``colours`` (0–255).

    A cell's colour is the mean of its points' class colours; its opacity grows with the log of
    its count, from ``min_alpha`` for one point to 1 for the densest cell.
    """
    height, width, k = counts.shape
    flat = counts.reshape(-1, k)
    total = flat.sum(1)
    rgba = np.zeros((height * width, 4), np.uint8)
    filled = np.flatnonzero(total)
    if len(filled) == 0:
        return rgba.reshape(height, width, 4)
    n = total[filled].astype(np.float32)
    mean = (flat[filled].astype(np.float32) @ colours.astype(np.float32)) / n[:, None]
    top = np.log1p(n.max())
    alpha = min_alpha + (1.0 - min_alpha) * (np.log1p(n) - np.log(2.0)) / max(
        top - np.log(2.0), 1e-12)
    alpha = np.clip(alpha, min_alpha, 1.0)
    rgba[filled, :3] = np.rint(mean * alpha[:, None])
    rgba[filled, 3] = np.rint(alpha * 255)
    return rgba.reshape(height, width, 4)
