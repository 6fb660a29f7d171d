"""A map's points: many same-size round dots, fast to replace and to paint at 100,000 points.

pyqtgraph's ScatterPlotItem keeps a record per point (symbol, size, pen, brush, …) and rebuilds
it on every setData, which dominates a redraw at this scale. All points of a map share size and
shape and differ only in colour, so this item keeps just the coordinates and a colour index,
renders one dot per colour into a small atlas, and paints every point as a fragment of it in a
single drawPixmapFragments call.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph import functions as fn
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QGraphicsItem

from latentlab.qt.widgets.palette import UNLABELLED

_ALPHA = 200


class PointLayer(pg.GraphicsObject):
    def __init__(self, size: int = 6) -> None:
        super().__init__()
        self.size = size
        self.pos = np.zeros((0, 2), np.float64)
        self.classes = np.zeros(0, np.int64)
        self.colours: tuple[str, ...] = (UNLABELLED,)
        self._bounds = QRectF()
        self._atlas: QPixmap | None = None
        self._source = np.zeros((0, 4), np.float64)
        self._fragments = pg.Qt.internals.PrimitiveArray(QPainter.PixmapFragment, 10)
        # Dragging a probe repaints the map under it: draw the points from a cached picture
        # until they or the view change, not all of them again for every move.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def __len__(self) -> int:
        return len(self.pos)

    def set_points(self, pos: np.ndarray, classes: np.ndarray | None,
                   colours: tuple[str, ...]) -> None:
        """Show ``pos`` (N×2), point i in ``colours[classes[i] % len(colours)]``."""
        self.prepareGeometryChange()
        self.pos = np.asarray(pos, np.float64).reshape(-1, 2)
        n = len(self.pos)
        if classes is None:
            self.colours, self.classes = (UNLABELLED,), np.zeros(n, np.int64)
        else:
            self.colours = tuple(colours)
            self.classes = np.asarray(classes, np.int64) % len(self.colours)
        self._atlas = None  # rendered on the next paint, at the screen's pixel ratio
        if n:
            lo, hi = self.pos.min(0), self.pos.max(0)
            self._bounds = QRectF(lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])
        else:
            self._bounds = QRectF()
        self.informViewBoundsChanged()
        self.update()

    def clear(self) -> None:
        self.set_points(np.zeros((0, 2)), None, (UNLABELLED,))

    def point_colours(self) -> list[str]:
        """Each point's colour name (for checks; painting never builds this)."""
        return [self.colours[k] for k in self.classes]

    # ------------------------------------------------------------ geometry
    def boundingRect(self) -> QRectF:
        # Points are drawn in pixels around their positions: pad by a dot in data units.
        px = self.pixelVectors()
        if self._bounds.isNull() or px[0] is None:
            return QRectF(self._bounds)
        pad_x = self.size * abs(px[0].x()) + self.size * abs(px[1].x())
        pad_y = self.size * abs(px[0].y()) + self.size * abs(px[1].y())
        return self._bounds.adjusted(-pad_x, -pad_y, pad_x, pad_y)

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):
        if not len(self.pos):
            return (None, None)
        column = self.pos[:, ax]
        return (float(column.min()), float(column.max()))

    def pixelPadding(self) -> float:
        return self.size * 0.7072

    def viewTransformChanged(self) -> None:
        self.prepareGeometryChange()

    # ------------------------------------------------------------- drawing
    def _render_atlas(self, dpr: float) -> None:
        side = int(np.ceil(self.size * dpr)) + 2
        atlas = QPixmap(side * len(self.colours), side)
        atlas.fill(Qt.GlobalColor.transparent)
        painter = QPainter(atlas)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        for k, name in enumerate(self.colours):
            colour = QColor(name)
            colour.setAlpha(_ALPHA)
            painter.setBrush(colour)
            painter.drawEllipse(QPointF(k * side + side / 2, side / 2), self.size * dpr / 2,
                                self.size * dpr / 2)
        painter.end()
        atlas.setDevicePixelRatio(dpr)
        self._atlas = atlas
        self._source = np.zeros((len(self.colours), 4), np.float64)
        self._source[:, 0] = np.arange(len(self.colours)) * side
        self._source[:, 2:] = side

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not len(self.pos):
            return
        dpr = widget.devicePixelRatioF() if widget is not None else 1.0
        if self._atlas is None or self._atlas.devicePixelRatio() != dpr:
            self._render_atlas(dpr)
        xy = fn.transformCoordinates(painter.transform(), self.pos.T)
        xy = np.clip(xy, -2 ** 30, 2 ** 30).T  # Qt misbehaves on huge coordinates
        view = painter.viewport()
        inside = ((xy[:, 0] > view.left() - self.size) & (xy[:, 0] < view.right() + self.size)
                  & (xy[:, 1] > view.top() - self.size) & (xy[:, 1] < view.bottom() + self.size))
        painter.resetTransform()
        self._fragments.resize(int(inside.sum()))
        fragments = self._fragments.ndarray()
        fragments[:, 0:2] = xy[inside]
        fragments[:, 2:6] = self._source[self.classes[inside]]
        fragments[:, 6:10] = [1 / dpr, 1 / dpr, 0.0, 1.0]  # scale x, y, rotation, opacity
        painter.drawPixmapFragments(*self._fragments.drawargs(), self._atlas)
