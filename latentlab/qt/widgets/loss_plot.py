"""Live loss curves: train (running, per progress event) and held-out (per epoch), per loss term."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QVBoxLayout, QWidget

from latentlab.core.events import EpochEnded, StepProgress, TrainingStarted
from latentlab.qt.state import LabState
from latentlab.qt.throttle import Throttle

REDRAW_MS = 1000  # a loss curve needs no more; each redraw also re-renders the axes

TERM_NAMES = {"loss": "total", "recon": "reconstruction", "kl": "KL"}
TERM_STYLES = {"loss": Qt.PenStyle.SolidLine, "recon": Qt.PenStyle.DashLine,
               "kl": Qt.PenStyle.DotLine}
SPLIT_COLOURS = {"train": QColor(31, 119, 180), "test": QColor(230, 120, 20)}


class LossPlot(QWidget):
    def __init__(self, state: LabState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", "epoch")
        self.plot.setLabel("left", "loss per image")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setMenuEnabled(False)
        self.legend = self.plot.addLegend(offset=(-8, 8), labelTextSize="8pt")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self.curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.points: dict[tuple[str, str], tuple[list[float], list[float]]] = {}
        self._changed: set[tuple[str, str]] = set()
        self._redraw = Throttle(self._draw, REDRAW_MS, self)
        state.training_started.connect(self._on_started)
        state.progress.connect(self._on_progress)
        state.epoch_ended.connect(self._on_epoch)
        state.training_finished.connect(lambda _event: self._redraw.flush())

    def _on_started(self, event: TrainingStarted) -> None:
        # A fixed epoch axis: the x axis need not be redrawn as the curves grow.
        self.plot.setXRange(0, event.epochs, padding=0.02)
        self.plot.enableAutoRange(x=False, y=True)
        self.plot.clear()
        self.legend.clear()
        self.curves.clear()
        self.points.clear()
        self._changed.clear()
        for split in ("train", "test"):
            for term in event.loss_terms:
                pen = pg.mkPen(SPLIT_COLOURS[split], width=2, style=TERM_STYLES.get(term))
                name = f"{'held-out' if split == 'test' else 'train'} {TERM_NAMES.get(term, term)}"
                symbol = "o" if split == "test" else None
                curve = self.plot.plot([], [], pen=pen, name=name, symbol=symbol, symbolSize=4,
                                       symbolBrush=SPLIT_COLOURS[split], symbolPen=None)
                self.curves[(split, term)] = curve
                self.points[(split, term)] = ([], [])

    def _append(self, split: str, x: float, losses: dict[str, float]) -> None:
        for term, value in losses.items():
            key = (split, term)
            if key not in self.curves:
                continue
            xs, ys = self.points[key]
            xs.append(x)
            ys.append(value)
            self._changed.add(key)
        self._redraw()

    def _draw(self) -> None:
        for key in self._changed:
            self.curves[key].setData(*self.points[key], skipFiniteCheck=True)
        self._changed.clear()

    def _on_progress(self, event: StepProgress) -> None:
        self._append("train", event.epoch_float, event.losses)

    def _on_epoch(self, event: EpochEnded) -> None:
        self._append("test", float(event.epoch), event.test)
