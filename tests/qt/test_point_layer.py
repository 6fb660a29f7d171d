"""PointLayer paints every point as a round dot of its class colour, in view or not at all."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage, QPainter, QTransform

from latentlab.qt.widgets.point_layer import _ALPHA, PointLayer

RGB = ("#ff0000", "#00a000", "#0000ff")
SCALE = 20.0  # pixels per data unit in these pictures


class _Screen:
    """Stands in for the widget paint() is handed: only its pixel ratio is asked."""

    def __init__(self, dpr: float) -> None:
        self.dpr = dpr

    def devicePixelRatioF(self) -> float:
        return self.dpr


def render(layer: PointLayer, width: int, height: int, dpr: float = 1.0) -> np.ndarray:
    """The layer painted on white, data (0, 0) at the top-left, SCALE px a unit: H×W×RGBA."""
    image = QImage(int(width * dpr), int(height * dpr), QImage.Format.Format_RGBA8888)
    image.setDevicePixelRatio(dpr)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setTransform(QTransform.fromScale(SCALE, SCALE))
    layer.paint(painter, None, _Screen(dpr) if dpr != 1.0 else None)
    painter.end()
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1)
    return rows[:, :image.width() * 4].reshape(image.height(), image.width(), 4).copy()


def expected(name: str) -> np.ndarray:
    """A dot's opaque middle: its colour at alpha _ALPHA over white."""
    colour = QColor(name)
    rgb = np.array([colour.red(), colour.green(), colour.blue()], float)
    return rgb * _ALPHA / 255 + 255 * (1 - _ALPHA / 255)


def colour_at(picture: np.ndarray, x: float, y: float, dpr: float = 1.0) -> np.ndarray:
    return picture[int(y * SCALE * dpr), int(x * SCALE * dpr), :3].astype(float)


def test_each_point_is_drawn_in_its_class_colour(qtbot) -> None:
    layer = PointLayer(size=6)
    pos = np.array([[1.0, 1.0], [3.0, 1.0], [5.0, 1.0], [1.0, 3.0], [3.0, 3.0]])
    layer.set_points(pos, np.array([0, 1, 2, 4, 5]), RGB)  # classes wrap around the colours
    picture = render(layer, 120, 80)
    for (x, y), name in zip(pos, ("#ff0000", "#00a000", "#0000ff", "#00a000", "#0000ff"),
                            strict=True):
        np.testing.assert_allclose(colour_at(picture, x, y), expected(name), atol=2)
    assert (picture[int(2 * SCALE), int(2 * SCALE), :3] == 255).all()  # between dots: white


def test_new_classes_for_as_many_points_recolour_them(qtbot) -> None:
    layer = PointLayer(size=6)
    pos = np.array([[1.0, 1.0], [3.0, 1.0]])
    layer.set_points(pos, np.array([0, 1]), RGB)
    render(layer, 80, 40)
    layer.set_points(pos, np.array([2, 0]), RGB)  # same count: fragments reused, recoloured
    picture = render(layer, 80, 40)
    np.testing.assert_allclose(colour_at(picture, 1, 1), expected("#0000ff"), atol=2)
    np.testing.assert_allclose(colour_at(picture, 3, 1), expected("#ff0000"), atol=2)
    layer.set_points(pos[1:], None, RGB)  # fewer points, no classes: one colour, new atlas
    picture = render(layer, 80, 40)
    assert (picture[int(SCALE), int(SCALE), :3] == 255).all()
    np.testing.assert_allclose(colour_at(picture, 3, 1), expected(layer.colours[0]), atol=2)


def test_zoomed_in_only_points_in_view_are_drawn_and_look_the_same(qtbot) -> None:
    rng = np.random.default_rng(0)
    pos = rng.uniform(0.2, 9.8, (400, 2))
    layer = PointLayer(size=6)
    layer.set_points(pos, rng.integers(0, 3, 400), RGB)
    whole = render(layer, 200, 200)  # every point in view: all drawn, none culled
    assert len(layer._visible) == 0
    part = render(layer, 90, 110)  # a corner: the rest is culled
    centres = pos * SCALE
    near = (centres[:, 0] < 90 + layer.size) & (centres[:, 1] < 110 + layer.size)
    assert 0 < len(layer._visible) == int(near.sum()) < len(pos)
    np.testing.assert_array_equal(part, whole[:110, :90])


