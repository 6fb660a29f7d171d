"""Every map chooses its source and method: the built-in maps (PCA of the inputs, the codes) are
replaced by a projection and come back; projections of different maps run at once; a GAN's map
stays its code space; a lab brings the maps' setups back."""

from __future__ import annotations

import numpy as np

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data.source import DataSource
from latentlab.core.maps.setup import MapSetup
from latentlab.lab.map_state import DEFAULT_SETUPS, LATENT, PIXELS, THIRD

from .conftest import train_to_end
from .test_files_gui import other_window, wait_loaded, write_npz  # noqa: F401 (a fixture)

TSNE = {"perplexity": 20.0, "max_iter": 250}


def project(qtbot, lab, map_id: str, setup: MapSetup) -> None:
    with qtbot.waitSignal(lab.maps[map_id].projection_changed, timeout=60_000,
                          check_params_cb=lambda: not lab.maps.is_projecting(map_id)):
        assert lab.maps.project(map_id, setup)
    lab.maps.decode_now()


def test_the_pca_map_becomes_a_tsne_map_and_comes_back(qtbot, window, tiny_digits) -> None:
    lab = window.lab
    baseline = lab.maps[PIXELS].coords.copy()
    title = lab.maps[PIXELS].title
    controls = window.workspace.map_controls[PIXELS]
    assert controls.current_setup() == DEFAULT_SETUPS[PIXELS]
    controls.method.setCurrentIndex(controls.method.findData("tsne"))
    controls.perplexity.setValue(20.0)
    with qtbot.waitSignal(lab.maps[PIXELS].projection_changed, timeout=60_000,
                          check_params_cb=lambda: not lab.maps.is_projecting(PIXELS)):
        controls.apply()
    assert lab.maps[PIXELS].replaced
    assert lab.maps[PIXELS].coords.shape == (tiny_digits.n, 2)
    assert not np.allclose(lab.maps[PIXELS].coords, baseline)
    assert lab.maps[PIXELS].title.startswith("t-SNE of pixels")
    assert window.workspace.maps[PIXELS].title.text() == lab.maps[PIXELS].title
    assert window.workspace.probe_panel.titles[PIXELS].text() == "t-SNE of pixels at the probe"
    # Without a model the t-SNE map has nothing to decode, and says why.
    assert "needs a model" in lab.maps.decode_status(PIXELS)
    # Choosing PCA again brings the baseline back, exactly, and it decodes as before.
    controls.method.setCurrentIndex(controls.method.findData("pca"))
    controls.apply()
    assert not lab.maps[PIXELS].replaced
    np.testing.assert_array_equal(lab.maps[PIXELS].coords, baseline)
    assert lab.maps[PIXELS].title == title
    lab.maps.set_probe(PIXELS, (0.0, 0.0))
    lab.maps.decode_now()
    expected = lab.data.baseline.inverse_transform(np.zeros((1, 2), np.float32))
    np.testing.assert_allclose(lab.maps[PIXELS].image.ravel(), expected.ravel(), atol=1e-6)


def test_the_codes_map_replaced_while_training_keeps_up_for_its_return(qtbot, window) -> None:
    lab = window.lab
    with qtbot.waitSignal(lab.maps[LATENT].changed, timeout=30_000,
                          check_params_cb=lambda: lab.model.codes is not None):
        lab.model.start_training(ModelConfig(hidden=(32, 16)),
                             TrainConfig(epochs=200, snapshot_interval_s=0.02))
    # PCA of the inputs on the second map, while the codes keep arriving.
    project(qtbot, lab, LATENT, MapSetup("inputs", "pca"))
    shown = lab.maps[LATENT].coords.copy()
    codes_then = lab.model.codes
    assert lab.model.training
    # The codes move on while the map is replaced...
    qtbot.waitUntil(lambda: lab.model.codes is not codes_then, timeout=30_000)
    with qtbot.waitSignal(lab.model.finished, timeout=60_000):
        lab.model.stop()
    qtbot.waitUntil(lambda: not lab.model.training, timeout=30_000)
    np.testing.assert_array_equal(lab.maps[LATENT].coords, shown)  # ...and did not overwrite it
    assert not window.workspace.timeline.slider.isEnabled()
    assert "Codes view" in window.workspace.timeline.label.text()
    # Back to the codes: the map shows the final codes, not those of the moment it was replaced.
    project(qtbot, lab, LATENT, DEFAULT_SETUPS[LATENT])
    assert not lab.maps[LATENT].replaced
    np.testing.assert_allclose(lab.maps[LATENT].coords,
                               lab.maps.latent_map.transform(lab.model.codes),
                               atol=1e-5)
    assert window.workspace.timeline.slider.isEnabled()


