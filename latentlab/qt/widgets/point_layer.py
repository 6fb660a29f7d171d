"""A map's points: many same-size round dots, fast to replace and to paint at 100,000 points.

pyqtgraph's ScatterPlotItem keeps a record per point (symbol, size, pen, brush, …) and rebuilds
it on every setData, which dominates a redraw at this scale. All points of a map share size and
shape and differ only in colour, so this item keeps just the coordinates and a colour index,
renders one dot per colour into a small atlas, and paints every point as a fragment of it in a
single drawPixmapFragments call.

What a redraw costs at 100,000 points is Qt drawing the fragments (~12 ms on a 2-vCPU machine);
the rest is kept small: the fragment array is kept between paints, its columns that depend only
on the classes are filled once per ``set_points``, each paint writes just the screen positions
(one column at a time: numpy is several times slower on N×2 arrays than on columns), and points
are culled only when some of them can be outside the view.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap, QTransform
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
        self._data_bounds: tuple[tuple[float, float], tuple[float, float]] | None = None
        self._atlas: QPixmap | None = None
        self._atlas_key: tuple[tuple[str, ...], float] | None = None
        self._side = 0  # an atlas cell's side in device pixels
        # Every point's fragment (x, y, source rect, scale, rotation, opacity); the columns
        # after x and y are filled once per set_points (or atlas), not on every paint.
        self._all = pg.Qt.internals.PrimitiveArray(QPainter.PixmapFragment, 10)
        self._all_ready = False  # the source rects match the classes
        #: (n, side, dpr) the constant columns were last filled for.
        self._all_layout: tuple[int, int, float] | None = None
        # The fragments of the points in view, when some are not (zoomed in).
        self._visible = pg.Qt.internals.PrimitiveArray(QPainter.PixmapFragment, 10)
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
        self._all_ready = False
        if n:
            # Column by column: pos.min(0) on an N×2 array is ~20× slower.
            x, y = self.pos[:, 0], self.pos[:, 1]
            xr, yr = (float(x.min()), float(x.max())), (float(y.min()), float(y.max()))
            self._data_bounds = (xr, yr)
            self._bounds = QRectF(xr[0], yr[0], xr[1] - xr[0], yr[1] - yr[0])
        else:
            self._data_bounds = None
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
        # Auto-range asks on every paint after a change: answer from set_points' figures.
        if self._data_bounds is None:
            return (None, None)
        return self._data_bounds[ax]

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
        self._atlas_key = (self.colours, dpr)
        self._side = side
        self._all_ready = False

    def _fill_fragments(self, dpr: float) -> None:
        """Each point's source rect in the atlas and its scale, after set_points or the atlas."""
        n = len(self.pos)
        self._all.resize(n)
        fragments = self._all.ndarray()
        np.multiply(self.classes, self._side, out=fragments[:, 2], casting="unsafe")  # left
        layout = (n, self._side, dpr)
        if self._all_layout != layout:  # else the same rows still hold these from last time
            fragments[:, 3] = 0.0  # top
            fragments[:, 4:6] = self._side  # width, height
            fragments[:, 6:10] = (1 / dpr, 1 / dpr, 0.0, 1.0)  # scale x, y, rotation, opacity
            self._all_layout = layout
        self._all_ready = True

    @staticmethod
    def _to_device(transform: QTransform, pos: np.ndarray, out: np.ndarray) -> None:
        """``pos`` (N×2) through an affine ``transform`` into ``out`` (N×2, may be strided)."""
        x, y = pos[:, 0], pos[:, 1]
        m11, m12, m21, m22 = transform.m11(), transform.m12(), transform.m21(), transform.m22()
        np.multiply(x, m11, out=out[:, 0])
        np.multiply(y, m22, out=out[:, 1])
        if m21:  # the view is never rotated, so these two usually cost nothing
            out[:, 0] += y * m21
        if m12:
            out[:, 1] += x * m12
        out[:, 0] += transform.dx()
        out[:, 1] += transform.dy()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not len(self.pos):
            return
        dpr = widget.devicePixelRatioF() if widget is not None else 1.0
        if self._atlas is None or self._atlas_key != (self.colours, dpr):
            self._render_atlas(dpr)
        if not self._all_ready:
            self._fill_fragments(dpr)
        assert self._atlas is not None
        transform = painter.transform()
        fragments = self._all.ndarray()
        self._to_device(transform, self.pos, fragments[:, 0:2])
        view = QRectF(painter.viewport()).adjusted(-self.size, -self.size, self.size, self.size)
        painter.resetTransform()
        if view.contains(transform.mapRect(self._bounds)):
            # Everything is in view (a fitted map): draw all, with no per-point test or copy.
            painter.drawPixmapFragments(*self._all.drawargs(), self._atlas)
            return
        # Only points in view reach Qt, which misbehaves on huge coordinates; NaN is never in.
        x, y = fragments[:, 0], fragments[:, 1]
        inside = (x > view.left()) & (x < view.right()) & (y > view.top()) & (y < view.bottom())
        self._visible.resize(int(np.count_nonzero(inside)))
        self._visible.ndarray()[:] = fragments[inside]
        painter.drawPixmapFragments(*self._visible.drawargs(), self._atlas)
