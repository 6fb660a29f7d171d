"""GANs in the window: the code panel steers the generator, the maps say what a GAN lacks."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtWidgets import QFileDialog

from latentlab.config import ModelConfig, TrainConfig
from latentlab.lab.map_state import LATENT
from latentlab.qt.widgets.legend import ClassLegend
from latentlab.qt.widgets.map_view import NO_ENCODER_TEXT

from .conftest import drag, train_to_end

INFOGAN = ModelConfig(family="infogan", hidden=(32, 16), noise_dim=6, n_categories=4,
                      n_continuous=2)
GAN = ModelConfig(family="gan", hidden=(32, 16), noise_dim=6)
FAST = TrainConfig(epochs=2, snapshot_interval_s=0.02)


def decoded_after(qtbot, lab, action) -> np.ndarray:
    with qtbot.waitSignal(lab.maps[LATENT].decoded, timeout=5000):
        action()
    return lab.maps[LATENT].image.copy()


def test_infogan_code_panel_sliders_and_category_change_the_image(qtbot, window) -> None:
    lab = window.lab
    train_to_end(qtbot, window, INFOGAN, FAST)
    # The category accuracy is drawn live in the loss plot, the latest value in its title.
    xs, ys = window.workspace.loss_plot.points[("score", "category_accuracy")]
    assert xs == [1.0, 2.0] and all(0.0 <= y <= 1.0 for y in ys)
    assert "category accuracy" in window.workspace.loss_plot.score_label.text()
    panel = window.workspace.code_panel
    assert panel.isVisible() and panel.category.count() == 4 and len(panel.sliders) == 2
    assert window.workspace.outputs.currentWidget() is window.workspace.sample_grid
    assert window.workspace.sample_grid.tile.array is not None  # the live sample grid was drawn
    start = lab.maps[LATENT].image.copy()
    slid = decoded_after(qtbot, lab, lambda: panel.sliders[0].setValue(150))
    assert not np.allclose(slid, start)
    assert lab.generator.code.continuous[0] == 1.5 and panel.values[0].text() == "+1.50"
    # The probe on Q's map shows the same code: the sliders and the probe are one control.
    np.testing.assert_allclose(lab.maps[LATENT].probe, lab.generator.code.continuous, atol=1e-6)
    other = (lab.generator.code.category + 1) % 4
    recategorised = decoded_after(qtbot, lab, lambda: panel.category.setCurrentIndex(other))
    assert lab.generator.code.category == other and not np.allclose(recategorised, slid)
    noise = lab.generator.code.noise.copy()
    renoised = decoded_after(qtbot, lab, panel.new_noise.click)
    assert not np.allclose(lab.generator.code.noise, noise) and not np.allclose(renoised, slid)


def test_locked_noise_stays_while_unlocked_noise_is_redrawn(qtbot, window) -> None:
    lab = window.lab
    train_to_end(qtbot, window, INFOGAN, FAST)
    noise = lab.generator.code.noise.copy()
    window.workspace.code_panel.sliders[1].setValue(-120)
    np.testing.assert_array_equal(lab.generator.code.noise, noise)
    window.workspace.code_panel.lock_noise.setChecked(False)
    window.workspace.code_panel.sliders[1].setValue(80)
    assert not np.allclose(lab.generator.code.noise, noise)


def test_dragging_the_probe_on_q_map_moves_the_sliders(qtbot, window) -> None:
    lab = window.lab
    train_to_end(qtbot, window, INFOGAN, FAST)
    view = window.workspace.maps[LATENT]
    assert "through Q" in view.title.text()
    x0, y0 = lab.maps[LATENT].probe
    lo, hi = view.view_box.viewRange()[0]
    target = (x0 + 0.3 * (hi - lo), y0)
    before = lab.maps[LATENT].image.copy()
    with qtbot.waitSignal(lab.maps[LATENT].decoded, timeout=5000):
        drag(qtbot, view, [(x0, y0), ((x0 + target[0]) / 2, y0), target])
    code = lab.generator.code.continuous
    np.testing.assert_allclose(code, lab.maps[LATENT].probe, atol=1e-5)
    assert window.workspace.code_panel.values[0].text() == f"{code[0]:+.2f}"
    assert not np.allclose(lab.maps[LATENT].image, before)


def test_colour_by_predicted_category(qtbot, window) -> None:
    lab = window.lab
    train_to_end(qtbot, window, INFOGAN, FAST)
    assert lab.model.categories is not None
    window.workspace.colour_by.setCurrentIndex(window.workspace.colour_by.findData("category"))
    assert lab.colouring.colour_by == "category"
    names = [entry.text() for entry in window.findChild(ClassLegend).entries]
    assert any("category 3" in name for name in names)
    # A new autoencoder predicts no categories: back to the dataset's classes.
    train_to_end(qtbot, window)
    assert lab.colouring.colour_by == "label"
    assert not window.workspace.colour_by.model().item(1).isEnabled()


def test_traversal_grid_shows_and_exports_png(qtbot, window, tmp_path, monkeypatch) -> None:
    train_to_end(qtbot, window, INFOGAN, FAST)
    window.workspace.code_panel.traversal_button.click()
    dialog = window.workspace.code_panel.traversal
    assert dialog is not None and dialog.isVisible()
    grid = dialog.image
    # Rows = 4 categories, columns = the sweep, 8×8 digits with 1-pixel gaps.
    assert grid.shape == (1, 4 * 9 - 1, 9 * 9 - 1)
    target = tmp_path / "traversal.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    dialog.save_button.click()
    with Image.open(target) as picture:
        assert picture.size == (4 * (9 * 9 - 1), 4 * (4 * 9 - 1))
    dialog.close()


def test_plain_gan_map_is_a_noise_slice_without_real_items(qtbot, window) -> None:
    lab = window.lab
    train_to_end(qtbot, window, GAN, FAST)
    view = window.workspace.maps[LATENT]
    assert len(view.scatter) == 0 and view.placeholder.isVisible()
    assert view.placeholder.toPlainText() == NO_ENCODER_TEXT
    assert "no encoder" in view.title.text()
    assert not window.workspace.code_panel.category.isEnabled()
    before = lab.maps[LATENT].image.copy()
    with qtbot.waitSignal(lab.maps[LATENT].decoded, timeout=5000):
        x, y = lab.maps[LATENT].probe
        drag(qtbot, view, [(x, y), (x + 0.5, y + 0.2), (x + 1.0, y + 0.4)])
    np.testing.assert_allclose(lab.generator.code.noise[:2], lab.maps[LATENT].probe, atol=1e-6)
    assert not np.allclose(lab.maps[LATENT].image, before)
    dragged = lab.maps[LATENT].image.copy()
    sampled = decoded_after(qtbot, lab, lab.maps.sample_random)
    assert not np.allclose(sampled, dragged)
    np.testing.assert_allclose(lab.maps[LATENT].probe, lab.generator.code.noise[:2], atol=1e-6)


def test_form_refuses_settings_a_gan_cannot_use(qtbot, window) -> None:
    panel = window.workspace.training_panel
    panel.family.setCurrentIndex(panel.family.findData("infogan"))
    assert panel.infogan_box.isVisible() and panel.gan_box.isVisible()
    assert not panel.latent.isEnabled()
    assert panel.architecture.itemText(panel.architecture.findData("conv")) == "DCGAN"
    panel.codes.categories.setValue(1)
    assert "Categories K" in panel.problems.text() and not panel.train_button.isEnabled()
    panel.codes.categories.setValue(10)
    panel.codes.info_weight.setValue(-1.0)
    assert "Information weight λ" in panel.problems.text()
    panel.codes.info_weight.setValue(1.0)
    panel.architecture.setCurrentIndex(panel.architecture.findData("conv"))
    assert "DCGAN builds 28×28 or 32×32" in panel.problems.text()
    panel.architecture.setCurrentIndex(panel.architecture.findData("mlp"))
    assert panel.train_button.isEnabled()
    panel.family.setCurrentIndex(panel.family.findData("ae"))
    assert not panel.gan_box.isVisible() and panel.latent.isEnabled()


def test_form_round_trips_the_gan_objectives_and_stabilisers(qtbot, window) -> None:
    panel = window.workspace.training_panel
    panel.family.setCurrentIndex(panel.family.findData("gan"))
    remedies = panel.remedies
    assert remedies.r1.isVisible() and "R1" in remedies.r1.toolTip()
    assert "WGAN-GP" in panel.gan_loss.toolTip()
    assert "over the run" in remedies.instance_noise.toolTip()
    assert remedies.unrolled.isVisible() and "Metz" in remedies.unrolled.toolTip()
    for loss in ("least_squares", "hinge", "wgan_gp"):
        panel.gan_loss.setCurrentIndex(panel.gan_loss.findData(loss))
        assert panel.configs()[0].gan_loss == loss
    remedies.r1.setValue(10.0)
    remedies.instance_noise.setValue(0.25)
    remedies.minibatch_features.setValue(16)
    remedies.unrolled.setValue(3)
    model, _ = panel.configs()
    assert (model.r1, model.instance_noise, model.minibatch_features, model.unrolled) == \
        (10.0, 0.25, 16, 3)
    remedies.instance_noise.setValue(-1.0)
    assert "Instance noise σ" in panel.problems.text() and not panel.train_button.isEnabled()
    remedies.unrolled.setValue(-1)
    assert "Unrolled D steps" in panel.problems.text()
    panel.recommended_button.click()
    model, _ = panel.configs()
    assert (model.r1, model.instance_noise, model.minibatch_features, model.unrolled) == \
        (0.0, 0.0, 0, 0)


def test_conditional_gan_class_picker_and_a_row_per_class(qtbot, window) -> None:
    lab = window.lab
    panel = window.workspace.training_panel
    panel.family.setCurrentIndex(panel.family.findData("cgan"))
    model, _ = panel.configs()
    assert model.family == "cgan" and model.n_categories == 10  # the digits' classes
    train_to_end(qtbot, window, ModelConfig(family="cgan", hidden=(32, 16), noise_dim=6,
                                            n_categories=10), FAST)
    code_panel = window.workspace.code_panel
    assert code_panel.isVisible() and code_panel.category.isEnabled()
    assert code_panel.category.count() == 10 and code_panel.category.itemText(7) == "7"
    assert code_panel.form.labelForField(code_panel.category).text() == "Class"
    assert not code_panel.traversal_button.isEnabled() and not code_panel.sliders
    start = lab.maps[LATENT].image.copy()
    other = (lab.generator.code.category + 1) % 10
    changed = decoded_after(qtbot, lab, lambda: code_panel.category.setCurrentIndex(other))
    assert lab.generator.code.category == other and not np.allclose(changed, start)
    grid = window.workspace.sample_grid.tile.array
    assert grid is not None and grid.shape[-2] > grid.shape[-1]  # 10 rows of 8: taller than wide


def test_conditional_vae_class_picker_redecodes_every_probe(qtbot, window) -> None:
    lab = window.lab
    panel = window.workspace.training_panel
    panel.family.setCurrentIndex(panel.family.findData("cvae"))
    model, _ = panel.configs()
    assert model.family == "cvae" and model.n_categories == 10  # the digits' classes
    assert panel.vae_box.isVisibleTo(panel)  # β and the likelihood apply
    train_to_end(qtbot, window, ModelConfig(family="cvae", hidden=(32, 16), latent_dim=2,
                                            n_categories=10), FAST)
    code_panel = window.workspace.code_panel
    assert code_panel.isVisible() and code_panel.category.isEnabled()
    assert code_panel.category.count() == 10 and code_panel.category.itemText(7) == "7"
    assert not code_panel.new_noise.isVisible() and not code_panel.traversal_button.isVisible()
    assert "another digit" in code_panel.hint.text()
    assert window.workspace.outputs.currentWidget() is window.workspace.sample_grid
    grid = window.workspace.sample_grid.tile.array
    assert grid is not None and grid.shape[-2] > grid.shape[-1]  # 10 rows of 8
    assert window.workspace.sample_grid.title.text().endswith("one class per row")
    start = lab.maps[LATENT].image.copy()
    changed = decoded_after(qtbot, lab, lambda: code_panel.category.setCurrentIndex(7))
    assert lab.generator.decode_class == 7 and not np.allclose(changed, start)
    # The probe stays where it was: only the class the decoder is given changed.
    assert lab.maps[LATENT].coords is not None and len(lab.maps[LATENT].coords) > 0
    said: list[str] = []
    lab.notes.message.connect(said.append)
    random = decoded_after(qtbot, lab, lab.maps.sample_random)  # a prior code, as a 7
    assert said == ["Random sample from the prior N(0, I)."] and random.shape == (1, 8, 8)
    # A path between a 0 and a 1 morphs the code and the class the decoder is given.
    zero, one = (int(np.flatnonzero(lab.data.dataset.labels == k)[0]) for k in (0, 1))
    path = lab.tools.interpolate(zero, one, n_steps=5)
    assert path is not None and path.methods == ("lerp",) and path.images.shape == (1, 5, 1, 8, 8)
    assert not np.allclose(path.images[0, 0], path.images[0, -1])