def test_a_new_model_brings_the_codes_map_back(qtbot, window) -> None:
    train_to_end(qtbot, window)
    lab = window.lab
    project(qtbot, lab, LATENT, MapSetup("codes", "tsne", TSNE))
    assert lab.maps[LATENT].replaced and "t-SNE of codes" in lab.maps[LATENT].title
    # A random code has no place on a t-SNE map: it is decoded and shown, the probe stays.
    probe, lab.maps[LATENT].image = lab.maps[LATENT].probe.copy(), None
    lab.maps.sample_random()
    assert lab.maps[LATENT].image is not None
    np.testing.assert_array_equal(lab.maps[LATENT].probe, probe)
    train_to_end(qtbot, window)
    assert not lab.maps[LATENT].replaced
    assert window.workspace.map_controls[LATENT].current_setup() == DEFAULT_SETUPS[LATENT]
    assert lab.maps[LATENT].title.startswith("Autoencoder codes")


def test_two_maps_project_at_once(qtbot, window, tiny_digits) -> None:
    lab = window.lab
    window.workspace.show_third_map(True)
    qtbot.waitUntil(lambda: not lab.maps.is_projecting(), timeout=60_000)
    assert lab.maps.project(PIXELS, MapSetup("inputs", "tsne", TSNE))
    assert lab.maps.project(THIRD, MapSetup("inputs", "tsne", {**TSNE, "perplexity": 10.0}))
    assert lab.maps.is_projecting(PIXELS) and lab.maps.is_projecting(THIRD)
    assert window.workspace.map_controls[PIXELS].cancel_button.isVisible()
    qtbot.waitUntil(lambda: not lab.maps.is_projecting(), timeout=60_000)
    assert lab.maps[PIXELS].fit.setup.params["perplexity"] == 20.0
    assert lab.maps[THIRD].fit.setup.params["perplexity"] == 10.0
    assert window.workspace.map_controls[PIXELS].apply_button.isVisible()


def test_a_gan_keeps_its_code_space_map(qtbot, window) -> None:
    lab = window.lab
    errors: list[tuple[str, str, str]] = []
    lab.notes.error.connect(lambda *e: errors.append(e))
    window.show_error = lambda *a: None
    train_to_end(qtbot, window, ModelConfig(family="gan", hidden=(16,), noise_dim=4),
                 TrainConfig(epochs=1, snapshot_interval_s=0.02))
    assert not window.workspace.map_controls[LATENT].isEnabled()
    assert not lab.maps.project(LATENT, MapSetup("inputs", "pca"))
    assert "code space" in errors[-1][1] and not lab.maps[LATENT].replaced


def test_a_lab_brings_back_the_maps_setups(qtbot, window, other_window,  # noqa: F811
                                           tiny_digits, tmp_path) -> None:
    lab = window.lab
    npz = write_npz(tiny_digits, tmp_path / "tiny.npz")
    wait_loaded(qtbot, lab, lambda: lab.data.load(DataSource.parse(npz)))
    train_to_end(qtbot, window)
    project(qtbot, lab, LATENT, MapSetup("codes", "tsne", TSNE))
    lab.maps.set_probe(LATENT, lab.maps[LATENT].coords[5])
    lab_path = lab.files.save_lab(tmp_path / "lesson.latentlab")
    other = other_window.lab
    wait_loaded(qtbot, other, lambda: other_window.workspace.file_actions.open_path(lab_path))
    qtbot.waitUntil(lambda: other.maps[LATENT].replaced and not other.maps.is_projecting(),
                    timeout=60_000)
    assert other.maps[LATENT].fit.setup == MapSetup("codes", "tsne", TSNE)
    np.testing.assert_allclose(other.maps[LATENT].probe, lab.maps[LATENT].coords[5])
    assert other_window.workspace.map_controls[LATENT].current_setup().method == "tsne"
