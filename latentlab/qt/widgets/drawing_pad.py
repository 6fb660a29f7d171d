"""The image-translation views: the drawing pad (a canvas drawn with the mouse), the
generator's output for it, and the grid of held-out pairs (input | output | target rows).

Each observes the lab and calls its methods; none keeps state of its own beyond the stroke
being drawn.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QWidget

from latentlab.lab.translation import TranslationLab
from latentlab.qt.widgets.image_tile import ImageTile

#: Brush width in canvas pixels (a 28×28 digit's strokes are 2–3 pixels wide).
BRUSH_WIDTH = 2.5
#: The grey between the grid's images.
GAP_VALUE = 0.35


def chw(image: np.ndarray) -> np.ndarray:
    """H×W or H×W×3 → C×H×W, as ImageTile takes it."""
    return image[None] if image.ndim == 2 else image.transpose(2, 0, 1)


def pairs_grid(inputs: np.ndarray, outputs: np.ndarray, targets: np.ndarray,
               gap: int = 1) -> np.ndarray:
    """C×H×W: one row per pair, input | output | target, with thin grey gaps."""
    images = [np.stack([chw(a[i]) for a in (inputs, outputs, targets)])
              for i in range(len(inputs))]
    n, (c, h, w) = len(images), images[0].shape[1:]
    grid = np.full((c, n * (h + gap) - gap, 3 * (w + gap) - gap), GAP_VALUE, dtype=np.float32)
    for row, triple in enumerate(images):
        for col, image in enumerate(triple):
            y, x = row * (h + gap), col * (w + gap)
            grid[:, y : y + h, x : x + w] = image
    return grid


class PairsGrid(ImageTile):
    """The latest frame's held-out pairs."""

    def __init__(self, lab: TranslationLab, parent: QWidget | None = None) -> None:
        super().__init__("Train a model to see it translate held-out images here.", 120, parent)
        self.lab = lab
        lab.frame_changed.connect(self._on_frame)

    def sizeHint(self) -> QSize:
        return QSize(240, 560)

    def _on_frame(self) -> None:
        frame = self.lab.frame
        self.set_image(None if frame is None
                       else pairs_grid(frame.inputs, frame.outputs, frame.targets))


class OutputTile(ImageTile):
    """The generator's translation of the pad's canvas."""

    def __init__(self, lab: TranslationLab, parent: QWidget | None = None) -> None:
        super().__init__("", 160, parent)
        self.lab = lab
        lab.canvas_changed.connect(self._on_canvas)
        self._on_canvas()

    def _on_canvas(self) -> None:
        self.hint = self.lab.pad_problem
        output = self.lab.output
        self.set_image(None if output is None else chw(output))


class DrawingPad(ImageTile):
    """The canvas: drag with the left button to draw, right-click to clear."""

    def __init__(self, lab: TranslationLab, parent: QWidget | None = None) -> None:
        super().__init__("", 160, parent)
        self.lab = lab
        self._last: QPointF | None = None  # the stroke's last point, in canvas pixels
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Drag to draw; right-click to clear")
        lab.canvas_changed.connect(self._on_canvas)
        self._on_canvas()

    def _on_canvas(self) -> None:
        self.hint = self.lab.pad_problem
        canvas = self.lab.canvas
        self.set_image(None if canvas is None else canvas[None])

    def _image_rect(self) -> QRectF | None:
        canvas = self.lab.canvas
        if canvas is None:
            return None
        h, w = canvas.shape
        scale = min(self.width() / w, self.height() / h)
        return QRectF((self.width() - w * scale) / 2, (self.height() - h * scale) / 2,
                      w * scale, h * scale)

    def to_canvas(self, pos: QPointF) -> QPointF | None:
        """A widget position in canvas pixels (x, y), or None without a canvas."""
        rect = self._image_rect()
        if rect is None:
            return None
        h, w = self.lab.canvas.shape
        return QPointF((pos.x() - rect.x()) / rect.width() * w,
                       (pos.y() - rect.y()) / rect.height() * h)

    def _draw_to(self, point: QPointF) -> None:
        start = self._last or point
        self._last = point
        self.lab.stroke(np.array([[start.x(), start.y()], [point.x(), point.y()]]), BRUSH_WIDTH)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.RightButton:
            self.lab.clear()
            return
        point = self.to_canvas(event.position())
        if event.button() == Qt.MouseButton.LeftButton and point is not None:
            self._last = None
            self._draw_to(point)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        point = self.to_canvas(event.position())
        if self._last is not None and point is not None:
            self._draw_to(point)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._last = None
