"""The image-translation workspace in the window: train a tiny epoch, the grid drawn, a mouse
drag on the pad inks the canvas and changes the generator's output; the user's own pairs
opened, trained on and left again; File → Open sending a pix2pix checkpoint here."""

from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np
import pytest
import torch
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.files.checkpoint import CheckpointMeta, save_checkpoint
from latentlab.core.models import build_model
from latentlab.lab import file_reads
from latentlab.lab.translation_data import PAIRS, load_translation_data
from latentlab.qt.workspaces.latent_maps import LatentMapsWorkspace
from latentlab.qt.workspaces.translation import TranslationWorkspace
from tests.lab.test_translation_pairs import pair_folder, write_png
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
    ws.controls.epochs.setValue(1)
    assert lab.epochs == 1
    with qtbot.waitSignal(lab.training_changed, timeout=60_000,
                          check_params_cb=lambda on: not on):
        ws.controls.train_button.click()
    controls = ws.controls
    assert not lab.training and controls.train_button.isEnabled()
    assert not controls.stop_button.isEnabled()
    assert ws.controls.progress.value() == ws.controls.progress.maximum() > 0
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
    ws.controls.epochs.setValue(50)
    ws.controls.train_button.click()
    qtbot.waitUntil(lambda: lab.progress[0] > 0, timeout=30_000)
    started = time.perf_counter()
    with qtbot.waitSignal(lab.training_changed, timeout=30_000):
        qtbot.keyClick(ws.pad, Qt.Key.Key_Escape)
    assert time.perf_counter() - started < 10
    assert lab.model is not None and lab.frame is not None and lab.epoch < 50
    assert lab.pad_problem == "" and lab.output is not None


# ----------------------------------------------------------------------- the user's pairs
def _menu_action(win, text: str):
    file_menu = next(a for a in win.menuBar().actions() if a.text() == "&File").menu()
    return next(a for a in file_menu.actions() if a.text() == text)


def _notice(win) -> QMessageBox | None:
    box = win.findChild(QMessageBox, "noticeBox")
    return box if box is not None and box.isVisible() else None


def test_open_pairs_train_on_them_and_go_back_to_the_digits(qtbot, translation_window,
                                                             tmp_path) -> None:
    win, ws = translation_window
    lab = ws.lab
    action = _menu_action(win, "Open image pairs…")
    assert "A/ and B/" in action.toolTip() and ".npz" in action.toolTip()
    assert ".npz" in _menu_action(win, "Open image pairs (.npz)…").toolTip()
    folder = pair_folder(tmp_path / "sketches")
    win.show_workspace(win.workspaces[0])  # the File menu's action works from any workspace
    with qtbot.waitSignal(lab.pairs_opened, timeout=30_000):
        ws.open_pairs(folder)
    assert win.workspace is ws and win.pages.currentWidget() is ws.central
    assert ws.dataset.currentText() == "sketches (your pairs)"
    assert [ws.task.itemText(i) for i in range(ws.task.count())] == ["Your pairs"]
    # The skipped partners: one note that does not block, the list folded into its details.
    qtbot.waitUntil(lambda: _notice(win) is not None, timeout=5000)
    box = _notice(win)  # shown with open(): the event loop and training go on
    assert box.text().startswith("2 files in sketches had no usable partner")
    assert "A/lonely.png" in box.detailedText() and "A/odd.png" in box.detailedText()
    box.close()

    ws.controls.epochs.setValue(1)
    with qtbot.waitSignal(lab.training_changed, timeout=60_000,
                          check_params_cb=lambda on: not on):
        ws.controls.train_button.click()
    assert lab.model is not None and lab.model.cfg.task == "pairs"
    # Two held-out pairs: input | output | target rows of the A images and their B images.
    data, frame = lab.data, lab.frame
    assert ws.grid.array.shape == (1, 2 * 29 - 1, 3 * 29 - 1)
    np.testing.assert_array_equal(ws.grid.array[0, :28, :28], data.x[data.test_indices[0], 0])
    np.testing.assert_array_equal(ws.grid.array[0, :28, 58:], data.targets[data.test_indices[0],
                                                                          0])
    assert "held-out L1" in ws.score.text() and frame.held_out
    assert lab.pad_problem == "" and ws.pad.array is not None and ws.output.array is not None
    assert ws.clear_button.isEnabled()

    # A built-in dataset again: its own tasks; the pairs stay in the list.
    index = ws.dataset.findData("digits 8×8")
    ws.dataset.setCurrentIndex(index)
    ws.dataset.activated.emit(index)
    assert not lab.using_pairs and lab.task == "edges" and lab.model is None
    tasks = [ws.task.itemText(i) for i in range(ws.task.count())]
    assert "Your pairs" not in tasks and "Edges → digit" in tasks
    assert ws.dataset.currentText() == "Digits, 8×8"
    assert ws.dataset.findText("sketches (your pairs)") >= 0


