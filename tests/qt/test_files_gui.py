"""Checkpoints and labs in the window: autosave, save and open, labs that restore a lesson."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data import Dataset
from latentlab.core.data.source import DataSource
from latentlab.core.files.checkpoint import load_checkpoint
from latentlab.core.files.userdirs import user_data_folder
from latentlab.qt.main_window import MainWindow
from latentlab.qt.state import LATENT, PIXELS, LabState

from .conftest import train_to_end

FAST = TrainConfig(epochs=2, snapshot_interval_s=0.02)


def saved_models() -> set[Path]:
    return set(user_data_folder("models").glob("*.safetensors"))


def write_npz(dataset: Dataset, path: Path) -> Path:
    np.savez(path, x=(dataset.x[:, 0] * 255).astype(np.uint8), y=dataset.labels)
    return path


def wait_loaded(qtbot, state: LabState, start) -> None:
    with qtbot.waitSignal(state.load_ended, timeout=30_000):
        start()


@pytest.fixture
def other_window(qtbot):
    """A second, fresh window: what a user sees after restarting the app."""
    win = MainWindow(LabState())
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def test_every_finished_run_is_autosaved_and_opens_again(qtbot, window, other_window,
                                                         tiny_digits) -> None:
    before = saved_models()
    train_to_end(qtbot, window, train=FAST)
    state = window.state
    qtbot.waitUntil(lambda: len(saved_models() - before) == 1, timeout=5000)
    (autosaved,) = saved_models() - before
    assert state.model_path == autosaved
    checkpoint = load_checkpoint(autosaved)
    assert checkpoint.meta.model == state.model_cfg and checkpoint.meta.epoch == 2
    # The other window (a restarted app) opens it on the same data: the same map and decoding.
    other = other_window.state
    other.set_dataset(tiny_digits)
    assert other.open_model(autosaved)
    np.testing.assert_allclose(other.coords[LATENT], state.coords[LATENT], atol=1e-5)
    other.set_probe(LATENT, state.probes[LATENT])
    other.decode_now()
    state.decode_now()
    np.testing.assert_allclose(other.decoded_images[LATENT], state.decoded_images[LATENT],
                               atol=1e-5)


def test_closing_mid_training_keeps_the_model(qtbot, tiny_digits) -> None:
    window = MainWindow(LabState())
    qtbot.addWidget(window)
    window.state.set_dataset(tiny_digits)
    window.show()
    before = saved_models()
    with qtbot.waitSignal(window.state.progress, timeout=30_000):
        window.state.start_training(ModelConfig(hidden=(16,)), TrainConfig(epochs=10_000))
    window.close()
    assert not window.state.runner.running
    (autosaved,) = saved_models() - before
    assert load_checkpoint(autosaved).meta.model.hidden == (16,)


def test_a_checkpoint_for_other_images_is_refused_and_nothing_changes(
        qtbot, window, tmp_path, monkeypatch) -> None:
    state = window.state
    train_to_end(qtbot, window, train=FAST)
    path = state.save_model(tmp_path / "digits.safetensors")
    assert path is not None and path.is_file()
    wide = Dataset("wide", np.zeros((20, 1, 8, 9), np.float32), None, (),
                   np.zeros(20, dtype=bool))
    state.set_dataset(wide)
    coords = state.coords[PIXELS].copy()
    errors = []
    state.error.connect(lambda title, message, details: errors.append(message))
    assert not state.open_model(path)
    assert "digits.safetensors" in errors[0] and "8×8" in errors[0] and "8×9" in errors[0]
    assert state.live_model is None and np.array_equal(state.coords[PIXELS], coords)
    # A damaged file says so, by name.
    (tmp_path / "broken.safetensors").write_bytes(path.read_bytes()[:200])
    assert not state.open_model(tmp_path / "broken.safetensors")
    assert "broken.safetensors" in errors[1]


def test_a_lab_restores_dataset_model_colours_and_probes(qtbot, window, other_window,
                                                         tiny_digits, tmp_path) -> None:
    state = window.state
    npz = write_npz(tiny_digits, tmp_path / "tiny.npz")
    wait_loaded(qtbot, state, lambda: state.load_dataset(DataSource.parse(npz)))
    train_to_end(qtbot, window, ModelConfig(family="vae", hidden=(16,)), FAST)
    state.set_probe(PIXELS, (1.5, -0.5))
    state.set_probe(LATENT, (0.25, 0.5))
    lab_path = state.save_lab_file(tmp_path / "lesson.latentlab")
    assert lab_path is not None and lab_path.is_file()
    other = other_window.state
    wait_loaded(qtbot, other, lambda: other_window.file_actions.open_path(lab_path))
    assert other.dataset.n == tiny_digits.n and other.model_cfg.family == "vae"
    np.testing.assert_allclose(other.probes[PIXELS], (1.5, -0.5))
    np.testing.assert_allclose(other.probes[LATENT], (0.25, 0.5))
    np.testing.assert_allclose(other.decoded_images[LATENT], state.decoded_images[LATENT],
                               atol=1e-5)


def test_a_lab_whose_dataset_moved_asks_where_it_is(qtbot, window, other_window, tiny_digits,
                                                    tmp_path, monkeypatch) -> None:
    state = window.state
    npz = write_npz(tiny_digits, tmp_path / "tiny.npz")
    wait_loaded(qtbot, state, lambda: state.load_dataset(DataSource.parse(npz)))
    lab_path = state.save_lab_file(tmp_path / "lesson.latentlab")
    moved = npz.rename(tmp_path / "moved.npz")
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args, **kwargs: asked.append(args[2]) or
                        QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(moved), ""))
    other = other_window.state
    wait_loaded(qtbot, other, lambda: other_window.file_actions.open_path(lab_path))
    assert "tiny.npz" in asked[0] and other.dataset.n == tiny_digits.n
    assert other.dataset_request.location == str(moved)
