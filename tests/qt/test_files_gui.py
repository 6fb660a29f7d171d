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
from latentlab.lab.map_state import LATENT, PIXELS
from latentlab.qt.main_window import MainWindow

from .conftest import train_to_end

FAST = TrainConfig(epochs=2, snapshot_interval_s=0.02)


def saved_models() -> set[Path]:
    return set(user_data_folder("models").glob("*.safetensors"))


def write_npz(dataset: Dataset, path: Path) -> Path:
    np.savez(path, x=(dataset.x[:, 0] * 255).astype(np.uint8), y=dataset.labels)
    return path


def wait_loaded(qtbot, lab, start) -> None:
    with qtbot.waitSignal(lab.data.load_ended, timeout=30_000):
        start()


def wait_opened(qtbot, lab, start) -> None:
    """Start opening a lab and wait for all of it: the file, its dataset, then its model."""
    start()
    files = lab.files
    qtbot.waitUntil(lambda: files.opening is None and files.pending_lab is None
                    and files.restoring_lab is None and not lab.data.loading, timeout=30_000)


@pytest.fixture
def other_window(qtbot):
    """A second, fresh window: what a user sees after restarting the app."""
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def test_every_finished_run_is_autosaved_and_opens_again(qtbot, window, other_window,
                                                         tiny_digits) -> None:
    before = saved_models()
    train_to_end(qtbot, window, train=FAST)
    lab = window.lab
    qtbot.waitUntil(lambda: len(saved_models() - before) == 1, timeout=5000)
    (autosaved,) = saved_models() - before
    assert lab.model.path == autosaved
    checkpoint = load_checkpoint(autosaved)
    assert checkpoint.meta.model == lab.model.model_cfg and checkpoint.meta.epoch == 2
    # The other window (a restarted app) opens it on the same data: the same map and decoding.
    other = other_window.lab
    other.data.set_dataset(tiny_digits)
    assert other.files.open_model(autosaved)  # read in the background, adopted when done
    qtbot.waitUntil(lambda: other.model.path == autosaved and other.files.opening is None,
                    timeout=10_000)
    np.testing.assert_allclose(other.maps[LATENT].coords, lab.maps[LATENT].coords, atol=1e-5)
    other.maps.set_probe(LATENT, lab.maps[LATENT].probe)
    other.maps.decode_now()
    lab.maps.decode_now()
    np.testing.assert_allclose(other.maps[LATENT].image, lab.maps[LATENT].image,
                               atol=1e-5)


def test_closing_mid_training_keeps_the_model(qtbot, tiny_digits) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.lab.data.set_dataset(tiny_digits)
    window.show()
    before = saved_models()
    with qtbot.waitSignal(window.lab.model.progress, timeout=30_000):
        window.lab.model.start_training(ModelConfig(hidden=(16,)), TrainConfig(epochs=10_000))
    window.close()
    assert not window.lab.model.training
    (autosaved,) = saved_models() - before
    assert load_checkpoint(autosaved).meta.model.hidden == (16,)


def test_a_checkpoint_for_other_images_is_refused_and_nothing_changes(
        qtbot, window, tmp_path, monkeypatch) -> None:
    lab = window.lab
    train_to_end(qtbot, window, train=FAST)
    path = lab.files.save_model(tmp_path / "digits.safetensors")
    assert path is not None and path.is_file()
    wide = Dataset("wide", np.zeros((20, 1, 8, 9), np.float32), None, (),
                   np.zeros(20, dtype=bool))
    lab.data.set_dataset(wide)
    coords = lab.maps[PIXELS].coords.copy()
    errors = []
    lab.notes.error.connect(lambda title, message, details: errors.append(message))
    offers = []
    lab.files.source_offered.connect(offers.append)
    lab.files.open_model(path)
    qtbot.waitUntil(lambda: len(errors) == 1, timeout=10_000)
    # Trained on data set in memory, it records no dataset to offer: it is refused, by name.
    assert "digits.safetensors" in errors[0] and "8×8" in errors[0] and "8×9" in errors[0]
    assert "wide and its maps are unchanged" in errors[0] and not offers
    assert lab.model.live_model is None and np.array_equal(lab.maps[PIXELS].coords, coords)
    # A damaged file says so, by name.
    (tmp_path / "broken.safetensors").write_bytes(path.read_bytes()[:200])
    lab.files.open_model(tmp_path / "broken.safetensors")
    qtbot.waitUntil(lambda: len(errors) == 2, timeout=10_000)
    assert "broken.safetensors" in errors[1]


