"""Colours shared by maps and legend: classes, and a sequential scale for ordered values."""

from __future__ import annotations

from PySide6.QtGui import QColor

CLASS_COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#393b79", "#ad494a", "#637939", "#8c6d31", "#7b4173",
)
UNLABELLED = "#4a6fa5"
#: Ordered quantities (reconstruction error bins): viridis, low to high.
SEQUENTIAL_COLOURS = ("#440154", "#46327e", "#365c8d", "#277f8e",
                      "#1fa187", "#4ac16d", "#a0da39", "#fde725")


def palette_colours(palette: str) -> tuple[str, ...]:
    return SEQUENTIAL_COLOURS if palette == "sequential" else CLASS_COLOURS


def class_colour(label: int, palette: str = "classes") -> QColor:
    colours = palette_colours(palette)
    return QColor(colours[label % len(colours)])
