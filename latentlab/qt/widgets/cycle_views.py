"""The unpaired-translation views: held-out round trips (A → B → A and B → A → B rows), a map
of both domains' items to pick one from, the picked item's round trip, and the cycle and
identity losses as they fall. Each observes the lab and calls its methods."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QWidget

from latentlab.lab.cycle_lab import CycleLab
from latentlab.qt.throttle import Throttle
from latentlab.qt.widgets.drawing_pad import pairs_grid
from latentlab.qt.widgets.image_tile import ImageTile

#: Domain A's and B's colours on the map (and in the headers that name them).
DOMAIN_COLOURS = ("#1f77b4", "#ff7f0e")
CYCLE_COLOUR, IDENTITY_COLOUR = "#2ca02c", "#9467bd"
CURVES_MS = 300


class RoundTrips(ImageTile):
    """The latest frame's rows in one direction: item | translated | back."""

    def __init__(self, lab: CycleLab, direction: str, parent: QWidget | None = None) -> None:
        super().__init__("Train a CycleGAN to see held-out items go there and back.", 90,
                         parent)
        self.lab, self.direction = lab, direction
        lab.frame_changed.connect(self._on_frame)

    def sizeHint(self) -> QSize:
        return QSize(200, 400)

    def _on_frame(self) -> None:
        frame = self.lab.frame
        rows = None if frame is None else (frame.a_rows if self.direction == "a_to_b"
                                           else frame.b_rows)
        self.set_image(None if rows is None else pairs_grid(rows[:, 0], rows[:, 1], rows[:, 2]))


class PickedTile(ImageTile):
    """The item picked on the map, its translation and its way back."""

    def __init__(self, lab: CycleLab, parent: QWidget | None = None) -> None:
        super().__init__("Click an item on the map to translate it.", 60, parent)
        self.lab = lab
        lab.picked_changed.connect(self._on_picked)

    def sizeHint(self) -> QSize:
        return QSize(300, 100)

    def _on_picked(self) -> None:
        picked = self.lab.picked
        if picked is None:
            self.set_image(None)
            return
        images = picked.images
        self.set_image(pairs_grid(images[:1], images[1:2], images[2:3]))


class DomainMapView(pg.PlotWidget):
    """Both domains' items on the first two principal axes of their pixels; a click picks the
    nearest item (``CycleLab.pick``), which is ringed."""

    def __init__(self, lab: CycleLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.setMenuEnabled(False)
        self.setBackground("w")
        self.showGrid(x=True, y=True, alpha=0.15)
        legend = self.addLegend(offset=(8, 4), labelTextSize="8pt",
                                brush=pg.mkBrush(255, 255, 255, 200))
        legend.setLabelTextColor("#333")
        self.points = [pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(colour),
                                          name=f"domain {side}")
                       for side, colour in zip("AB", DOMAIN_COLOURS, strict=True)]
        for item in self.points:
            self.addItem(item)
        self.ring = pg.ScatterPlotItem(size=14, pen=pg.mkPen("#000", width=2), brush=None)
        self.addItem(self.ring)
        self.scene().sigMouseClicked.connect(self._on_click)
        lab.data_changed.connect(self._on_data)
        lab.picked_changed.connect(self._on_picked)
        self._on_data()

    def _on_data(self) -> None:
        domains = self.lab.map
        self.setTitle("" if domains is None else
                      f"PCA of both domains' pixels · {domains.variance:.0%} of variance",
                      size="9pt")
        for domain, item in enumerate(self.points):
            coords = (np.zeros((0, 2)) if domains is None
                      else domains.coords[domains.domains == domain])
            item.setData(pos=coords)
        self.ring.setData(pos=np.zeros((0, 2)))

    def _on_picked(self) -> None:
        domains, picked = self.lab.map, self.lab.picked
        if domains is None or picked is None:
            self.ring.setData(pos=np.zeros((0, 2)))
            return
        where = np.flatnonzero(domains.rows == picked.index)
        self.ring.setData(pos=domains.coords[where])

    def _on_click(self, event: object) -> None:
        domains = self.lab.map
        if domains is None or len(domains.coords) == 0:
            return
        scene_pos = event.scenePos()  # type: ignore[attr-defined]
        if not self.plotItem.vb.sceneBoundingRect().contains(scene_pos):
            return
        point = self.plotItem.vb.mapSceneToView(scene_pos)
        self.pick_nearest(point.x(), point.y())

    def pick_nearest(self, x: float, y: float) -> None:
        """Pick the map's item nearest to (x, y) in view coordinates, scaled by the view."""
        domains = self.lab.map
        if domains is None:
            return
        (x0, x1), (y0, y1) = self.plotItem.vb.viewRange()
        scale = np.array([max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)])
        distance = (((domains.coords - (x, y)) / scale) ** 2).sum(1)
        self.lab.pick(int(domains.rows[int(np.argmin(distance))]))


class CycleCurves(pg.PlotWidget):
    """The cycle and identity losses (L1 per pixel, running means of the training batches)."""

    def __init__(self, lab: CycleLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.setMenuEnabled(False)
        self.setBackground("w")
        self.showGrid(x=True, y=True, alpha=0.2)
        self.setLabel("bottom", "epoch")
        self.setLabel("left", "L1 per pixel")
        self.getAxis("left").enableAutoSIPrefix(False)
        legend = self.addLegend(offset=(-8, 4), labelTextSize="8pt",
                                brush=pg.mkBrush(255, 255, 255, 200))
        legend.setLabelTextColor("#333")
        self.curves = {
            "cycle": self.plot([], [], pen=pg.mkPen(CYCLE_COLOUR, width=2), name="cycle"),
            "identity": self.plot([], [], pen=pg.mkPen(IDENTITY_COLOUR, width=2),
                                  name="identity"),
        }
        self._redraw = Throttle(self._draw, CURVES_MS, self)
        lab.progress_changed.connect(self._redraw)
        self._draw()

    def _draw(self) -> None:
        curves = self.lab.curves
        x = np.asarray(curves.get("epoch", ()), dtype=np.float64)
        self.setTitle("" if len(x) else "The cycle and identity losses appear while a model "
                      "trains", size="9pt", color="#666")
        for name, item in self.curves.items():
            y = np.asarray(curves.get(name, ()), dtype=np.float64)
            item.setData(x[: len(y)], y)


__all__ = ["CycleCurves", "DomainMapView", "PickedTile", "RoundTrips"]