def test_points_far_away_or_not_a_number_are_skipped(qtbot) -> None:
    layer = PointLayer(size=6)
    pos = np.array([[1.0, 1.0], [np.nan, 1.0], [1e12, -1e300], [np.inf, 2.0]])
    layer.set_points(pos, np.array([0, 1, 1, 1]), RGB)
    picture = render(layer, 60, 60)
    assert len(layer._visible) == 1
    np.testing.assert_allclose(colour_at(picture, 1, 1), expected("#ff0000"), atol=2)
    rgb = picture[..., :3].astype(int)
    assert not (rgb[..., 1] > rgb[..., 0] + 5).any()  # no green dot anywhere


@pytest.mark.parametrize("dpr", [1.0, 2.0])
def test_dots_are_as_wide_in_logical_pixels_at_any_pixel_ratio(qtbot, dpr: float) -> None:
    layer = PointLayer(size=6)
    layer.set_points(np.array([[2.0, 2.0]]), np.array([2]), RGB)
    picture = render(layer, 80, 80, dpr)
    np.testing.assert_allclose(colour_at(picture, 2, 2, dpr), expected("#0000ff"), atol=2)
    row = picture[int(2 * SCALE * dpr), :, :3].astype(int)
    inked = np.flatnonzero(row[:, 0] < 200)  # where the blue dot is (white elsewhere)
    width = (inked.max() - inked.min() + 1) / dpr
    assert layer.size - 1 <= width <= layer.size + 1


def test_many_points_are_painted_as_their_density_in_class_colours(qtbot, monkeypatch) -> None:
    import latentlab.qt.widgets.point_layer as point_layer

    monkeypatch.setattr(point_layer, "DENSITY_POINTS", 1000)
    rng = np.random.default_rng(0)
    red = rng.normal((2.0, 2.0), 0.3, (3000, 2))
    blue = rng.normal((6.0, 2.0), 0.3, (3000, 2))
    layer = PointLayer(size=6)
    layer.set_points(np.r_[red, blue], np.r_[np.zeros(3000, int), np.full(3000, 2)], RGB)
    picture = render(layer, 160, 80)
    assert layer.painted_density and len(layer._all) == 0  # no dot drawn
    # Dense middles: their class's colour, opaque.
    np.testing.assert_allclose(colour_at(picture, 2, 2), [255, 0, 0], atol=2)
    np.testing.assert_allclose(colour_at(picture, 6, 2), [0, 0, 255], atol=2)
    assert (picture[:, int(4 * SCALE), :3] == 255).all()  # nothing between the two clusters
    layer.set_points(red[:500], np.zeros(500, int), RGB)  # few points: dots again
    render(layer, 160, 80)
    assert not layer.painted_density and len(layer._all) == 500


def test_zoomed_in_on_a_big_map_only_the_points_in_view_get_dots(qtbot, monkeypatch) -> None:
    import latentlab.qt.widgets.point_layer as point_layer

    monkeypatch.setattr(point_layer, "DENSITY_POINTS", 1000)
    rng = np.random.default_rng(1)
    pos = rng.uniform(0.0, 100.0, (4000, 2))  # 5 × 5 units of it in view: about ten points
    classes = rng.integers(0, 3, 4000)
    layer = PointLayer(size=6)
    layer.set_points(pos, classes, RGB)
    picture = render(layer, 100, 100)
    assert not layer.painted_density and len(layer._all) == 0
    near = (pos[:, 0] < 5 + 6 / SCALE) & (pos[:, 1] < 5 + 6 / SCALE)
    assert len(layer._visible) == int(near.sum()) > 0
    inside = np.flatnonzero((pos[:, 0] > 0.3) & (pos[:, 0] < 4.7) & (pos[:, 1] > 0.3)
                            & (pos[:, 1] < 4.7))
    alone = [i for i in inside if np.hypot(*(np.delete(pos, i, 0) - pos[i]).T).min() * SCALE > 6]
    assert alone  # each dot with no other over it shows its class colour
    for i in alone:
        np.testing.assert_allclose(colour_at(picture, *pos[i]), expected(RGB[classes[i]]), atol=2)
