"""Shared conversions for loaders: pixels into [0, 1], labels into class indices, cancelling."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

import numpy as np

from latentlab.core.data.dataset import DatasetError, LoadCancelled

Progress = Callable[[int, int], None]

# Integer labels up to this value name their classes "0"…"max", so a subset that lacks a class
# keeps the same colours as the full set; sparser codes are renumbered by their sorted values.
_DENSE_LABEL_LIMIT = 1024


def scale_in_place(x: np.ndarray, source_dtype: np.dtype, name: str) -> None:
    """Bring float32 pixels copied from ``source_dtype`` values into [0, 1], in place.

    uint8 is divided by 255. Anything else must be finite; values already in [0, 1] are kept,
    non-negative ones are divided by their maximum, and data with negative values is stretched
    from [min, max] to [0, 1].
    """
    if np.dtype(source_dtype) == np.uint8:
        np.divide(x, np.float32(255), out=x)
        return
    lo, hi = float(x.min()), float(x.max())
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise DatasetError(f"{name}: the pixel values include NaN or infinite numbers.")
    if lo < 0:
        np.subtract(x, np.float32(lo), out=x)
        if hi > lo:
            np.divide(x, np.float32(hi - lo), out=x)
    elif hi > 1:
        np.divide(x, np.float32(hi), out=x)
    # float32 rounding may leave a value a hair outside the unit interval.
    np.clip(x, 0.0, 1.0, out=x)


def encode_labels(values: np.ndarray, name: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Labels as int64 class indices and the class names, from integers, bools or strings.

    Small non-negative integers keep their value (classes "0"…"max"); other integers, integral
    floats and strings become the sorted distinct values.
    """
    values = np.asarray(values)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise DatasetError(f"{name}: labels must be one value per item, got shape {values.shape}.")
    kind = values.dtype.kind
    if kind in "US":
        if kind == "S":
            values = np.char.decode(values, "utf-8", errors="replace")
        names, labels = np.unique(np.char.strip(values.astype(str)), return_inverse=True)
        return labels.astype(np.int64), tuple(str(v) for v in names)
    if kind == "f":
        if not np.isfinite(values).all():
            raise DatasetError(f"{name}: labels include NaN or infinite numbers.")
        if len(values) and float(np.abs(values).max()) > 2.0**53:
            raise DatasetError(f"{name}: labels are too large to be class numbers.")
        if not np.array_equal(values, np.round(values)):
            raise DatasetError(f"{name}: labels must be whole numbers or names, not fractions.")
        values = values.astype(np.int64)
    elif kind == "b":
        values = values.astype(np.int64)
    elif kind not in "iu":
        raise DatasetError(f"{name}: labels must be integers or strings, not {values.dtype}.")
    if len(values) == 0:
        return values.astype(np.int64), ()
    lo, hi = int(values.min()), int(values.max())
    if lo >= 0 and hi < _DENSE_LABEL_LIMIT:
        return values.astype(np.int64), tuple(str(i) for i in range(hi + 1))
    names, labels = np.unique(values, return_inverse=True)
    return labels.astype(np.int64), tuple(str(int(v)) for v in names)


def square_side(count: int) -> int | None:
    """The side of a square holding ``count`` pixels, or None when there is none."""
    if count <= 0:
        return None
    side = math.isqrt(count)
    return side if side * side == count else None


def check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise LoadCancelled("The load was cancelled.")
