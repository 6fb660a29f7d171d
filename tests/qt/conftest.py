"""Qt fixtures: a main window on tiny data, mouse helpers, and a guard against leaked threads."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, QThread
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from latentlab.config import ModelConfig, TrainConfig
from latentlab.qt import jobs
from latentlab.qt.main_window import MainWindow
from latentlab.qt.widgets.map_view import MapView


class _RecordedThread(QThread):
    created: ClassVar[list[QThread]] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _RecordedThread.created.append(self)


@pytest.fixture(autouse=True)
def no_thread_left_running(monkeypatch):
    """Every test must leave no training thread running when it ends."""
    monkeypatch.setattr(jobs, "QThread", _RecordedThread)
    _RecordedThread.created = []
    yield
    QApplication.processEvents()
    leaked = []
    for thread in _RecordedThread.created:
        try:
            if thread.isRunning():
                leaked.append(thread)
        except RuntimeError:  # already deleted by Qt: certainly not running
            pass
    for thread in leaked:  # do not abort the whole run: stop them, then fail this test
        thread.quit()
        thread.wait(10_000)
    assert not leaked, f"{len(leaked)} training thread(s) left running"


def shown_window(qtbot, width: int = 1200) -> MainWindow:
    """The main window, shown and exposed (the caller closes it)."""
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(width, 800)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def window(qtbot, tiny_digits):
    win = shown_window(qtbot)
    win.lab.data.set_dataset(tiny_digits)
    yield win
    win.close()


FAST_MODEL = ModelConfig(hidden=(32, 16))


def train_to_end(qtbot, win: MainWindow, model: ModelConfig = FAST_MODEL,
                 train: TrainConfig | None = None) -> None:
    lab = win.lab
    with qtbot.waitSignal(lab.model.finished, timeout=60_000):
        lab.model.start_training(model, train or TrainConfig(epochs=3, snapshot_interval_s=0.02))
    qtbot.waitUntil(lambda: not lab.model.training, timeout=30_000)
    lab.maps.decode_now()
    # Map redraws are throttled: wait for the final codes to be drawn and the view to fit them.
    latent = win.workspace.maps["latent"]
    qtbot.waitUntil(lambda: lab.maps["latent"].coords is not None
                    and len(latent.scatter) == len(lab.maps["latent"].coords), timeout=5000)
    qtbot.wait(300)


def to_viewport(view: MapView, x: float, y: float) -> QPoint:
    scene = view.view_box.mapViewToScene(QPointF(x, y))
    return view.plot.mapFromScene(scene)


def send_mouse(widget, kind: QEvent.Type, pos: QPoint, buttons: Qt.MouseButton,
               modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
    event = QMouseEvent(kind, QPointF(pos), QPointF(widget.mapToGlobal(pos)), button, buttons,
                        modifiers)
    QApplication.sendEvent(widget, event)


MOVE_INTERVAL_MS = int(1000 / pg.getConfigOption("mouseRateLimit")) + 2


def drag(qtbot, view: MapView, path: list[tuple[float, float]],
         modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """Press at the first data point, move through the rest, release at the last."""
    viewport = view.plot.viewport()
    left = Qt.MouseButton.LeftButton
    points = [to_viewport(view, x, y) for x, y in path]
    send_mouse(viewport, QEvent.Type.MouseButtonPress, points[0], left, modifiers)
    for point in points[1:]:
        # pyqtgraph drops mouse moves that come within 1000 / mouseRateLimit (10) ms of the last
        # one; a drag sent faster loses vertices, and a small lasso then selects nothing.
        qtbot.wait(MOVE_INTERVAL_MS)
        send_mouse(viewport, QEvent.Type.MouseMove, point, left, modifiers)
    send_mouse(viewport, QEvent.Type.MouseButtonRelease, points[-1], Qt.MouseButton.NoButton,
               modifiers)
    QApplication.processEvents()


def line(a: np.ndarray, b: np.ndarray, n: int = 8) -> list[tuple[float, float]]:
    return [tuple(a + (b - a) * t) for t in np.linspace(0, 1, n)]
