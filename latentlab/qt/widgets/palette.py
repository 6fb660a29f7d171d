"""Class colours shared by maps and legend: one small palette of reused brushes."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PySide6.QtGui import QBrush, QColor

CLASS_COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#393b79", "#ad494a", "#637939", "#8c6d31", "#7b4173",
)
UNLABELLED = "#4a6fa5"


def class_colour(label: int) -> QColor:
    return QColor(CLASS_COLOURS[label % len(CLASS_COLOURS)])


@lru_cache(maxsize=64)
def _brush(hex_colour: str, alpha: int) -> QBrush:
    colour = QColor(hex_colour)
    colour.setAlpha(alpha)
    return QBrush(colour)


def point_brushes(labels: np.ndarray | None, n: int, alpha: int = 200) -> np.ndarray:
    """An object array of shared QBrush references, one per point (no per-point allocation)."""
    if labels is None:
        return np.full(n, _brush(UNLABELLED, alpha), dtype=object)
    table = np.array([_brush(c, alpha) for c in CLASS_COLOURS], dtype=object)
    return table[np.asarray(labels) % len(CLASS_COLOURS)]
