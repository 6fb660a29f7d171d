"""The GAN lab's loss curves (D and G of each run; run B dashed) and its metrics table (modes
captured, high-quality share, reverse KL, KL, JS: one column per run)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from latentlab.lab.gan2d import RUNS, GanLab
from latentlab.qt.throttle import Throttle

CURVES_MS = 250  # curves need no more; each redraw re-renders the axes
TABLE_MS = 400
D_COLOUR, G_COLOUR = "#1f77b4", "#d62728"
#: Steps in the running mean drawn over each raw curve (the raw one is noisy batch to batch).
MEAN_WINDOW = 50


def running_mean(values: np.ndarray, window: int = MEAN_WINDOW) -> np.ndarray:
    """The mean of the last ``window`` finite values at each point (fewer at the start); NaN
    entries (a step of the other player only) count as missing."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    sums = np.concatenate([[0.0], np.cumsum(np.where(finite, values, 0.0))])
    counts = np.concatenate([[0], np.cumsum(finite)])
    lo = np.maximum(np.arange(1, len(values) + 1) - window, 0)
    hi = np.arange(1, len(values) + 1)
    n = counts[hi] - counts[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (sums[hi] - sums[lo]) / np.maximum(n, 1), np.nan)
METRIC_ROWS = (("modes_captured", "Modes captured"), ("high_quality", "High quality"),
               ("reverse_kl", "Reverse KL (modes)"), ("kl", "KL (grid)"), ("js", "JS (grid)"))


class Gan2dLossPlot(pg.PlotWidget):
    def __init__(self, lab: GanLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.setMenuEnabled(False)
        self.setLabel("bottom", "step")
        self.setLabel("left", "loss")
        self.setBackground("w")  # as the planes
        self.showGrid(x=True, y=True, alpha=0.2)
        # One row along the top edge, on a translucent card: it hides little of the curves.
        legend = self.addLegend(offset=(60, 2), labelTextSize="8pt", colCount=4,
                                brush=pg.mkBrush(255, 255, 255, 200))
        legend.setLabelTextColor("#333")
        self.curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.means: dict[tuple[str, str], pg.PlotDataItem] = {}
        for run in RUNS:
            style = Qt.PenStyle.SolidLine if run == "A" else Qt.PenStyle.DashLine
            for term, colour in (("d", D_COLOUR), ("g", G_COLOUR)):
                raw = pg.mkColor(colour)
                raw.setAlpha(60)
                curve = self.plot([], [], pen=pg.mkPen(raw, width=1, style=style))
                mean = self.plot([], [], pen=pg.mkPen(colour, width=2, style=style),
                                 name=f"{run}: {term.upper()} (mean of {MEAN_WINDOW})")
                for item in (curve, mean):
                    item.setDownsampling(auto=True, method="mean")
                    item.setClipToView(True)
                self.curves[(run, term)] = curve
                self.means[(run, term)] = mean
        self._redraw = Throttle(self._draw, CURVES_MS, self)
        lab.frame_changed.connect(self._redraw)
        lab.runs_changed.connect(self._draw)
        lab.data_changed.connect(self._draw)
        lab.playing_changed.connect(lambda _playing: self._redraw.flush())
        self._draw()

    def _draw(self) -> None:
        for (name, term), curve in self.curves.items():
            run = self.lab.runs.get(name)
            mean = self.means[(name, term)]
            if run is None or not len(run.steps):
                curve.setData([], [])
                mean.setData([], [])
                continue
            losses = run.d_losses if term == "d" else run.g_losses
            curve.setData(run.steps, losses)
            mean.setData(run.steps, running_mean(losses), connect="finite")


def metric_text(key: str, metrics: dict | None) -> str:
    if not metrics:
        return "—"
    value = metrics.get(key)
    if value is None:
        return "n/a"  # data without modes (manifolds, drawings): only the grid divergences
    if key == "modes_captured":
        return f"{value} / {metrics.get('n_modes')}"
    if key == "high_quality":
        return f"{100 * value:.1f} %"
    return f"{value:.3f}"


class Gan2dMetricsTable(QTableWidget):
    def __init__(self, lab: GanLab, parent: QWidget | None = None) -> None:
        super().__init__(len(METRIC_ROWS), len(RUNS), parent)
        self.lab = lab
        self.setHorizontalHeaderLabels([f"Run {name}" for name in RUNS])
        self.setVerticalHeaderLabels([label for _key, label in METRIC_ROWS])
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setToolTip("Mode metrics of 2,500 samples (VEEGAN's protocol): a sample is high "
                        "quality within 3σ of its nearest mode; a mode is captured by one such "
                        "sample. KL and JS: real against generated, binned on a 30×30 grid.")
        self._redraw = Throttle(self._draw, TABLE_MS, self)
        lab.frame_changed.connect(self._redraw)
        lab.runs_changed.connect(self._draw)
        lab.data_changed.connect(self._draw)
        self._draw()

    def _draw(self) -> None:
        for column, name in enumerate(RUNS):
            run = self.lab.runs.get(name)
            metrics = run.metrics if run is not None else None
            for row, (key, _label) in enumerate(METRIC_ROWS):
                text = metric_text(key, metrics) if run is not None else ""
                item = self.item(row, column)
                if item is None:
                    item = QTableWidgetItem()
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    self.setItem(row, column, item)
                item.setText(text)
        self.setColumnHidden(1, "B" not in self.lab.runs)