def test_a_lab_restores_dataset_model_colours_and_probes(qtbot, window, other_window,
                                                         tiny_digits, tmp_path) -> None:
    lab = window.lab
    npz = write_npz(tiny_digits, tmp_path / "tiny.npz")
    wait_loaded(qtbot, lab, lambda: lab.data.load(DataSource.parse(npz)))
    train_to_end(qtbot, window, ModelConfig(family="vae", hidden=(16,)), FAST)
    lab.maps.set_probe(PIXELS, (1.5, -0.5))
    lab.maps.set_probe(LATENT, (0.25, 0.5))
    lab_path = lab.files.save_lab(tmp_path / "lesson.latentlab")
    assert lab_path is not None and lab_path.is_file()
    other = other_window.lab
    wait_opened(qtbot, other, lambda: other_window.workspace.file_actions.open_path(lab_path))
    assert other.data.dataset.n == tiny_digits.n and other.model.model_cfg.family == "vae"
    np.testing.assert_allclose(other.maps[PIXELS].probe, (1.5, -0.5))
    np.testing.assert_allclose(other.maps[LATENT].probe, (0.25, 0.5))
    np.testing.assert_allclose(other.maps[LATENT].image, lab.maps[LATENT].image,
                               atol=1e-5)


def test_a_lab_whose_dataset_moved_asks_where_it_is(qtbot, window, other_window, tiny_digits,
                                                    tmp_path, monkeypatch) -> None:
    lab = window.lab
    npz = write_npz(tiny_digits, tmp_path / "tiny.npz")
    wait_loaded(qtbot, lab, lambda: lab.data.load(DataSource.parse(npz)))
    lab_path = lab.files.save_lab(tmp_path / "lesson.latentlab")
    moved = npz.rename(tmp_path / "moved.npz")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(moved), ""))
    other = other_window.lab
    other_window.workspace.file_actions.open_path(lab_path)
    box = wait_for_box(qtbot, other_window, "datasetMissingBox")
    assert "tiny.npz" in box.text()
    wait_loaded(qtbot, other, lambda: box.button(QMessageBox.StandardButton.Yes).click())
    assert other.data.dataset.n == tiny_digits.n
    assert other.data.source.location == str(moved)


def test_a_model_that_does_not_fit_asks_to_load_the_dataset_it_records(
        qtbot, window, tiny_digits, tmp_path) -> None:
    lab = window.lab
    # A name with an escape sequence in it: shown escaped, loaded as it is.
    npz = write_npz(tiny_digits, tmp_path / "tiny\x1b[2J.npz")
    wait_loaded(qtbot, lab, lambda: lab.data.load(DataSource.parse(npz)))
    train_to_end(qtbot, window, train=FAST)
    path = lab.files.save_model(tmp_path / "digits.safetensors")
    wide = Dataset("wide", np.zeros((20, 1, 8, 9), np.float32), None, (),
                   np.zeros(20, dtype=bool))
    lab.data.set_dataset(wide)
    actions = window.workspace.file_actions
    # No: nothing changes, and nothing was loaded.
    actions.open_path(path)
    box = wait_for_box(qtbot, window, "recordedSourceBox")
    text = box.text()
    assert text.startswith(f"This model was trained on {tmp_path}/tiny\\x1b[2J.npz. Load that "
                           "dataset?") and "\x1b" not in text
    box.grab().save(str(tmp_path / "question.png"))
    box.button(QMessageBox.StandardButton.No).click()
    qtbot.waitUntil(lambda: box_named(window, "recordedSourceBox") is None)
    assert lab.data.dataset is wide and lab.model.live_model is None and not lab.data.loading
    # Yes: the recorded dataset loads, then the model is adopted on it.
    actions.open_path(path)
    box = wait_for_box(qtbot, window, "recordedSourceBox")
    with qtbot.waitSignal(lab.model.changed, timeout=30_000):
        box.button(QMessageBox.StandardButton.Yes).click()
    assert lab.data.dataset.n == tiny_digits.n and lab.data.source.location == str(npz)
    assert lab.model.path == path and lab.model.live_model is not None


def box_named(window, name: str) -> QMessageBox | None:
    box = window.findChild(QMessageBox, name)
    return box if box is not None and box.isVisible() else None


def wait_for_box(qtbot, window, name: str) -> QMessageBox:
    qtbot.waitUntil(lambda: box_named(window, name) is not None, timeout=10_000)
    return box_named(window, name)
