"""The GAN dynamics workspace in the window: switch to it, play, pause, layers drawn."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt

from latentlab.core.gan2d import Gan2dConfig
from latentlab.qt.widgets.gan2d_plane import STROKE_SPREAD, STROKE_STEP
from latentlab.qt.workspaces.gan_dynamics import GanDynamicsWorkspace
from tests.qt.conftest import send_mouse, shown_window

SMALL = Gan2dConfig(g_hidden=(32, 32), d_hidden=(32, 32), batch_size=64)


@pytest.fixture
def gan_window(qtbot):
    win = shown_window(qtbot, 1300)
    workspace = next(w for w in win.workspaces if isinstance(w, GanDynamicsWorkspace))
    win.show_workspace(workspace)
    yield win, workspace
    win.close()


def test_play_pause_and_every_layer_is_drawn(qtbot, gan_window) -> None:
    win, ws = gan_window
    lab = ws.lab
    assert win.pages.currentWidget() is ws.central and ws.toolbars[0].isVisible()
    lab.set_config("A", SMALL)
    lab.set_side_by_side(True, SMALL)
    assert ws.planes["B"].isVisible()
    lab.set_speed(20)
    with qtbot.waitSignal(lab.playing_changed, timeout=5000):
        ws.play_action.trigger()
    assert ws.play_action.text() == "Pause"
    qtbot.waitUntil(lambda: lab.runs["A"].step >= 300, timeout=15_000)
    with qtbot.waitSignal(lab.playing_changed, timeout=5000):
        ws.play_action.trigger()
    assert not lab.playing and ws.play_action.text() == "Play"
    assert lab.runs["A"].step == lab.runs["B"].step
    qtbot.waitUntil(lambda: ws.planes["A"].frames_drawn > 3, timeout=5000)
    plane = ws.planes["A"]
    qtbot.wait(100)  # the throttled redraw of the last frame
    assert plane.heatmap.image is not None and plane.heatmap.image.shape == (72, 72)
    assert len(plane.fake.data) == 500 and len(plane.real.data) == len(lab.data.points)
    assert plane.arrows.xData is not None and len(plane.arrows.xData) == 300
    assert plane.grid.xData is not None and len(plane.grid.xData) > 0
    assert "Run A" in plane.title.text() and "modes" in plane.title.text()
    assert ws.metrics.item(0, 0).text().endswith("/ 8")
    ws.layer_actions["arrows"].trigger()
    assert not plane.arrows.isVisible() and not lab.layers["arrows"]
    ws.step_d.trigger()
    assert lab.runs["A"].step == lab.runs["B"].step and np.isnan(lab.runs["A"].g_losses[-1])


def test_drawing_data_by_clicking_and_dragging(qtbot, gan_window) -> None:
    _win, ws = gan_window
    lab = ws.lab
    errors = []
    lab.notes.error.connect(lambda _t, text, _d: errors.append(text))
    ws.draw_action.trigger()
    assert lab.drawing and ws.draw_action.text() == "Train on drawing"
    plane = ws.planes["A"]
    viewport, left = plane.plot.viewport(), Qt.MouseButton.LeftButton

    def at(x: float, y: float) -> QPoint:
        return plane.plot.mapFromScene(plane.view_box.mapViewToScene(QPointF(x, y)))

    send_mouse(viewport, QEvent.Type.MouseButtonPress, at(0.5, 0.5), left)
    send_mouse(viewport, QEvent.Type.MouseButtonRelease, at(0.5, 0.5), Qt.MouseButton.NoButton)
    assert len(lab.drawn) == 8  # a click: a small cloud
    assert np.abs(lab.drawn.mean(axis=0) - 0.5).max() < 0.2
    ws.draw_action.trigger()  # eight points: refused, still drawing
    assert lab.drawing and ws.draw_action.isChecked() and "Drawn points" in errors[-1]
    # A drag from (-1, -1) to (1, -1): points all along the stroke, none left behind.
    send_mouse(viewport, QEvent.Type.MouseButtonPress, at(-1, -1), left)
    for x in np.linspace(-1, 1, 5)[1:]:
        send_mouse(viewport, QEvent.Type.MouseMove, at(float(x), -1), left)
    send_mouse(viewport, QEvent.Type.MouseButtonRelease, at(1, -1), Qt.MouseButton.NoButton)
    stroke = lab.drawn[16:]
    width = lab.bounds[0][1] - lab.bounds[0][0]
    assert len(stroke) >= 2 / (STROKE_STEP * width) - 2
    step, spread = STROKE_STEP * width, STROKE_SPREAD * width
    assert np.abs(stroke[:, 1] + 1).max() < 5 * spread
    assert stroke[:, 0].min() < -1 + step + 5 * spread and stroke[:, 0].max() > 1 - 2 * step
    assert np.diff(np.sort(stroke[:, 0])).max() < step + 10 * spread
    send_mouse(viewport, QEvent.Type.MouseMove, at(0, 1), Qt.MouseButton.NoButton)
    drawn = len(lab.drawn)  # moving without the button draws nothing
    assert drawn == 8 + 8 + len(stroke)
    ws.draw_action.trigger()
    assert not lab.drawing and lab.data.name == "drawn" and len(lab.data.points) == drawn


def test_dirac_gan_tab_draws_field_and_trajectory(qtbot, gan_window) -> None:
    _win, ws = gan_window
    ws.tabs.setCurrentWidget(ws.dirac)
    view, dirac = ws.dirac, ws.dirac_lab
    assert view.isVisible() and not ws.settings.isVisible()
    assert view.field.xData is not None and len(view.field.xData) == 2 * len(dirac.grid)
    assert len(view.path.xData) == dirac.settings.steps + 1
    drawn = view.paths_drawn
    view.gamma.setValue(1.0)
    view.gamma.editingFinished.emit()
    assert dirac.settings.gamma == 1.0 and view.paths_drawn > drawn
    assert np.linalg.norm(view.path.getData()[0][-1:]) < 0.1
    event = type("Click", (), {"button": lambda self: Qt.MouseButton.LeftButton,
                               "scenePos": lambda self: view.view_box.mapViewToScene(
                                   QPointF(-1.0, 0.5))})()
    view._on_click(event)
    assert np.allclose(dirac.start, (-1.0, 0.5), atol=0.05)
    assert np.allclose(view.path.getData()[0][0], dirac.start[0])
    assert "distance to the equilibrium" in view.summary.text()
