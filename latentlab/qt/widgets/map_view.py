"""One 2-D map: coloured points, linked box/lasso selection, a draggable probe, hover images,
and rings around the items labelled by hand (few labels)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainterPath, QPen, QTextOption
from PySide6.QtWidgets import QGraphicsPathItem, QLabel, QVBoxLayout, QWidget

from latentlab.core.data.text import document_snippet
from latentlab.core.maps.geometry import points_in_box, points_in_polygon
from latentlab.core.maps.methods import METHOD_NAMES
from latentlab.lab.latent_lab import LatentLab
from latentlab.lab.map_state import PIXELS
from latentlab.qt.look import HC_ACCENT, HC_TEXT, Look
from latentlab.qt.throttle import Throttle
from latentlab.qt.widgets.elided_label import ElidedLabel
from latentlab.qt.widgets.image_tile import ImageTile
from latentlab.qt.widgets.palette import class_colour, palette_colours
from latentlab.qt.widgets.point_layer import PointLayer

HOVER_RADIUS_PX = 8
SELECTED = "#0a0a0a"  # the ring around a selected point
#: Sizes in pixels at zoom 1.0: the dots, the rings of selected and hand-labelled points, the
#: probe and its pen, the hand-labelled rings' pen.
DOT, SELECTED_RING, LABELLED_RING, PROBE, PROBE_PEN, RING_PEN = 6, 9, 13, 22, 3, 2.2
PLACEHOLDER = (110, 110, 110)
OUTLINE = "#c8141414"  # a box or lasso being drawn (ARGB)
HOVER_SIDE_PX = 96
#: Text datasets: the hover shows a document's first lines, this wide.
SNIPPET_WIDTH_PX = 320
REDRAW_MS = 250
NOISE_RANGE = (-3.0, 3.0)
PLACEHOLDER_WIDTH_PX = 210
NO_ENCODER_TEXT = ("A GAN has no encoder: real images have no place in its noise space.\n"
                   "Drag the probe through this slice of it.")


class SelectViewBox(pg.ViewBox):
    """A ViewBox whose left-drag draws a box or a lasso when the selection tool is active."""

    selected = Signal(object, bool)  # polygon (K×2 in data coordinates), additive

    def __init__(self) -> None:
        super().__init__()
        self.tool = "pan"
        self._outline = QGraphicsPathItem()
        self.set_outline_colour(QColor(OUTLINE))
        self._outline.setBrush(QColor(70, 130, 220, 40))
        self._outline.setZValue(1e9)
        self._outline.hide()
        self.addItem(self._outline, ignoreBounds=True)
        self._trace: list[QPointF] = []

    def set_outline_colour(self, colour: QColor) -> None:
        pen = QPen(colour, 0)
        pen.setStyle(Qt.PenStyle.DashLine)
        self._outline.setPen(pen)

    def mouseDragEvent(self, ev, axis=None) -> None:
        if self.tool == "pan" or ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        here = self.mapToView(ev.pos())
        if ev.isStart():
            self._trace = [self.mapToView(ev.buttonDownPos())]
        if self.tool == "lasso":
            self._trace.append(here)
            polygon = self._trace
        else:
            a = self._trace[0]
            polygon = [a, QPointF(here.x(), a.y()), here, QPointF(a.x(), here.y())]
        path = QPainterPath(polygon[0])
        for p in polygon[1:]:
            path.lineTo(p)
        path.closeSubpath()
        self._outline.setPath(path)
        self._outline.show()
        if ev.isFinish():
            self._outline.hide()
            additive = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.selected.emit(np.array([(p.x(), p.y()) for p in polygon]), additive)
            self._trace = []


class Probe(pg.TargetItem):
    """The crosshair one drags to decode; presentation mode sizes it."""

    def set_size(self, size: float) -> None:
        """The crosshair's size in pixels."""
        self.prepareGeometryChange()
        self.scale = size  # TargetItem keeps its size here
        self._shape = None  # its outline is made again at the new size
        self.update()


