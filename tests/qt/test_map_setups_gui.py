"""Every map chooses its source and method: the built-in maps (PCA of the inputs, the codes) are
replaced by a projection and come back; projections of different maps run at once; a GAN's map
stays its code space; a lab brings the maps' setups back."""

from __future__ import annotations

import numpy as np

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data.source import DataSource
from latentlab.qt.state import LATENT, PIXELS, THIRD
from latentlab.qt.state_maps import DEFAULT_SETUPS, MapSetup

from .conftest import train_to_end
from .test_files_gui import other_window, wait_loaded, write_npz  # noqa: F401 (a fixture)

TSNE = {"perplexity": 20.0, "max_iter": 250}


def project(qtbot, state, map_id: str, setup: MapSetup) -> None:
    with qtbot.waitSignal(state.projection_changed, timeout=60_000,
                          check_params_cb=lambda m: m == map_id
                          and not state.is_projecting(map_id)):
        assert state.project_map(map_id, setup)
    state.decode_now()


def test_the_pca_map_becomes_a_tsne_map_and_comes_back(qtbot, window, tiny_digits) -> None:
    state = window.state
    baseline = state.coords[PIXELS].copy()
    title = state.map_method[PIXELS]
    controls = window.map_controls[PIXELS]
    assert controls.current_setup() == DEFAULT_SETUPS[PIXELS]
    controls.method.setCurrentIndex(controls.method.findData("tsne"))
    controls.perplexity.setValue(20.0)
    with qtbot.waitSignal(state.projection_changed, timeout=60_000,
                          check_params_cb=lambda m: not state.is_projecting(m)):
        controls.apply()
    assert state.replaced(PIXELS)
    assert state.coords[PIXELS].shape == (tiny_digits.n, 2)
    assert not np.allclose(state.coords[PIXELS], baseline)
    assert state.map_method[PIXELS].startswith("t-SNE of pixels")
    assert window.maps[PIXELS].title.text() == state.map_method[PIXELS]
    assert window.probe_panel.titles[PIXELS].text() == "t-SNE of pixels at the probe"
    # Without a model the t-SNE map has nothing to decode, and says why.
    assert "needs a model" in state.decode_status(PIXELS)
    # Choosing PCA again brings the baseline back, exactly, and it decodes as before.
    controls.method.setCurrentIndex(controls.method.findData("pca"))
    controls.apply()
    assert not state.replaced(PIXELS)
    np.testing.assert_array_equal(state.coords[PIXELS], baseline)
    assert state.map_method[PIXELS] == title
    state.set_probe(PIXELS, (0.0, 0.0))
    state.decode_now()
    expected = state.baseline.inverse_transform(np.zeros((1, 2), np.float32))
    np.testing.assert_allclose(state.decoded_images[PIXELS].ravel(), expected.ravel(), atol=1e-6)


def test_the_codes_map_replaced_while_training_keeps_up_for_its_return(qtbot, window) -> None:
    state = window.state
    with qtbot.waitSignal(state.map_changed, timeout=30_000,
                          check_params_cb=lambda m: m == LATENT and state.codes is not None):
        state.start_training(ModelConfig(hidden=(32, 16)),
                             TrainConfig(epochs=200, snapshot_interval_s=0.02))
    # PCA of the inputs on the second map, while the codes keep arriving.
    project(qtbot, state, LATENT, MapSetup("inputs", "pca"))
    shown = state.coords[LATENT].copy()
    codes_then = state.codes
    assert state.runner.running
    # The codes move on while the map is replaced...
    qtbot.waitUntil(lambda: state.codes is not codes_then, timeout=30_000)
    with qtbot.waitSignal(state.training_finished, timeout=60_000):
        state.stop_training()
    qtbot.waitUntil(lambda: not state.runner.running, timeout=30_000)
    np.testing.assert_array_equal(state.coords[LATENT], shown)  # ...and did not overwrite it
    assert not window.timeline.slider.isEnabled()
    assert "Codes view" in window.timeline.label.text()
    # Back to the codes: the map shows the final codes, not those of the moment it was replaced.
    project(qtbot, state, LATENT, DEFAULT_SETUPS[LATENT])
    assert not state.replaced(LATENT)
    np.testing.assert_allclose(state.coords[LATENT], state.latent_map.transform(state.codes),
                               atol=1e-5)
    assert window.timeline.slider.isEnabled()