def test_a_folder_without_pairs_says_why_and_keeps_the_dataset(qtbot, translation_window,
                                                              tmp_path) -> None:
    win, ws = translation_window
    lab = ws.lab
    win.show_error = lambda *_args: None  # the message is what is checked, not the dialog
    data, shown = lab.data, ws.dataset.currentText()
    write_png(tmp_path / "holiday" / "A" / "beach.png", 0)  # and no B/
    with qtbot.waitSignal(lab.notes.error, timeout=30_000) as error:
        ws.open_pairs(tmp_path / "holiday")
    title, text, _details = error.args
    assert title == "Could not open the pairs" and "\n" not in text
    assert text.startswith(f"{tmp_path / 'holiday'}: a folder of pairs holds subfolders A/ "
                           "and B/") and "B/ is missing" in text
    assert lab.data is data and not lab.using_pairs and lab.pairs is None
    assert ws.dataset.currentText() == shown and ws.dataset.findData(PAIRS) == -1


# ------------------------------------------------------- File → Open with a pix2pix model
def _checkpoint(tmp_path, cfg: ModelConfig, shape: tuple[int, int, int]):
    model = build_model(cfg, shape, seed=0)
    meta = CheckpointMeta(cfg, TrainConfig(), shape, {"name": "digits", "source": "digits"})
    return save_checkpoint(tmp_path / f"{cfg.family}.safetensors", model, meta)


def test_file_open_sends_a_pix2pix_checkpoint_to_image_translation(qtbot, window, tiny_digits,
                                                                   tmp_path) -> None:
    maps = window.workspace
    ws = next(w for w in window.workspaces if isinstance(w, TranslationWorkspace))
    data = load_translation_data("digits")
    ws.lab._data = dataclasses.replace(data, x=data.x[:128], labels=data.labels[:128],
                                       is_test=data.is_test[:128])
    errors: list[str] = []
    for lab_notes in (window.lab.notes, ws.lab.notes):
        lab_notes.error.connect(lambda _title, text, _details: errors.append(text))
    # A model with codes opens in the latent maps, as before.
    ae = _checkpoint(tmp_path, ModelConfig(family="ae", hidden=(8,)), tiny_digits.input_shape)
    with qtbot.waitSignal(window.lab.model.changed, timeout=30_000):
        maps.file_actions.open_path(ae)
    assert window.workspace is maps and window.lab.model.path == ae and not errors
    # pix2pix: the window switches to Image translation and opens it there.
    pix2pix = _checkpoint(tmp_path, ModelConfig(family="pix2pix", task="inpaint"), (1, 28, 28))
    with qtbot.waitSignal(ws.lab.opened, timeout=30_000):
        maps.file_actions.open_path(pix2pix)
    assert window.workspace is ws and window.pages.currentWidget() is ws.central
    assert ws.lab.path == pix2pix and ws.lab.task == "inpaint" and not errors
    assert ws.task.currentText() == "Fill the hidden centre" and ws.lab.pad_problem == ""
    assert window.lab.model.path == ae and window.lab.files.opening is None  # maps untouched


def test_a_header_too_slow_to_say_is_left_to_the_latent_maps(qtbot, window, tmp_path,
                                                           monkeypatch) -> None:
    """A checkpoint whose header does not come in time is opened as before: the latent maps
    refuse pix2pix, naming the file and where it opens."""
    release = threading.Event()

    def stuck(_path):
        release.wait(10)
        raise OSError("released")

    monkeypatch.setattr(file_reads, "read_meta", stuck)
    monkeypatch.setattr(file_reads, "PEEK_S", 0.1)
    window.show_error = lambda *_args: None
    path = _checkpoint(tmp_path, ModelConfig(family="pix2pix"), (1, 8, 8))
    try:
        with qtbot.waitSignal(window.lab.notes.error, timeout=30_000) as error:
            window.workspace.file_actions.open_path(path)
    finally:
        release.set()
    assert f"{path}: holds a pix2pix model" in error.args[1]
    assert "open it in View → Image translation" in error.args[1]
    assert isinstance(window.workspace, LatentMapsWorkspace)
