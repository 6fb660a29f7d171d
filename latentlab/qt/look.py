"""How large and in which colours the window draws: one zoom factor for every text, marker and
line, and a high-contrast theme for a projector.

The window's presentation controller owns the look and hands it to each workspace
(``Workspace.set_zoom`` / ``set_high_contrast``), which hands it to its widgets' ``set_look``;
widgets never ask each other. At zoom 1.0 without high contrast every helper here gives back
exactly what the widgets drew before (``Look()`` is today's look).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from weakref import WeakKeyDictionary

import pyqtgraph as pg
from PySide6.QtGui import QBrush, QColor, QFont, QPalette, QPen
from PySide6.QtWidgets import QApplication, QWidget

HC_BACKGROUND = "#000000"
HC_TEXT = "#ffffff"
HC_ACCENT = "#ffeb3b"  # yellow: titles, the probe, what must stand out
#: High contrast draws lines this much thicker.
HC_LINE = 1.5

_base_font: QFont | None = None


def base_font() -> QFont:
    """The application's font before any zoom (taken the first time this is asked)."""
    global _base_font
    if _base_font is None:
        _base_font = QFont(QApplication.font())
    return QFont(_base_font)


@dataclass(frozen=True)
class Look:
    zoom: float = 1.0
    high_contrast: bool = False

    def size(self, pixels: float) -> float:
        """A marker's or a picture's size at this zoom."""
        return pixels * self.zoom

    def line(self, width: float) -> float:
        """A line's width: zoomed, and thicker in high contrast."""
        return width * self.zoom * (HC_LINE if self.high_contrast else 1.0)

    def points(self, size: float) -> float:
        """A font size (points) at this zoom."""
        return size * self.zoom

    def font(self) -> QFont | None:
        """The application's font at this zoom; None at 1.0 (a widget's own default)."""
        if self.zoom == 1.0:
            return None
        font = base_font()
        font.setPointSizeF(font.pointSizeF() * self.zoom)
        return font

    def colour(self, normal: QColor | str, contrast: str = HC_TEXT) -> QColor:
        return QColor(contrast if self.high_contrast else normal)


_POINTS = re.compile(r"(font-size\s*:\s*)(\d+(?:\.\d+)?)pt")


def scaled_style_sheet(style: str, zoom: float) -> str:
    """``style`` with every ``font-size: Npt`` scaled by ``zoom`` (unchanged at 1.0)."""
    if zoom == 1.0:
        return style
    return _POINTS.sub(lambda m: f"{m.group(1)}{float(m.group(2)) * zoom:g}pt", style)


#: Added to the application's style sheet in high contrast: rules there set colours the
#: palette alone would not override.
HIGH_CONTRAST_STYLE = f"""
QLabel#caption {{ color: {HC_ACCENT}; }}
QLabel#mapTitle, QLabel#panelTitle, QLabel#stepTitle {{ color: {HC_ACCENT}; }}
QLabel#tryThis {{ color: {HC_TEXT}; }}
QFrame#startCard {{ background: {HC_BACKGROUND}; border: 1px solid {HC_TEXT}; }}
QLabel#hoverCaption {{ background: {HC_BACKGROUND}; color: {HC_TEXT};
                      border: 1px solid {HC_TEXT}; }}
QLabel#problems {{ color: {HC_ACCENT}; background: #400000; border: 1px solid {HC_ACCENT}; }}
QToolTip {{ background: {HC_BACKGROUND}; color: {HC_TEXT}; border: 1px solid {HC_TEXT}; }}
"""


def high_contrast_palette() -> QPalette:
    palette = QPalette()
    black, white, yellow = QColor(HC_BACKGROUND), QColor(HC_TEXT), QColor(HC_ACCENT)
    grey = QColor("#9e9e9e")
    role = QPalette.ColorRole
    for r, colour in ((role.Window, black), (role.WindowText, white), (role.Base, black),
                      (role.AlternateBase, QColor("#1a1a1a")), (role.Text, white),
                      (role.Button, QColor("#1a1a1a")), (role.ButtonText, white),
                      (role.BrightText, yellow), (role.Highlight, yellow),
                      (role.HighlightedText, black), (role.ToolTipBase, black),
                      (role.ToolTipText, white), (role.PlaceholderText, grey),
                      (role.Link, yellow), (role.Light, white), (role.Mid, grey),
                      (role.Dark, grey), (role.Shadow, white)):
        palette.setColor(r, colour)
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(disabled, r, grey)
    return palette


# ------------------------------------------------------------------------- plots
_NORMAL_BACKGROUND = "latentlabNormalBackground"
#: Each styled axis's pens and label style before any high contrast or zoom.
_NORMAL_AXES: WeakKeyDictionary[pg.AxisItem, tuple[QPen, QPen, dict[str, str]]] = (
    WeakKeyDictionary())


def style_view(view: pg.GraphicsView, look: Look) -> None:
    """A pyqtgraph view's background and every axis in it: tick font, label size, pens."""
    saved = view.property(_NORMAL_BACKGROUND)
    if look.high_contrast:
        if saved is None:  # what the view had, to give back exactly
            view.setProperty(_NORMAL_BACKGROUND, QBrush(view.backgroundBrush()))
        view.setBackground(HC_BACKGROUND)
    elif saved is not None:
        view.setBackgroundBrush(saved)
        view.setProperty(_NORMAL_BACKGROUND, None)
    for item in view.scene().items():
        if isinstance(item, pg.AxisItem):
            style_axis(item, look)


def style_axis(axis: pg.AxisItem, look: Look) -> None:
    font = look.font()
    axis.setTickFont(font)  # None: the view's font, as before
    normal = _NORMAL_AXES.get(axis)
    if normal is None:  # what the axis had, to give back exactly
        normal = _NORMAL_AXES[axis] = (axis.pen(), axis.textPen(), dict(axis.labelStyle))
    pen, text_pen, style = normal
    style = dict(style) or {"color": text_pen.color().name()}  # never empty: it replaces
    if look.high_contrast:
        axis.setPen(pg.mkPen(HC_TEXT, width=look.line(1)))
        axis.setTextPen(HC_TEXT)
        style["color"] = HC_ACCENT
    else:
        axis.setPen(pen)
        axis.setTextPen(text_pen)
    if font is not None:
        style["font-size"] = f"{font.pointSizeF():g}pt"
    # The same title in the new style (its room is measured again, as the ticks' on paint).
    axis.setLabel(axis.labelText, axis.labelUnits, axis.labelUnitPrefix, **style)


def style_plots(widget: QWidget, look: Look) -> None:
    """Every pyqtgraph view inside ``widget``."""
    for view in widget.findChildren(pg.GraphicsView):
        style_view(view, look)
