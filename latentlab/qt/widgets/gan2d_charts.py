"""The GAN lab's loss curves (D and G of each run; run B dashed) and its metrics table (modes
captured, high-quality share, reverse KL, KL, JS: one column per run)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from latentlab.lab.gan2d import RUNS, GanLab
from latentlab.qt.throttle import Throttle

CURVES_MS = 250  # curves need no more; each redraw re-renders the axes
TABLE_MS = 400
D_COLOUR, G_COLOUR = "#1f77b4", "#d62728"
METRIC_ROWS = (("modes_captured", "Modes captured"), ("high_quality", "High quality"),
               ("reverse_kl", "Reverse KL (modes)"), ("kl", "KL (grid)"), ("js", "JS (grid)"))


class Gan2dLossPlot(pg.PlotWidget):
    def __init__(self, lab: GanLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.setMenuEnabled(False)
        self.setLabel("bottom", "step")
        self.setLabel("left", "loss")
        self.showGrid(x=True, y=True, alpha=0.2)
        self.addLegend(offset=(-8, 8), labelTextSize="8pt", colCount=2)
        self.curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        for run in RUNS:
            style = Qt.PenStyle.SolidLine if run == "A" else Qt.PenStyle.DashLine
            for term, colour in (("d", D_COLOUR), ("g", G_COLOUR)):
                curve = self.plot([], [], pen=pg.mkPen(colour, width=1.5, style=style),
                                  name=f"{run}: {term.upper()}")
                curve.setDownsampling(auto=True, method="mean")
                curve.setClipToView(True)
                self.curves[(run, term)] = curve
        self._redraw = Throttle(self._draw, CURVES_MS, self)
        self._watched: list[object] = []
        lab.runs_changed.connect(self._watch)
        lab.data_changed.connect(self._draw)
        lab.playing_changed.connect(lambda _playing: self._redraw.flush())
        self._watch()

    def _watch(self) -> None:
        for run in self.lab.runs.values():
            if run not in self._watched:
                run.changed.connect(self._redraw)
                self._watched.append(run)
        self._draw()

    def _draw(self) -> None:
        for (name, term), curve in self.curves.items():
            run = self.lab.runs.get(name)
            if run is None or not len(run.steps):
                curve.setData([], [])
                continue
            curve.setData(run.steps, run.d_losses if term == "d" else run.g_losses)


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
        self._watched: list[object] = []
        lab.runs_changed.connect(self._watch)
        lab.data_changed.connect(self._draw)
        self._watch()

    def _watch(self) -> None:
        for run in self.lab.runs.values():
            if run not in self._watched:
                run.changed.connect(self._redraw)
                self._watched.append(run)
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
