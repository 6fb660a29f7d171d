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

Past ``DENSITY_POINTS`` in view, dots would overlap many times over and take Qt ~120 ms a
million: the layer then paints one image of per-class counts in small screen cells instead
(:mod:`latentlab.core.maps.density`), which costs a few passes over the coordinates. Zooming in
far enough brings the dots back.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap, QTransform
from PySide6.QtWidgets import QGraphicsItem

from latentlab.core.maps.density import class_counts, shade, spread
from latentlab.qt.widgets.palette import UNLABELLED

_ALPHA = 200
#: From this many points in view (about), the layer paints their density, not each dot.
DENSITY_POINTS = 150_000


class PointLayer(pg.GraphicsObject):
    """Dots of one size (``ring``: circles, as around selected points); ``density_opacity``
    scales the density image (a selection's darkens the points under it, not hides them)."""

    def __init__(self, size: int = 6, ring: bool = False, density_opacity: float = 1.0) -> None:
        super().__init__()
        self.size = size
        self.ring = ring
        self.density_opacity = density_opacity
        self.pos = np.zeros((0, 2), np.float32)
        self.classes = np.zeros(0, np.intp)
        self._n_used = 0
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
        #: The last paint drew the points' density, not their dots.
        self.painted_density = False
        # Dragging a probe repaints the map under it: draw the points from a cached picture
        # until they or the view change, not all of them again for every move.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def __len__(self) -> int:
        return len(self.pos)

    def set_points(self, pos: np.ndarray, classes: np.ndarray | None,
                   colours: tuple[str, ...]) -> None:
        """Show ``pos`` (N×2), point i in ``colours[classes[i] % len(colours)]``."""
        self.prepareGeometryChange()
        # float32 as the maps hold them: no copy (a million points are 8 MB). Far-off points
        # become infinite, which no view shows either.
        with np.errstate(over="ignore"):
            self.pos = np.asarray(pos, np.float32).reshape(-1, 2)
        n = len(self.pos)
        if classes is None:
            self.colours, self.classes = (UNLABELLED,), np.zeros(n, np.intp)
        else:
            self.colours = tuple(colours)
            # intp, as the density's counts index with it: no conversion there.
            self.classes = np.asarray(classes, np.intp)
            k = len(self.colours)
            if n and (self.classes.min() < 0 or self.classes.max() >= k):
                self.classes = self.classes % k  # more classes than colours: they repeat
        #: Colours in use (the density counts no class beyond them).
        self._n_used = int(self.classes.max()) + 1 if n else 0
        self._all_ready = False
        if n:
            # Column by column: pos.min(0) on an N×2 array is ~20× slower.
            x, y = self.pos[:, 0], self.pos[:, 1]
            xr, yr = (float(x.min()), float(x.max())), (float(y.min()), float(y.max()))
            self._data_bounds = (xr, yr)
            self._bounds = QRectF(xr[0], yr[0], xr[1] - xr[0], yr[1] - yr[0])
            # min and max are NaN or infinite if any point is: else every point is finite.
            self._finite = bool(np.isfinite([*xr, *yr]).all())
        else:
            self._data_bounds = None
            self._bounds = QRectF()
        self.informViewBoundsChanged()
        self.update()

    def clear(self) -> None:
        self.set_points(np.zeros((0, 2)), None, (UNLABELLED,))

    def set_size(self, size: float) -> None:
        """The dots' diameter in pixels (presentation mode zooms them)."""
        if size == self.size:
            return
        self.prepareGeometryChange()  # the bounds pad by a dot
        self.size = size
        self._atlas = None  # drawn again at the new size on the next paint
        self.update()

    def fragment_bytes(self) -> int:
        """Memory held for painting dots (none until dots are painted)."""
        return int(self._all.ndarray().nbytes + self._visible.ndarray().nbytes)

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
        radius = self.size * dpr / 2
        for k, name in enumerate(self.colours):
            colour = QColor(name)
            if self.ring:
                painter.setPen(QPen(colour, 1.6 * dpr))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                radius = (self.size - 1.6) * dpr / 2  # the pen's width inside the cell
            else:
                colour.setAlpha(_ALPHA)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colour)
            painter.drawEllipse(QPointF(k * side + side / 2, side / 2), radius, radius)
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
        layout = (n, self._side, dpr)
        # The same rows still hold the constant columns from last time unless the layout moved.
        self._fill_sources(fragments, self.classes, dpr, constants=self._all_layout != layout)
        self._all_layout = layout
        self._all_ready = True

    def _fill_sources(self, fragments: np.ndarray, classes: np.ndarray, dpr: float,
                      constants: bool = True) -> None:
        """The fragments' atlas cells for ``classes`` and (``constants``) what every point
        shares: the cell's top and size, the scale, no rotation, full opacity."""
        np.multiply(classes, self._side, out=fragments[:, 2], casting="unsafe")  # left
        if constants:
            fragments[:, 3] = 0.0  # top
            fragments[:, 4:6] = self._side  # width, height
            fragments[:, 6:10] = (1 / dpr, 1 / dpr, 0.0, 1.0)  # scale x, y, rotation, opacity

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

    def in_density(self, transform: QTransform, view: QRectF) -> bool:
        """Whether the points in ``view`` (device coordinates) are many enough to be painted as
        a density: about how many are in view, by the share of their bounds that is."""
        if len(self.pos) < DENSITY_POINTS:
            return False
        bounds = transform.mapRect(self._bounds)
        area = bounds.width() * bounds.height()
        seen = bounds.intersected(view)
        share = 1.0 if area <= 0 else seen.width() * seen.height() / area
        return len(self.pos) * share >= DENSITY_POINTS

    def _paint_density(self, painter: QPainter, transform: QTransform, view: QRectF) -> None:
        """Per-class counts in cells of half a dot, each spread over a dot's area, over the part
        of the view with points."""
        cell = max(2.0, self.size / 2)
        bounds = transform.mapRect(self._bounds)
        region = bounds.intersected(view)
        # A fitted map lies whole in the grid: no point needs testing.
        all_inside = self._finite and view.contains(bounds)
        width = max(1, int(np.ceil(region.width() / cell)) + 1)
        height = max(1, int(np.ceil(region.height() / cell)) + 1)
        # Positions in cells of the grid whose corner is the region's.
        grid = (transform * QTransform.fromTranslate(-region.left(), -region.top())
                * QTransform.fromScale(1 / cell, 1 / cell))
        cells = np.empty((2, len(self.pos)), np.float32)
        self._to_device(grid, self.pos, cells.T)
        gx, gy = cells
        used = self.colours[:self._n_used]
        rgb = np.array([QColor(name).getRgb()[:3] for name in used], np.float32)
        counts = class_counts(gx, gy, self.classes, len(used), width, height, all_inside)
        rgba = shade(spread(counts), rgb)
        if self.density_opacity != 1.0:  # premultiplied: every channel scales
            rgba = (rgba * self.density_opacity).astype(np.uint8)
        image = QImage(rgba.data, width, height, 4 * width,
                       QImage.Format.Format_RGBA8888_Premultiplied)
        painter.resetTransform()
        # Spreading moved each point half a cell right and down: draw the image back by as much.
        painter.drawImage(QRectF(region.left() - cell / 2, region.top() - cell / 2,
                                 width * cell, height * cell), image)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not len(self.pos):
            return
        transform = painter.transform()
        self.painted_density = self.in_density(transform, QRectF(painter.viewport()))
        if self.painted_density:
            self._paint_density(painter, transform, QRectF(painter.viewport()))
            return
        dpr = widget.devicePixelRatioF() if widget is not None else 1.0
        if self._atlas is None or self._atlas_key != (self.colours, dpr):
            self._render_atlas(dpr)
        assert self._atlas is not None
        view = QRectF(painter.viewport()).adjusted(-self.size, -self.size, self.size, self.size)
        if not view.contains(transform.mapRect(self._bounds)):
            self._paint_in_view(painter, transform, view, dpr)
            return
        # Everything is in view (a fitted map): draw all, with no per-point test or copy, from
        # fragments whose constant columns are kept between paints.
        if not self._all_ready:
            self._fill_fragments(dpr)
        self._to_device(transform, self.pos, self._all.ndarray()[:, 0:2])
        painter.resetTransform()
        painter.drawPixmapFragments(*self._all.drawargs(), self._atlas)

    def _paint_in_view(self, painter: QPainter, transform: QTransform, view: QRectF,
                       dpr: float) -> None:
        """Zoomed in: fragments for the points in ``view`` only (a million points' would hold
        80 MB to draw a few thousand). Only points in view reach Qt, which misbehaves on huge
        coordinates; NaN is never in."""
        assert self._atlas is not None
        device = np.empty((len(self.pos), 2), np.float64)
        self._to_device(transform, self.pos, device)
        x, y = device[:, 0], device[:, 1]
        rows = np.flatnonzero((x > view.left()) & (x < view.right()) & (y > view.top())
                              & (y < view.bottom()))
        self._visible.resize(len(rows))
        fragments = self._visible.ndarray()
        fragments[:, 0], fragments[:, 1] = x[rows], y[rows]
        self._fill_sources(fragments, self.classes[rows], dpr)
        painter.resetTransform()
        painter.drawPixmapFragments(*self._visible.drawargs(), self._atlas)
