"""The model form proposes the recommended settings and its Recommended button puts them back."""

from __future__ import annotations

from latentlab.config import MODEL_FAMILIES, WINDOW_FAMILIES
from latentlab.core.training.recipes import recommended_settings
from tests.conftest import blobs_dataset


def test_recommended_button_puts_the_recipe_back(qtbot, window) -> None:
    panel = window.workspace.training_panel
    model, train = recommended_settings("ae", "image")
    assert panel.epochs.value() == train.epochs and panel.batch.value() == train.batch_size
    panel.epochs.setValue(3)
    panel.hidden.setText("7")
    panel.learning_rate.setText("0.5")
    panel.recommended_button.click()
    assert panel.epochs.value() == train.epochs
    assert panel.hidden.text() == ", ".join(map(str, model.hidden))
    assert float(panel.learning_rate.text()) == train.learning_rate
    form_model, form_train = panel.configs()
    # What the form does not show follows the recipe too.
    assert form_model.batch_norm == model.batch_norm
    assert form_model.input_dropout == model.input_dropout
    assert form_train.lr_schedule == train.lr_schedule


def test_choosing_a_model_type_fills_in_its_recipe(qtbot, window) -> None:
    panel = window.workspace.training_panel
    panel.family.setCurrentIndex(panel.family.findData("umap_ae"))
    model, train = recommended_settings("umap_ae", "image")
    assert panel.umap_box.isVisible() and not panel.vae_box.isVisible()
    assert panel.umap_weight.value() == model.umap_weight
    assert panel.batch.value() == train.batch_size
    form_model, form_train = panel.configs()
    assert form_model.family == "umap_ae" and form_model.hidden == model.hidden
    assert form_train.learning_rate == train.learning_rate
    panel.umap_weight.setValue(-1.0)
    assert "UMAP weight" in panel.problems.text() and not panel.train_button.isEnabled()


def test_the_form_offers_every_model_type_but_the_translators(qtbot, window) -> None:
    """pix2pix and CycleGAN have workspaces of their own."""
    family = window.workspace.training_panel.family
    offered = [family.itemData(i) for i in range(family.count())]
    assert offered == list(WINDOW_FAMILIES) == [
        f for f in MODEL_FAMILIES if f not in ("pix2pix", "cyclegan")]


def test_images_of_another_size_fill_in_their_recipe(qtbot, window) -> None:
    """InfoGAN on 8×8 digits is an MLP (the DCGAN builds 28×28 and 32×32); 28×28 images bring
    the DCGAN's recipe, and Train stays enabled both times."""
    panel = window.workspace.training_panel
    panel.family.setCurrentIndex(panel.family.findData("infogan"))
    assert panel.architecture.currentData() == "mlp" and panel.train_button.isEnabled()
    window.lab.data.set_dataset(blobs_dataset(n=32, side=28))
    model, train = recommended_settings("infogan", "image", (1, 28, 28))
    assert panel.architecture.currentData() == "conv" == model.architecture
    assert panel.codes.noise_scale.value() == model.noise_scale
    assert panel.epochs.value() == train.epochs and panel.train_button.isEnabled()


def test_an_opened_checkpoint_shows_its_settings_in_the_form(qtbot, window, trained) -> None:
    """The form shows the model that is loaded, not the recipe of the type chosen before."""
    panel, lab = window.workspace.training_panel, window.lab
    panel.family.setCurrentIndex(panel.family.findData("vae"))
    assert lab.files.open_model(trained)
    qtbot.waitUntil(lambda: lab.model.finished_model() is not None, timeout=20_000)
    assert panel.family.currentData() == "ae" and panel.hidden.text() == "32"
    assert panel.batch.value() == 128 and not panel.vae_box.isVisible()
    assert panel.configs()[0].hidden == (32,) and panel.train_button.isEnabled()