def test_a_new_model_brings_the_codes_map_back(qtbot, window) -> None:
    train_to_end(qtbot, window)
    state = window.state
    project(qtbot, state, LATENT, MapSetup("codes", "tsne", TSNE))
    assert state.replaced(LATENT) and "t-SNE of codes" in state.map_method[LATENT]
    # A random code has no place on a t-SNE map: it is decoded and shown, the probe stays.
    probe, state.decoded_images[LATENT] = state.probes[LATENT].copy(), None
    state.sample_random()
    assert state.decoded_images[LATENT] is not None
    np.testing.assert_array_equal(state.probes[LATENT], probe)
    train_to_end(qtbot, window)
    assert not state.replaced(LATENT)
    assert window.map_controls[LATENT].current_setup() == DEFAULT_SETUPS[LATENT]
    assert state.map_method[LATENT].startswith("Autoencoder codes")


def test_two_maps_project_at_once(qtbot, window, tiny_digits) -> None:
    state = window.state
    window.show_third_map(True)
    qtbot.waitUntil(lambda: not state.is_projecting(), timeout=60_000)
    assert state.project_map(PIXELS, MapSetup("inputs", "tsne", TSNE))
    assert state.project_map(THIRD, MapSetup("inputs", "tsne", {**TSNE, "perplexity": 10.0}))
    assert state.is_projecting(PIXELS) and state.is_projecting(THIRD)
    assert window.map_controls[PIXELS].cancel_button.isVisible()
    qtbot.waitUntil(lambda: not state.is_projecting(), timeout=60_000)
    assert state.map_fits[PIXELS][0].params["perplexity"] == 20.0
    assert state.map_fits[THIRD][0].params["perplexity"] == 10.0
    assert window.map_controls[PIXELS].apply_button.isVisible()


def test_a_gan_keeps_its_code_space_map(qtbot, window) -> None:
    state = window.state
    errors: list[tuple[str, str, str]] = []
    state.error.connect(lambda *e: errors.append(e))
    window.show_error = lambda *a: None
    train_to_end(qtbot, window, ModelConfig(family="gan", hidden=(16,), noise_dim=4),
                 TrainConfig(epochs=1, snapshot_interval_s=0.02))
    assert not window.map_controls[LATENT].isEnabled()
    assert not state.project_map(LATENT, MapSetup("inputs", "pca"))
    assert "code space" in errors[-1][1] and not state.replaced(LATENT)


def test_a_lab_brings_back_the_maps_setups(qtbot, window, other_window,  # noqa: F811
                                           tiny_digits, tmp_path) -> None:
    state = window.state
    npz = write_npz(tiny_digits, tmp_path / "tiny.npz")
    wait_loaded(qtbot, state, lambda: state.load_dataset(DataSource.parse(npz)))
    train_to_end(qtbot, window)
    project(qtbot, state, LATENT, MapSetup("codes", "tsne", TSNE))
    state.set_probe(LATENT, state.coords[LATENT][5])
    lab_path = state.save_lab_file(tmp_path / "lesson.latentlab")
    other = other_window.state
    wait_loaded(qtbot, other, lambda: other_window.file_actions.open_path(lab_path))
    qtbot.waitUntil(lambda: other.replaced(LATENT) and not other.is_projecting(), timeout=60_000)
    assert other.map_fits[LATENT][0] == MapSetup("codes", "tsne", TSNE)
    np.testing.assert_allclose(other.probes[LATENT], state.coords[LATENT][5])
    assert other_window.map_controls[LATENT].current_setup().method == "tsne"
