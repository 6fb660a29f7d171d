"""Live loss curves: train (running, per progress event) and held-out (per epoch), per loss term;
held-out scores (an InfoGAN's category accuracy) as a dashed curve, the latest in the title;
a progressive GAN's stages as dashed vertical lines labelled with the side it grew to."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QVBoxLayout, QWidget

from latentlab.core.training.events import EpochEnded, StepProgress, TrainingStarted
from latentlab.lab.latent_lab import LatentLab
from latentlab.qt.throttle import Throttle

REDRAW_MS = 1000  # a loss curve needs no more; each redraw also re-renders the axes

# Short names: a GAN's five terms share a narrow plot with their legend.
TERM_NAMES = {"loss": "total", "recon": "reconstruction", "kl": "KL", "d_loss": "D loss",
              "g_loss": "G loss", "d_real": "D(x)", "d_fake": "D(G(z))", "info": "info",
              "umap": "UMAP"}
SCORE_NAMES = {"category_accuracy": "category accuracy"}
TERM_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


class LossPlot(QWidget):
    def __init__(self, lab: LatentLab, parent: QWidget | None = None) -> None:
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
        lab.model.started.connect(self._on_started)
        lab.model.progress.connect(self._on_progress)
        lab.model.epoch_ended.connect(self._on_epoch)
        lab.model.finished.connect(lambda _event: self._redraw.flush())
        self.stage_lines: list[pg.InfiniteLine] = []
        lab.model.stage_marked.connect(self._on_stage)

    def _on_started(self, event: TrainingStarted) -> None:
        # A fixed epoch axis: the x axis need not be redrawn as the curves grow.
        self.plot.setXRange(0, event.epochs, padding=0.02)
        self.plot.enableAutoRange(x=False, y=True)
        self.plot.clear()
        self.plot.setTitle(None)
        self.legend.clear()
        self.stage_lines.clear()
        self.curves.clear()
        self.points.clear()
        self._changed.clear()
        gan = "d_loss" in event.loss_terms
        self.plot.setLabel("left", "loss per batch · D's outputs" if gan else "loss per image")
        # One colour per term; the running train mean as a line, held-out points as dots.
        for i, term in enumerate(event.loss_terms):
            colour = QColor(TERM_COLOURS[i % len(TERM_COLOURS)])
            name = TERM_NAMES.get(term, term)
            self.curves[("train", term)] = self.plot.plot(
                [], [], pen=pg.mkPen(colour, width=2), name=name)
            self.curves[("test", term)] = self.plot.plot(
                [], [], pen=None, symbol="o", symbolSize=6, symbolBrush=colour,
                symbolPen=pg.mkPen("w"))
        self.legend.addItem(pg.ScatterPlotItem(symbol="o", brush=QColor(120, 120, 120)),
                            "held-out")
        # Two columns keep a GAN's five terms from covering the curves.
        self.legend.setColumnCount(2 if len(event.loss_terms) > 3 else 1)
        for key in self.curves:
            self.points[key] = ([], [])

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

    def _on_stage(self, epoch: float, resolution: int) -> None:
        """A progressive GAN grew to ``resolution`` at ``epoch``: its losses jump there. The
        label sits low, clear of the legend at the top."""
        line = pg.InfiniteLine(
            epoch, angle=90, pen=pg.mkPen("#777", width=1, style=Qt.PenStyle.DashLine),
            label=f"{resolution}×{resolution}",
            labelOpts={"position": 0.04, "color": "#555", "anchors": [(0, 1), (0, 1)]})
        self.plot.addItem(line)
        self.stage_lines.append(line)

    def _on_progress(self, event: StepProgress) -> None:
        self._append("train", event.epoch_float, event.losses)

    def _on_epoch(self, event: EpochEnded) -> None:
        self._append("test", float(event.epoch), event.test)
        for name, value in event.scores.items():
            key = ("score", name)
            if key not in self.curves:  # the first epoch that brings this score
                self.curves[key] = self.plot.plot(
                    [], [], pen=pg.mkPen("#444", width=1.5, style=Qt.PenStyle.DashLine),
                    symbol="s", symbolSize=5, symbolBrush="#444",
                    name=SCORE_NAMES.get(name, name))
                self.points[key] = ([], [])
            self.plot.setTitle(f"{SCORE_NAMES.get(name, name)} {value:.1%} "
                               "(held-out, matched to the labels)", size="9pt")
        self._append("score", float(event.epoch), event.scores)
