"""A whole session on the lab models, with no QApplication: jobs run inline, decodes at once."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data import Dataset
from latentlab.core.data.source import DataSource
from latentlab.core.files.labfile import relocate_dataset
from latentlab.core.maps.geometry import points_in_polygon
from latentlab.core.maps.setup import MapSetup
from latentlab.lab.latent_lab import LatentLab
from latentlab.lab.map_state import LATENT, MAP_IDS, PIXELS, THIRD

FAST_MODEL = ModelConfig(hidden=(32, 16))
ONE_EPOCH = TrainConfig(epochs=1, snapshot_interval_s=0.001)


class Recorder:
    """Collects what the lab tells a user."""

    def __init__(self, lab: LatentLab) -> None:
        self.errors: list[tuple[str, str]] = []
        self.messages: list[str] = []
        lab.notes.error.connect(lambda title, text, _details: self.errors.append((title, text)))
        lab.notes.message.connect(self.messages.append)


def loaded_lab(**kwargs) -> tuple[LatentLab, Recorder]:
    lab = LatentLab(**kwargs)
    said = Recorder(lab)
    assert lab.data.load(DataSource.parse("digits"))
    assert lab.data.dataset is not None and not lab.data.loading
    return lab, said


def test_a_whole_session_saves_and_reopens_the_same_lab(tmp_path) -> None:
    lab, said = loaded_lab()
    pixels = lab.maps[PIXELS]
    assert pixels.coords is not None and len(pixels.coords) == lab.data.dataset.n
    assert pixels.image is not None  # the PCA probe decodes the mean image at once

    lab.model.start_training(FAST_MODEL, ONE_EPOCH)
    assert not lab.model.training and lab.model.epoch == 1
    latent = lab.maps[LATENT]
    codes = lab.model.codes
    assert codes is not None and latent.coords is not None
    # A 2-D code is its own map: the codes map follows the model's codes.
    np.testing.assert_allclose(latent.coords, codes, rtol=1e-6)
    assert lab.files.checkpoint_meta().epoch == 1 and lab.model.path is not None  # autosaved

    xy = latent.coords[17] + np.float32(0.25)
    lab.maps.set_probe(LATENT, xy)
    np.testing.assert_array_equal(latent.probe, xy)
    with torch.inference_mode():
        expected = lab.model.live_model.decode(torch.from_numpy(xy[None]))[0].numpy()
    np.testing.assert_allclose(latent.image, expected, rtol=1e-6)

    lo, hi = np.percentile(latent.coords, [20, 60], axis=0)
    polygon = np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
    inside = np.flatnonzero(points_in_polygon(latent.coords, polygon))
    lab.selection.select(inside)
    assert 0 < len(lab.selection.items) < len(latent.coords)

    lab.colouring.set_colour_by("error")
    assert lab.colouring.colour_by == "error" and lab.colouring.palette == "sequential"
    classes, names = lab.colouring.point_classes()
    assert classes is not None and len(names) == 8

    assert lab.maps.project(THIRD, MapSetup("codes", "pca"))
    third = lab.maps[THIRD]
    assert third.fit is not None and not third.projecting and third.title.startswith("PCA of codes")
    lab.maps.set_probe(THIRD, third.coords[3])
    assert third.image is not None

    path = lab.files.save_lab(tmp_path / "lesson.latentlab")
    assert path is not None and path.is_file() and not said.errors

    fresh = LatentLab()
    fresh_said = Recorder(fresh)
    assert fresh.files.open_lab(path)
    assert not fresh_said.errors, fresh_said.errors
    assert fresh.data.source == lab.data.source
    assert fresh.model.model_cfg == lab.model.model_cfg and fresh.model.epoch == 1
    for map_id in MAP_IDS:
        before, after = lab.maps[map_id], fresh.maps[map_id]
        assert after.title == before.title, map_id
        assert (after.fit is None) == (before.fit is None), map_id
        np.testing.assert_allclose(after.probe, before.probe, rtol=1e-6, err_msg=map_id)
        np.testing.assert_allclose(after.coords, before.coords, rtol=1e-4, atol=1e-5,
                                   err_msg=map_id)
        np.testing.assert_allclose(after.image, before.image, rtol=1e-4, atol=1e-6,
                                   err_msg=map_id)
    assert fresh.colouring.colour_by == "error"
    np.testing.assert_array_equal(fresh.colouring.point_classes()[0], classes)


def test_a_gan_map_probe_is_a_view_of_the_generator_code() -> None:
    lab, _said = loaded_lab()
    lab.model.start_training(ModelConfig(family="infogan", hidden=(32,), noise_dim=8,
                                         n_categories=3, n_continuous=2), ONE_EPOCH)
    code = lab.generator.code
    assert code is not None and lab.maps[LATENT].coords is not None
    lab.maps.set_probe(LATENT, (0.5, -0.25))
    # The probe moved the code, and the probe is where the code says.
    np.testing.assert_allclose(lab.generator.code.continuous, [0.5, -0.25], atol=1e-6)
    np.testing.assert_allclose(lab.maps[LATENT].probe, [0.5, -0.25], atol=1e-6)
    lab.generator.set_continuous_code(1, 1.5)
    np.testing.assert_allclose(lab.maps[LATENT].probe, [0.5, 1.5], atol=1e-6)
    np.testing.assert_allclose(lab.maps[LATENT].image, lab.generator.decode())
    # A GAN's map stays its code space.
    errors: list[str] = []
    lab.notes.error.connect(lambda title, _text, _d: errors.append(title))
    assert not lab.maps.project(LATENT, MapSetup("inputs", "pca"))
    assert errors == ["Cannot make this map"]


def test_a_new_dataset_starts_every_model_afresh() -> None:
    lab, _said = loaded_lab()
    lab.model.start_training(FAST_MODEL, ONE_EPOCH)
    lab.selection.select(np.arange(5))
    lab.maps.project(THIRD, MapSetup("codes", "pca"))
    lab.data.set_dataset(lab.data.dataset, source=lab.data.source)
    assert lab.model.live_model is None and lab.model.codes is None
    assert len(lab.selection.items) == 0
    assert lab.maps[LATENT].coords is None and lab.maps[LATENT].title == "no model yet"
    assert lab.maps[THIRD].fit is None and lab.maps[THIRD].coords is None
    assert lab.timeline.frames == []


@pytest.mark.parametrize("setup, why", [
    (MapSetup("codes", "pca"), "needs a model"),
    (MapSetup("inputs", "codes"), "choose the codes as the source"),
    (MapSetup("inputs", "tsne", {"perplexity": 5000.0}), "perplexity"),
])
def test_a_map_that_cannot_be_made_says_why_and_changes_nothing(setup, why) -> None:
    lab, said = loaded_lab()
    before = lab.maps[THIRD].title
    assert not lab.maps.project(THIRD, setup)
    assert len(said.errors) == 1 and why in said.errors[0][1]
    assert lab.maps[THIRD].title == before and lab.maps[THIRD].fit is None


def test_the_codes_map_probe_rides_along_until_it_is_placed() -> None:
    # Decodes wait for the next pass, as in the window: a view echoes the probe back before the
    # probe has decoded anything.
    passes: list = []
    lab, _said = loaded_lab(call_soon=passes.append)
    lab.model.start_training(FAST_MODEL, ONE_EPOCH)
    latent = lab.maps[LATENT]
    assert latent.image is None and passes
    np.testing.assert_allclose(latent.probe, np.median(latent.coords, axis=0), rtol=1e-6)
    # A view echoing the probe where it already is does not count as placing it.
    lab.maps.set_probe(LATENT, latent.probe.copy())
    lab.model.codes = lab.model.codes * 2  # as the next snapshot's codes would arrive
    lab.model.codes_changed.emit(100, 1.5)
    np.testing.assert_allclose(latent.probe, np.median(latent.coords, axis=0), rtol=1e-6)
    # Placed by the user, it stays.
    lab.maps.set_probe(LATENT, (0.5, 0.5))
    lab.model.codes = lab.model.codes * 2
    lab.model.codes_changed.emit(200, 2.0)
    np.testing.assert_allclose(latent.probe, (0.5, 0.5))


def rewrite_source(path, source: str | None) -> None:
    """Change the dataset a checkpoint records (its weights and their digest stay)."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    from latentlab.core.files.checkpoint import METADATA_KEY

    with safe_open(str(path), "pt") as handle:
        payload = json.loads(handle.metadata()[METADATA_KEY])
    payload["data"]["source"] = source
    save_file(load_file(str(path)), str(path), metadata={METADATA_KEY: json.dumps(payload)})


