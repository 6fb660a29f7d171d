"""A widget that paints one image array crisply (nearest-neighbour), keeping its aspect ratio."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget


def to_qimage(image: np.ndarray) -> QImage:
    """C×H×W floats in [0, 1] (C = 1 or 3) → a QImage that owns a copy of the pixels."""
    arr = np.clip(np.nan_to_num(image), 0.0, 1.0)
    arr = (arr * 255 + 0.5).astype(np.uint8)
    c, h, w = arr.shape
    if c == 1:
        buf = np.ascontiguousarray(arr[0])
        return QImage(buf.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    buf = np.ascontiguousarray(arr[:3].transpose(1, 2, 0))
    return QImage(buf.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class ImageTile(QWidget):
    """Shows an image, or a short hint when there is none. Counts paints for latency checks."""

    def __init__(self, hint: str = "", min_side: int = 64, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._array: np.ndarray | None = None
        self.hint = hint
        self.paint_count = 0
        self._min_side = min_side
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def sizeHint(self) -> QSize:
        return QSize(2 * self._min_side, 2 * self._min_side)

    def minimumSizeHint(self) -> QSize:
        return QSize(self._min_side, self._min_side)

    @property
    def array(self) -> np.ndarray | None:
        """The last image shown, as given."""
        return self._array

    def set_image(self, image: np.ndarray | None) -> None:
        self._array = image
        self._image = None if image is None else to_qimage(image)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        if self._image is None:
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.hint)
        else:
            w, h = self._image.width(), self._image.height()
            scale = min(self.width() / w, self.height() / h)
            target = QRectF((self.width() - w * scale) / 2, (self.height() - h * scale) / 2,
                            w * scale, h * scale)
            painter.drawImage(target, self._image)  # no smooth transform: pixels stay pixels
        painter.end()
        self.paint_count += 1
