"""The image-translation workspace in the window: train a tiny epoch, the grid drawn, a mouse
drag on the pad inks the canvas and changes the generator's output."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
import torch
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from latentlab.lab.translation_data import load_translation_data
from latentlab.qt.workspaces.translation import TranslationWorkspace
from tests.qt.conftest import send_mouse, shown_window


@pytest.fixture
def translation_window(qtbot):
    torch.set_num_threads(1)
    win = shown_window(qtbot, 1300)
    workspace = next(w for w in win.workspaces if isinstance(w, TranslationWorkspace))
    data = load_translation_data("digits")
    # Tiny data: 128 items, one epoch in well under a second.
    workspace.lab._data = dataclasses.replace(data, x=data.x[:128], labels=data.labels[:128],
                                              is_test=data.is_test[:128])
    win.show_workspace(workspace)
    yield win, workspace
    win.close()


def test_train_then_draw_on_the_pad(qtbot, translation_window) -> None:
    win, ws = translation_window
    lab = ws.lab
    assert win.pages.currentWidget() is ws.central
    view = next(a for a in win.menuBar().actions() if a.text() == "&View").menu()
    entry = next(a for a in view.actions() if a.text() == "Image translation")
    assert entry.shortcut().toString() == "Ctrl+3"
    ws.epochs.setValue(1)
    assert lab.epochs == 1
    with qtbot.waitSignal(lab.training_changed, timeout=60_000,
                          check_params_cb=lambda on: not on):
        ws.train_button.click()
    assert not lab.training and ws.train_button.isEnabled() and not ws.stop_button.isEnabled()
    assert ws.progress.value() == ws.progress.maximum() > 0
    grid = ws.grid.array
    assert grid is not None and grid.shape == (1, 8 * 29 - 1, 3 * 29 - 1)
    assert "held-out L1" in ws.score.text()
    qtbot.waitUntil(lambda: ws.grid.paint_count > 0, timeout=5000)

    canvas, output = lab.canvas.copy(), ws.output.array.copy()
    pad, left = ws.pad, Qt.MouseButton.LeftButton

    def at(x: float, y: float) -> QPoint:  # canvas pixels → pad widget position
        rect = pad._image_rect()
        return QPointF(rect.x() + x / 28 * rect.width(),
                       rect.y() + y / 28 * rect.height()).toPoint()

    send_mouse(pad, QEvent.Type.MouseButtonPress, at(8, 8), left)
    for x, y in ((12, 10), (16, 14), (18, 20)):
        send_mouse(pad, QEvent.Type.MouseMove, at(x, y), left)
    send_mouse(pad, QEvent.Type.MouseButtonRelease, at(18, 20), Qt.MouseButton.NoButton)
    assert lab.canvas[8, 8] > 0.5 and lab.canvas[20, 18] > 0.5 and lab.canvas[25, 2] == 0
    assert (lab.canvas != canvas).sum() > 10
    np.testing.assert_array_equal(pad.array[0], lab.canvas)
    assert not np.allclose(ws.output.array, output)
    right = Qt.MouseButton.RightButton
    QApplication.sendEvent(pad, QMouseEvent(QEvent.Type.MouseButtonPress, QPointF(at(5, 5)),
                                            QPointF(pad.mapToGlobal(at(5, 5))), right, right,
                                            Qt.KeyboardModifier.NoModifier))
    assert not lab.canvas.any()


def test_escape_stops_training_keeping_the_weights(qtbot, translation_window) -> None:
    _win, ws = translation_window
    lab = ws.lab
    ws.epochs.setValue(50)
    ws.train_button.click()
    qtbot.waitUntil(lambda: lab.progress[0] > 0, timeout=30_000)
    started = time.perf_counter()
    with qtbot.waitSignal(lab.training_changed, timeout=30_000):
        qtbot.keyClick(ws.pad, Qt.Key.Key_Escape)
    assert time.perf_counter() - started < 10
    assert lab.model is not None and lab.frame is not None and lab.epoch < 50
    assert lab.pad_problem == "" and lab.output is not None
