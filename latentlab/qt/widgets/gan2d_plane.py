"""One run on the plane, as GAN Lab draws it: the discriminator's output as a heatmap, real
points (green), fake points (purple), the generator's gradient on the fakes as short segments,
and the generator's noise grid warped onto the plane. In "Draw data" mode a click drops a small
cloud of points there and a drag draws a stroke of points along the mouse's path."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QMouseEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from latentlab.core.gan2d.objectives import PROBABILITY_LOSSES
from latentlab.lab.gan2d import GanLab
from latentlab.lab.gan2d_run import GanRun
from latentlab.qt.throttle import Throttle

FRAME_MS = 16  # redraw at most ~60 times a second; frames come at the training's pace
REAL = QColor(34, 139, 34)
FAKE = QColor(128, 60, 170)
#: D's output from "fake" (purple) through white to "real" (green), as in GAN Lab.
FIELD_COLOURS = pg.ColorMap([0.0, 0.5, 1.0],
                            [(150, 110, 200), (250, 250, 250), (110, 190, 120)])
ARROW_FRACTION = 0.06  # the longest gradient segment, as a share of the plane's width
CLICK_POINTS = 8  # points one click adds while drawing
CLICK_SPREAD = 0.02  # their spread, as a share of the plane's width
STROKE_STEP = 0.012  # a drag adds a point every this much of the plane's width along its path
STROKE_SPREAD = 0.006  # and jitters it by this much, so the data is not a perfect line


def grid_lines(warped: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y and pyqtgraph's connect array drawing an n×n×2 grid's rows and columns as one
    curve."""
    n = warped.shape[0]
    points = np.concatenate([warped.reshape(-1, 2), warped.transpose(1, 0, 2).reshape(-1, 2)])
    connect = np.ones(len(points), dtype=bool)
    connect[n - 1::n] = False  # the last point of each line does not join the next line
    return points[:, 0], points[:, 1], connect


def segments(starts: np.ndarray, vectors: np.ndarray, length: float) -> tuple[np.ndarray,
                                                                              np.ndarray]:
    """x, y of segments from each start along its vector, the longest ``length`` long."""
    norms = np.linalg.norm(vectors, axis=1)
    top = float(norms.max()) if len(norms) and np.isfinite(norms).all() else 0.0
    scale = length / top if top > 0 else 0.0
    ends = starts + vectors * scale
    pairs = np.stack([starts, ends], axis=1).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


