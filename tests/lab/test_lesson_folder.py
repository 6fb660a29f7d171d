"""A lesson folder travels: the lab's model is saved beside it, and a moved folder opens whole."""

from __future__ import annotations

import json
import shutil

import numpy as np

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data.source import DataSource
from latentlab.core.files.userdirs import user_data_folder
from latentlab.lab.latent_lab import LatentLab
from latentlab.lab.map_state import LATENT

from .test_scenario import Recorder

ONE_EPOCH = TrainConfig(epochs=1, snapshot_interval_s=0.001)


def trained_lab(data: DataSource) -> LatentLab:
    lab = LatentLab()
    assert lab.data.load(data) and lab.data.dataset is not None
    lab.model.start_training(ModelConfig(hidden=(16,)), ONE_EPOCH)
    return lab


def test_a_lesson_folder_moved_to_another_place_opens_with_its_model(tmp_path) -> None:
    lesson = tmp_path / "lesson"
    lesson.mkdir()
    lab = trained_lab(DataSource.parse("digits"))
    autosaved = lab.model.path
    assert autosaved is not None and autosaved.parent == user_data_folder("models")
    lab.maps.set_probe(LATENT, (0.5, -0.25))
    saved = lab.files.save_lab(lesson / "mylab.latentlab")
    assert saved is not None
    # The model is saved beside the lab and referred to by a relative path; the autosave stays.
    beside = lesson / "mylab.safetensors"
    assert beside.is_file() and autosaved.is_file() and lab.model.path == beside
    assert json.loads(saved.read_text())["checkpoints"] == ["mylab.safetensors"]
    # Saved again, the model already beside it is not written twice.
    stamp = beside.stat().st_mtime_ns
    assert lab.files.save_lab(lesson / "mylab.latentlab") is not None
    assert beside.stat().st_mtime_ns == stamp

    moved = tmp_path / "classroom" / "lesson"
    moved.parent.mkdir()
    shutil.move(lesson, moved)
    fresh = LatentLab()
    said = Recorder(fresh)
    assert fresh.files.open_lab(moved / "mylab.latentlab")
    assert not said.errors, said.errors
    assert fresh.model.path == moved / "mylab.safetensors" and fresh.model.epoch == 1
    np.testing.assert_allclose(fresh.maps[LATENT].image, lab.maps[LATENT].image, atol=1e-5)


def test_an_old_lab_with_absolute_paths_still_opens(tmp_path) -> None:
    lab = trained_lab(DataSource.parse("digits"))
    model = lab.model.path
    assert model is not None and model.is_absolute()
    old = tmp_path / "old.latentlab"
    old.write_text(json.dumps({"kind": "latentlab lab", "version": 1,
                               "dataset": {"source": "digits", "options": {}},
                               "checkpoints": [str(model)], "maps": {}, "probes": {}}))
    fresh = LatentLab()
    said = Recorder(fresh)
    assert fresh.files.open_lab(old)
    assert not said.errors, said.errors
    assert fresh.model.path == model


def test_autosaves_are_bounded_and_a_diverged_run_is_marked(monkeypatch, tmp_path) -> None:
    from latentlab.core.files import autosaves
    from latentlab.core.models.autoencoder import Autoencoder

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # a user data folder of its own
    folder = user_data_folder("models")
    assert folder.is_relative_to(tmp_path)
    hand = folder / "kept-by-hand.safetensors"
    hand.write_bytes(b"mine")
    for i in range(55):
        old = folder / f"old-{i:02d}.safetensors"
        old.write_bytes(b"x")
        autosaves.record(old)

    def diverging(self, x):
        terms = original(self, x)
        return {**terms, "loss": terms["loss"] * float("nan")}

    original = Autoencoder.losses
    monkeypatch.setattr(Autoencoder, "losses", diverging)
    lab = trained_lab(DataSource.parse("digits"))
    newest = autosaves.autosaves(folder)
    assert len(newest) == autosaves.KEEP and newest[0].path == lab.model.path
    assert newest[0].diverged and lab.model.path.stem.endswith("-diverged")
    assert hand.read_bytes() == b"mine"
    assert len(list(folder.glob("*.safetensors"))) == autosaves.KEEP + 1