def test_a_model_that_does_not_fit_offers_the_dataset_it_records_and_loads_it_when_asked(
        tmp_path) -> None:
    lab, said = loaded_lab()
    digits = lab.data.dataset
    data = tmp_path / "data" / "digits.npz"
    data.parent.mkdir()
    np.savez(data, x=(digits.x[:, 0] * 255).astype(np.uint8), y=digits.labels)
    assert lab.data.load(DataSource.parse(data))
    lab.model.start_training(FAST_MODEL, ONE_EPOCH)
    path = lab.files.save_model(tmp_path / "models" / "digits.safetensors")
    rewrite_source(path, "../data/digits.npz")  # relative: to the checkpoint's folder
    wide = Dataset("wide", np.zeros((20, 1, 8, 9), np.float32), None, (),
                   np.zeros(20, dtype=bool))
    lab.data.set_dataset(wide)
    offers = []
    lab.files.source_offered.connect(offers.append)
    # Offered, never followed: the dataset and the model stay as they are.
    assert lab.files.open_model(path)
    (offer,) = offers
    assert offer.source.location == str(data) and offer.where == str(data)
    assert lab.data.dataset is wide and lab.model.live_model is None and not said.errors
    assert said.messages[-1] == f"digits.safetensors does not fit wide; it was trained on {data}."
    # Asked for: the dataset loads, then the model is adopted on it.
    assert lab.files.open_model(path, load_recorded_source=True)
    assert lab.data.source.location == str(data) and lab.data.dataset.n == digits.n
    assert lab.model.path == path and lab.model.live_model is not None and not said.errors
    # A recorded dataset that is not there: refused as any model that does not fit.
    lab.data.set_dataset(wide)
    rewrite_source(path, "../data/gone.npz")
    assert lab.files.open_model(path) and len(offers) == 1
    (title, text), = said.errors
    assert title == "Could not open the model" and "digits.safetensors" in text
    assert text.endswith("wide and its maps are unchanged.") and lab.data.dataset is wide


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
def test_files_that_are_not_files_are_refused_by_name(tmp_path) -> None:
    lab, said = loaded_lab()
    os.mkfifo(tmp_path / "model.safetensors")
    os.mkfifo(tmp_path / "lesson.latentlab")
    (tmp_path / "zero.safetensors").symlink_to("/dev/zero")
    for name in ("model.safetensors", "zero.safetensors"):
        assert lab.files.open_model(tmp_path / name)
    assert lab.files.open_lab(tmp_path / "lesson.latentlab")
    assert [title for title, _ in said.errors] == ["Could not open the model"] * 2 + [
        "Could not open the lab"]
    for (_, text), name in zip(said.errors, ("model.safetensors", "zero.safetensors",
                                             "lesson.latentlab"), strict=True):
        assert f"{tmp_path / name}: cannot be read" in text and "\n" not in text.split("\n\n")[0]
    assert lab.files.opening is None and lab.model.live_model is None


def test_a_lab_whose_dataset_moved_asks_its_observers(tmp_path) -> None:
    lab, _said = loaded_lab()
    data = tmp_path / "digits.npz"
    digits = lab.data.dataset
    np.savez(data, x=(digits.x[:, 0] * 255).astype(np.uint8), y=digits.labels)
    assert lab.data.load(DataSource.parse(data))
    lesson = lab.files.save_lab(tmp_path / "lesson.latentlab")
    moved = data.rename(tmp_path / "moved.npz")
    fresh = LatentLab()
    missing = []
    fresh.files.dataset_missing.connect(lambda path, exc: missing.append((path, exc)))
    assert fresh.files.open_lab(lesson)
    ((path, exc),) = missing
    assert path == lesson and exc.path == data and fresh.data.dataset is None
    assert fresh.files.open_lab(lesson, relocate_dataset(exc.lab, moved))
    assert fresh.data.source.location == str(moved) and fresh.data.dataset.n == digits.n
