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
#: Ordered quantities (reconstruction error bins): viridis, low to high.
SEQUENTIAL_COLOURS = ("#440154", "#46327e", "#365c8d", "#277f8e",
                      "#1fa187", "#4ac16d", "#a0da39", "#fde725")


def _colours(palette: str) -> tuple[str, ...]:
    return SEQUENTIAL_COLOURS if palette == "sequential" else CLASS_COLOURS


def class_colour(label: int, palette: str = "classes") -> QColor:
    colours = _colours(palette)
    return QColor(colours[label % len(colours)])


@lru_cache(maxsize=64)
def _brush(hex_colour: str, alpha: int) -> QBrush:
    colour = QColor(hex_colour)
    colour.setAlpha(alpha)
    return QBrush(colour)


def point_brushes(labels: np.ndarray | None, n: int, alpha: int = 200,
                  palette: str = "classes") -> np.ndarray:
    """An object array of shared QBrush references, one per point (no per-point allocation)."""
    if labels is None:
        return np.full(n, _brush(UNLABELLED, alpha), dtype=object)
    colours = _colours(palette)
    table = np.array([_brush(c, alpha) for c in colours], dtype=object)
    return table[np.asarray(labels) % len(colours)]