class MapView(QWidget):
    """Observes one map's state (points, title, probe), the selection, the colours and the
    tool; a probe drag and a selection call the lab's methods."""

    def __init__(self, lab: LatentLab, map_id: str, axis_names: tuple[str, str],
                 parent: QWidget | None = None,
                 empty_text: str = "Train a model to see its latent codes") -> None:
        super().__init__(parent)
        self.lab = lab
        self.map_id = map_id
        self.map = lab.maps[map_id]
        self.empty_text = empty_text
        self._shows: object = None  # what the map last drew: a chosen setup, or None (built in)
        # While training, codes arrive several times a second; redrawing 4×/s looks just as live.
        self._redraw = Throttle(self._draw, REDRAW_MS, self)

        self.axis_names = axis_names
        self.title = ElidedLabel()  # a long method and source name never widens the window
        self.title.setObjectName("mapTitle")
        self.view_box = SelectViewBox()
        self.plot = pg.PlotWidget(viewBox=self.view_box)
        for side, name in zip(("bottom", "left"), axis_names, strict=True):
            self.plot.setLabel(side, name)
            self.plot.getAxis(side).enableAutoSIPrefix(False)  # codes are numbers, not units
        # No grid: grid lines belong to the axis items, so every probe move would repaint them.
        self.plot.setMenuEnabled(False)
        self.look = Look()  # the window's zoom and theme
        self.scatter = PointLayer(size=DOT)
        self.highlight = PointLayer(size=SELECTED_RING, ring=True, density_opacity=0.45)
        self.highlight.setZValue(5)
        # Items labelled by hand: a ring in their label's colour, around the point.
        self.labelled = pg.ScatterPlotItem(pxMode=True, size=LABELLED_RING, brush=None)
        self.labelled.setZValue(4)
        self._ring_pens: dict[int, object] = {}
        self.probe = Probe(size=PROBE, movable=True,
                           pen=pg.mkPen(QColor(0, 0, 0), width=PROBE_PEN),
                           hoverPen=pg.mkPen(QColor(220, 40, 40), width=PROBE_PEN))
        self.probe.setZValue(10)
        self.placeholder = pg.TextItem("", color=PLACEHOLDER, anchor=(0.5, 0.5))
        # Wrapped and centred: a narrow map (three side by side on a projector) shows it whole.
        self.placeholder.setTextWidth(PLACEHOLDER_WIDTH_PX)
        self._placeholder_font = QFont(self.placeholder.textItem.font())  # zoom 1.0's
        self.placeholder.textItem.document().setDefaultTextOption(
            QTextOption(Qt.AlignmentFlag.AlignCenter))
        self.view_box.addItem(self.scatter)
        self.view_box.addItem(self.highlight, ignoreBounds=True)
        self.view_box.addItem(self.labelled, ignoreBounds=True)
        self.view_box.addItem(self.probe, ignoreBounds=True)
        self.view_box.addItem(self.placeholder, ignoreBounds=True)
        self.hover_tile = ImageTile(min_side=32, parent=self.plot)
        self.hover_tile.setFixedSize(HOVER_SIDE_PX, HOVER_SIDE_PX)
        self.hover_tile.setStyleSheet("border: 1px solid #444;")
        self.hover_tile.hide()
        self.hover_caption = QLabel(self.plot)
        self.hover_caption.setObjectName("hoverCaption")
        self.hover_caption.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.plot, 1)

        self.view_box.selected.connect(self._on_region_selected)
        self.probe.sigPositionChanged.connect(self._on_probe_dragged)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.map.changed.connect(self._redraw)
        lab.data.changed.connect(self._on_dataset_changed)
        lab.selection.changed.connect(self._on_selection_changed)
        self.map.probe_moved.connect(self._on_probe_moved)
        lab.selection.tool_changed.connect(self._on_tool_changed)
        lab.colouring.changed.connect(self._colour_points)
        lab.semisup.labels_changed.connect(self._on_labels_changed)
        self._on_tool_changed(lab.selection.tool)
        self._draw()

    # -------------------------------------------------------------- observers
    @property
    def coords(self) -> np.ndarray | None:
        return self.map.coords

    def _on_dataset_changed(self) -> None:
        self.view_box.enableAutoRange()
        self._label_axes()

    def _label_axes(self) -> None:
        """A chosen projection names its axes after its method; built-in maps keep theirs."""
        fit = self.map.fit
        dataset = self.lab.data.dataset
        names = self.axis_names
        if fit is not None:
            method = fit.projection.spec.method
            names = ("z₁", "z₂") if method == "codes" else tuple(
                f"{METHOD_NAMES.get(method, method).replace('PCA', 'PC')} {i}" for i in (1, 2))
        elif self.map_id == PIXELS and dataset is not None and dataset.kind == "text":
            names = ("LSA 1", "LSA 2")  # the text baseline: truncated SVD of TF-IDF
        for side, name in zip(("bottom", "left"), names, strict=True):
            self.plot.setLabel(side, name)

    def _draw(self) -> None:
        self.title.setText(self.map.title)
        fit = self.map.fit
        shows = fit.setup if fit is not None else None  # the chosen setup, or the built-in view
        if shows != self._shows:
            self._shows = shows
            self._label_axes()
            self.view_box.enableAutoRange()  # another projection: fit it in view
        coords = self.coords
        if coords is None:
            self.scatter.clear()
            self.highlight.clear()
            self.labelled.clear()
            self.probe.hide()
            self.placeholder.setText(self.empty_text)
            self.placeholder.setPos(0, 0)
            self.placeholder.show()
            self.view_box.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0)
            self.view_box.enableAutoRange()  # fit the codes as soon as they arrive
            return
        if len(coords) == 0:
            # A GAN has no encoder: nothing real to place, only the probe moving through noise.
            self.placeholder.setText(NO_ENCODER_TEXT)
            self.placeholder.setPos(0, 2.6)
            self.placeholder.show()
            self.view_box.setRange(xRange=NOISE_RANGE, yRange=NOISE_RANGE, padding=0.05)
        else:
            self.placeholder.hide()
        self._colour_points()
        self._on_selection_changed()
        self._on_labels_changed()
        self.probe.show()
        self._on_probe_moved()

    def _colour_points(self) -> None:
        coords = self.coords
        if coords is None:
            return
        if len(coords) == 0:
            self.scatter.clear()
            return
        colouring = self.lab.colouring
        classes, _ = colouring.point_classes()
        beneath = colouring.beneath
        if classes is not None and beneath is not None:
            # Points are painted in order: the many unpredicted ones first, under the others.
            order = np.argsort(classes != beneath, kind="stable")
            coords, classes = coords[order], classes[order]
        self.scatter.set_points(coords, classes, palette_colours(colouring.palette))

    def _on_selection_changed(self) -> None:
        coords = self.coords
        if coords is None or len(self.lab.selection.items) == 0:
            self.highlight.clear()
            return
        items = self.lab.selection.items
        ring = HC_TEXT if self.look.high_contrast else SELECTED  # seen on either background
        self.highlight.set_points(coords[items], np.zeros(len(items), np.int32), (ring,))

    def _on_labels_changed(self) -> None:
        coords = self.coords
        positions, labels = self.lab.semisup.labelled_points()
        if coords is None or len(coords) == 0 or len(positions) == 0:
            self.labelled.clear()
            return
        pens = [self._ring_pen(int(label)) for label in labels]
        self.labelled.setData(pos=coords[positions], pen=pens)

    def _ring_pen(self, label: int):
        if label not in self._ring_pens:
            self._ring_pens[label] = pg.mkPen(class_colour(label), width=self.look.line(RING_PEN))
        return self._ring_pens[label]

    def set_look(self, look: Look) -> None:
        """Dots, rings, the probe, the placeholder and the hover picture at ``look``'s zoom
        and in its theme (the plot's axes and background are the workspace's to style)."""
        self.look = look
        self.scatter.set_size(look.size(DOT))
        self.highlight.set_size(look.size(SELECTED_RING))
        self.labelled.setSize(look.size(LABELLED_RING))
        self._ring_pens.clear()
        self._on_labels_changed()
        probe = self.probe
        probe.setPen(pg.mkPen(look.colour(QColor(0, 0, 0), HC_ACCENT), width=look.line(PROBE_PEN)))
        probe.setHoverPen(pg.mkPen(QColor(220, 40, 40), width=look.line(PROBE_PEN)))
        probe.set_size(look.size(PROBE))
        self.placeholder.setColor(look.colour(QColor(*PLACEHOLDER), HC_TEXT))
        font = look.font()
        self.placeholder.setFont(font if font is not None else self._placeholder_font)
        self.placeholder.setTextWidth(look.size(PLACEHOLDER_WIDTH_PX))
        side = round(look.size(HOVER_SIDE_PX))
        self.hover_tile.setFixedSize(side, side)
        self.view_box.set_outline_colour(look.colour(OUTLINE, HC_TEXT))
        self._on_selection_changed()

    def _on_probe_moved(self) -> None:
        # The item echoes the move back through sigPositionChanged; the lab ignores a probe
        # set where it already is.
        x, y = self.map.probe
        self.probe.setPos(float(x), float(y))

    def _on_tool_changed(self, tool: str) -> None:
        self.view_box.tool = tool

    # ----------------------------------------------------------- interaction
    def _on_probe_dragged(self) -> None:
        pos = self.probe.pos()
        self.lab.maps.set_probe(self.map_id, (pos.x(), pos.y()))

    def _on_region_selected(self, polygon: np.ndarray, additive: bool) -> None:
        coords = self.coords
        if coords is None:
            return
        index = self.map.ready_index()  # None while a big map's is being built
        if len(polygon) == 4 and self.view_box.tool == "box":
            inside = points_in_box(coords, polygon[0], polygon[2])
        elif index is not None:
            inside = index.in_polygon(polygon)
        else:
            inside = points_in_polygon(coords, polygon)
        chosen = np.flatnonzero(inside)
        if additive:
            chosen = np.union1d(self.lab.selection.items, chosen)
        self.lab.selection.select(chosen)

    def nearest_point(self, x: float, y: float) -> int | None:
        """The map point under (x, y) in data coordinates, within HOVER_RADIUS_PX on screen."""
        index = self.map.ready_index()  # built once per map's points
        if index is None:
            return None
        candidates = index.nearest((x, y), 8)[0][0]
        coords = index.coords
        px_w, px_h = self.view_box.viewPixelSize()
        delta = (coords[candidates] - (x, y)) / (max(px_w, 1e-12), max(px_h, 1e-12))
        dist = np.hypot(delta[:, 0], delta[:, 1])
        best = int(np.argmin(dist))
        return int(candidates[best]) if dist[best] <= HOVER_RADIUS_PX else None

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        dataset = self.lab.data.dataset
        # No previews while dragging (the probe, a lasso): they would hide what the drag shows.
        scene = self.plot.scene()
        dragging = bool(scene.dragButtons or scene.clickEvents)  # a button is held down
        if dataset is None or dragging or not self.view_box.sceneBoundingRect().contains(scene_pos):
            self._hide_hover()
            return
        view_pos = self.view_box.mapSceneToView(scene_pos)
        position = self.nearest_point(view_pos.x(), view_pos.y())
        if position is None:
            self._hide_hover()
            return
        item = int(self.lab.data.map_indices[position])
        label = ""
        if dataset.labels is not None:
            label = f" · class {dataset.class_names[dataset.labels[item]]}"
        split = "test" if dataset.is_test[item] else "train"
        heading = f"#{item}{label} · {split}"
        text = dataset.kind == "text"
        if text:  # a document shows its first lines, not a picture of its word vector
            self.hover_caption.setWordWrap(True)
            self.hover_caption.setFixedWidth(SNIPPET_WIDTH_PX)
            self.hover_caption.setText(f"{heading}\n{document_snippet(dataset, item)}")
        else:
            self.hover_tile.set_image(dataset.images(item))
            self.hover_caption.setWordWrap(False)
            self.hover_caption.setMinimumWidth(0)
            self.hover_caption.setMaximumWidth(16_777_215)
            self.hover_caption.setText(heading)
        self.hover_caption.adjustSize()
        tile = 0 if text else HOVER_SIDE_PX
        width = max(tile, self.hover_caption.width())
        height = tile + self.hover_caption.height()
        widget_pos = self.plot.mapFromScene(scene_pos)
        x = widget_pos.x() + 14
        y = widget_pos.y() + 14
        if x + width > self.plot.width():
            x = max(0, widget_pos.x() - 14 - width)
        if y + height > self.plot.height():
            y = max(0, widget_pos.y() - 14 - height)
        self.hover_tile.move(int(x), int(y))
        self.hover_caption.move(int(x), int(y) + tile)
        self.hover_tile.setVisible(not text)
        self.hover_caption.show()
        self.hover_tile.raise_()
        self.hover_caption.raise_()

    def _hide_hover(self) -> None:
        self.hover_tile.hide()
        self.hover_caption.hide()

    def leaveEvent(self, event) -> None:
        self._hide_hover()
        super().leaveEvent(event)
