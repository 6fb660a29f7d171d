"""Colours shared by maps and legend: classes, and a sequential scale for ordered values."""

from __future__ import annotations

from PySide6.QtGui import QColor

#: Matplotlib's tab20, its ten dark shades first (tab10: ten classes look as they always did),
#: then their light partners: twenty classes before a colour repeats.
CLASS_COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5",
    "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
)
UNLABELLED = "#4a6fa5"
#: Ordered quantities (reconstruction error bins): viridis, low to high.
SEQUENTIAL_COLOURS = ("#440154", "#46327e", "#365c8d", "#277f8e",
                      "#1fa187", "#4ac16d", "#a0da39", "#fde725")

#: Items a classifier did not predict (the train items, when colouring by its predictions).
NOT_PREDICTED = "#cfcfcf"
#: A classifier's predicted classes: items not predicted first, then the classes' colours.
PREDICTED_COLOURS = (NOT_PREDICTED, *CLASS_COLOURS)
#: Whether its prediction is right: correct, wrong, not predicted.
OUTCOME_COLOURS = ("#2ca02c", "#d62728", NOT_PREDICTED)
PALETTES = {"sequential": SEQUENTIAL_COLOURS, "predicted": PREDICTED_COLOURS,
            "outcome": OUTCOME_COLOURS}


def palette_colours(palette: str) -> tuple[str, ...]:
    return PALETTES.get(palette, CLASS_COLOURS)


def class_colour(label: int, palette: str = "classes") -> QColor:
    colours = palette_colours(palette)
    return QColor(colours[label % len(colours)])
