"""Live loss curves: train (running, per progress event) and held-out (per epoch), per loss term;
held-out scores (an InfoGAN's category accuracy) as a dashed curve, the latest in a line above;
a progressive GAN's stages as dashed vertical lines labelled with the side it grew to. The legend
sits below the plot and wraps; a new model or dataset starts with an empty plot."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QVBoxLayout, QWidget

from latentlab.core.training.events import EpochEnded, StepProgress, TrainingStarted
from latentlab.lab.latent_lab import LatentLab
from latentlab.qt.look import Look
from latentlab.qt.throttle import Throttle
from latentlab.qt.widgets.curve_legend import CurveLegend
from latentlab.qt.widgets.elided_label import ElidedLabel

REDRAW_MS = 1000  # a loss curve needs no more; each redraw also re-renders the axes

# Short names: a GAN's five terms share a narrow plot with their legend.
TERM_NAMES = {"loss": "total", "recon": "reconstruction", "kl": "KL", "d_loss": "D loss",
              "g_loss": "G loss", "d_real": "D(x)", "d_fake": "D(G(z))", "info": "info",
              "umap": "UMAP"}
SCORE_NAMES = {"category_accuracy": "category accuracy"}
TERM_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")
#: At zoom 1.0: the train curves' width, the held-out dots' size, the scores' line and squares.
LINE, DOT, SCORE_LINE, SCORE_DOT = 2, 6, 1.5, 5


class LossPlot(QWidget):
    def __init__(self, lab: LatentLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.look = Look()  # the window's zoom and theme
        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", "epoch")
        self.plot.setLabel("left", "loss per image")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setMenuEnabled(False)
        # Room at the right for the last tick's label: the plot ends at the window's edge.
        self.plot.getPlotItem().layout.setContentsMargins(0, 4, 12, 0)
        # The latest held-out score, above the plot (a plot title would widen the plot).
        self.score_label = ElidedLabel()
        self.score_label.setObjectName("caption")
        self.score_label.hide()
        self.legend = CurveLegend()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.score_label)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.legend)
        self.curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        self._colours: dict[tuple[str, str], QColor] = {}
        self.points: dict[tuple[str, str], tuple[list[float], list[float]]] = {}
        self._changed: set[tuple[str, str]] = set()
        self._redraw = Throttle(self._draw, REDRAW_MS, self)
        lab.model.started.connect(self._on_started)
        lab.model.progress.connect(self._on_progress)
        lab.model.epoch_ended.connect(self._on_epoch)
        lab.model.finished.connect(lambda _event: self._redraw.flush())
        self.stage_lines: list[pg.InfiniteLine] = []
        lab.model.stage_marked.connect(self._on_stage)
        # Curves belong to the run that drew them: a new model (or dataset) clears them.
        lab.model.changed.connect(self.clear)

    def clear(self) -> None:
        self.plot.clear()
        self.score_label.clear()
        self.score_label.hide()
        self.legend.clear()
        self.stage_lines.clear()
        self.curves.clear()
        self._colours.clear()
        self.points.clear()
        self._changed.clear()
        self.plot.enableAutoRange(x=True, y=True)

    def _on_started(self, event: TrainingStarted) -> None:
        self.clear()
        # A fixed epoch axis: the x axis need not be redrawn as the curves grow.
        self.plot.setXRange(0, event.epochs, padding=0.02)
        self.plot.enableAutoRange(x=False, y=True)
        gan = "d_loss" in event.loss_terms
        # Short: the plot may be low on a projector (D's outputs are named in the legend).
        self.plot.setLabel("left", "loss / batch" if gan else "loss per image")
        # One colour per term; the running train mean as a line, held-out points as dots.
        for i, term in enumerate(event.loss_terms):
            colour = QColor(TERM_COLOURS[i % len(TERM_COLOURS)])
            name = TERM_NAMES.get(term, term)
            self.curves[("train", term)] = self.plot.plot([], [])
            self.legend.add(name, colour.name())
            self.curves[("test", term)] = self.plot.plot(
                [], [], pen=None, symbol="o", symbolBrush=colour, symbolPen=pg.mkPen("w"))
            self._size_curve(("train", term), colour)
            self._size_curve(("test", term), colour)
        self.legend.add("held-out", "#787878", "dot")
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

    def _size_curve(self, key: tuple[str, str], colour: QColor) -> None:
        """A curve's line and symbols at the look's zoom (thicker in high contrast)."""
        curve, look = self.curves[key], self.look
        self._colours[key] = colour
        if key[0] == "train":
            curve.setPen(pg.mkPen(colour, width=look.line(LINE)))
        elif key[0] == "test":
            curve.setSymbolSize(look.size(DOT))
        else:
            curve.setPen(pg.mkPen(colour, width=look.line(SCORE_LINE),
                                  style=Qt.PenStyle.DashLine))
            curve.setSymbolSize(look.size(SCORE_DOT))

    def set_look(self, look: Look) -> None:
        """Lines, dots and stage lines at ``look``'s zoom; the axes are the workspace's."""
        self.look = look
        for key, colour in self._colours.items():
            self._size_curve(key, colour)
        for line in self.stage_lines:
            line.setPen(pg.mkPen("#777", width=look.line(1), style=Qt.PenStyle.DashLine))

    def _on_stage(self, epoch: float, resolution: int) -> None:
        """A progressive GAN grew to ``resolution`` at ``epoch``: its losses jump there. The
        label sits low, clear of the curves' start at the top."""
        line = pg.InfiniteLine(
            epoch, angle=90,
            pen=pg.mkPen("#777", width=self.look.line(1), style=Qt.PenStyle.DashLine),
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
                self.curves[key] = self.plot.plot([], [], symbol="s", symbolBrush="#444")
                self._size_curve(key, QColor("#444"))
                self.legend.add(SCORE_NAMES.get(name, name), "#444", "dashed")
                self.points[key] = ([], [])
            self.score_label.setText(f"{SCORE_NAMES.get(name, name)} {value:.1%} "
                                     "(held-out, matched to the labels)")
            self.score_label.show()
        self._append("score", float(event.epoch), event.scores)