class Gan2dPlane(QWidget):
    """The plane of run ``name``; shows whichever :class:`GanRun` the lab holds under it."""

    def __init__(self, lab: GanLab, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab, self.name = lab, name
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setAspectLocked(True)
        self.plot.setBackground("w")
        self.view_box = self.plot.getViewBox()
        self.heatmap = pg.ImageItem(axisOrder="row-major")
        self.heatmap.setLookupTable(FIELD_COLOURS.getLookupTable(nPts=256, alpha=False))
        self.heatmap.setOpacity(0.75)
        self.grid = pg.PlotCurveItem(pen=pg.mkPen((90, 90, 120, 110), width=1))
        self.real = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(REAL), pxMode=True)
        self.fake = pg.ScatterPlotItem(size=5, pen=pg.mkPen(255, 255, 255, 160, width=0.5),
                                       brush=pg.mkBrush(FAKE), pxMode=True)
        self.arrows = pg.PlotCurveItem(pen=pg.mkPen((70, 30, 110, 200), width=1.2),
                                       connect="pairs")
        self.drawn = pg.ScatterPlotItem(size=7, pen=pg.mkPen("k"), brush=pg.mkBrush(REAL))
        self.layer_items = {"heatmap": self.heatmap, "grid": self.grid, "real": self.real,
                            "fake": self.fake, "arrows": self.arrows}
        for item in (self.heatmap, self.grid, self.real, self.fake, self.arrows, self.drawn):
            self.plot.addItem(item)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.plot, 1)
        self.frames_drawn = 0
        self._run: GanRun | None = None
        self._redraw = Throttle(self._draw, FRAME_MS, self)
        self._stroke_end: np.ndarray | None = None  # where the drag being drawn has reached
        self._stroke_rng = np.random.default_rng(0)
        self.plot.viewport().installEventFilter(self)
        lab.runs_changed.connect(self._follow_run)
        lab.data_changed.connect(self._on_data)
        lab.layers_changed.connect(self._on_layers)
        lab.drawing_changed.connect(self._on_drawing)
        self._follow_run()
        self._on_data()
        self._on_layers()

    def _follow_run(self) -> None:
        run = self.lab.runs.get(self.name)
        if run is not self._run:
            if self._run is not None:
                self._run.changed.disconnect(self._redraw)
            self._run = run
            if run is not None:
                run.changed.connect(self._redraw)
        self._draw()

    def _on_data(self) -> None:
        self.real.setData(pos=self.lab.data.points)
        (x0, x1), (y0, y1) = self.lab.bounds
        self.view_box.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self._draw()

    def _on_layers(self) -> None:
        drawing = self.lab.drawing
        for layer, item in self.layer_items.items():
            item.setVisible(self.lab.layers[layer] and not drawing)
        self.drawn.setVisible(drawing)

    def _on_drawing(self) -> None:
        self.drawn.setData(pos=self.lab.drawn)
        # While drawing, clicks add points: the view must not pan under them.
        self.view_box.setMouseEnabled(not self.lab.drawing, not self.lab.drawing)
        self._on_layers()
        self._draw_title()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """While drawing, the left button draws: a press drops a cloud, a drag a stroke."""
        kind = event.type()
        if (not self.lab.drawing or not isinstance(event, QMouseEvent)
                or kind not in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
                                QEvent.Type.MouseButtonRelease)):
            return False
        point = self._plane_point(event.position())
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            self._stroke_end = point
            if point is not None:
                self._add_cloud(point)
            return True
        if kind == QEvent.Type.MouseMove and event.buttons() & Qt.MouseButton.LeftButton:
            if point is not None:
                self._extend_stroke(point)
            return True
        if kind == QEvent.Type.MouseButtonRelease:
            self._stroke_end = None
        return False

    def _plane_point(self, viewport_pos: QPointF) -> np.ndarray | None:
        """Where on the plane a viewport position is, or None off the plot area."""
        scene_pos = self.plot.mapToScene(viewport_pos.toPoint())
        if not self.view_box.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.view_box.mapSceneToView(scene_pos)
        return np.array([p.x(), p.y()])

    def _width(self) -> float:
        (x0, x1), _ = self.lab.bounds
        return x1 - x0

    def _add_cloud(self, point: np.ndarray) -> None:
        rng = np.random.default_rng(len(self.lab.drawn))
        self.lab.add_points(point + CLICK_SPREAD * self._width()
                            * rng.standard_normal((CLICK_POINTS, 2)))

    def _extend_stroke(self, point: np.ndarray) -> None:
        """Points every STROKE_STEP from the stroke's end to ``point`` (a fast drag leaves no
        gaps), each slightly jittered."""
        start = point if self._stroke_end is None else self._stroke_end
        step = STROKE_STEP * self._width()
        n = int(np.linalg.norm(point - start) // step)
        if n == 0:
            return
        direction = (point - start) / np.linalg.norm(point - start)
        along = start + direction * step * np.arange(1, n + 1)[:, None]
        self._stroke_end = along[-1]
        self.lab.add_points(along + STROKE_SPREAD * self._width()
                            * self._stroke_rng.standard_normal(along.shape))

    def _draw(self) -> None:
        run = self._run
        frame = run.frame if run is not None else None
        self._draw_title()
        if frame is None:
            for item in self.layer_items.values():
                if item is not self.real:
                    item.clear()
            return
        (x0, x1), (y0, y1) = self.lab.bounds
        field = frame.field
        if run.cfg.loss in PROBABILITY_LOSSES:
            levels = (0.0, 1.0)
        else:  # a critic's raw score: centre the colours on its median
            finite = field[np.isfinite(field)]
            mid = float(np.median(finite)) if len(finite) else 0.0
            spread = float(np.percentile(np.abs(finite - mid), 98)) if len(finite) else 1.0
            levels = (mid - spread - 1e-6, mid + spread + 1e-6)
        self.heatmap.setImage(field, levels=levels, autoLevels=False)
        self.heatmap.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self.fake.setData(pos=frame.samples)
        xs, ys = segments(frame.samples[:len(frame.arrows)], frame.arrows,
                          ARROW_FRACTION * (x1 - x0))
        self.arrows.setData(xs, ys, connect="pairs")
        gx, gy, connect = grid_lines(frame.warped)
        self.grid.setData(gx, gy, connect=connect)
        self.frames_drawn += 1

    def _draw_title(self) -> None:
        run = self._run
        if self.lab.drawing:
            self.title.setText(f"<b>Draw data</b> · {len(self.lab.drawn)} points — click or drag "
                               "to add")
            return
        if run is None:
            self.title.setText("")
            return
        parts = [f"<b>Run {self.name}</b>", f"step {run.step:,}"]
        if len(run.d_losses):
            parts.append(f"D {run.d_losses[-1]:.3f} · G {run.g_losses[-1]:.3f}")
        m = run.metrics
        if m and m.get("n_modes"):
            parts.append(f"{m['modes_captured']}/{m['n_modes']} modes")
        if run.diverged:
            parts.append("<span style='color:#c0392b'>diverged</span>")
        self.title.setText(" · ".join(parts))
