"""The window fits a 1280×720 projector in every mode, and says what is true after a change."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data.dataset import Dataset, random_split
from latentlab.core.maps.setup import MapSetup
from latentlab.lab.map_state import THIRD, progress_steps
from latentlab.qt.widgets.image_panels import coordinate

from .conftest import FAST_MODEL, shown_window, train_to_end

PROJECTOR = QSize(1280, 720)
INFOGAN = ModelConfig(family="infogan", hidden=(32, 16), noise_dim=6, n_categories=4,
                      n_continuous=2)
FAST = TrainConfig(epochs=2, snapshot_interval_s=0.02)


def text_corpus(n_classes: int, per_class: int = 4, words: int = 40) -> Dataset:
    """Word vectors of ``n_classes`` topics with long names, as a text corpus loads them."""
    rng = np.random.default_rng(0)
    n = n_classes * per_class
    x = rng.random((n, 1, 1, words), dtype=np.float32)
    x /= x.sum(-1, keepdims=True)
    names = tuple(f"section-{i}-{'long' * (i % 3)}" for i in range(n_classes))
    return Dataset(f"{n_classes} topics", x, np.arange(n) % n_classes, names,
                   random_split(n, 0.25, seed=0), vocabulary=tuple(f"w{i}" for i in range(words)))


def fits(win) -> bool:
    win.layout().activate()
    hint = win.minimumSizeHint().expandedTo(win.minimumSize())
    return hint.width() <= PROJECTOR.width() and hint.height() <= PROJECTOR.height()


def test_the_window_fits_a_projector_in_every_mode(qtbot, tiny_digits) -> None:
    win = shown_window(qtbot, 1280)
    lab, workspace = win.lab, win.workspace
    lab.data.set_dataset(tiny_digits)
    with qtbot.waitSignal(lab.maps[THIRD].projection_changed, timeout=60_000,
                          check_params_cb=lambda: not lab.maps.is_projecting(THIRD)):
        workspace.show_third_map(True)
    assert fits(win), win.minimumSizeHint()
    # InfoGAN chosen, then trained: its code panel and sample grid join the bottom row.
    form = workspace.training_panel
    form.family.setCurrentIndex(form.family.findData("infogan"))
    assert fits(win), win.minimumSizeHint()
    train_to_end(qtbot, win, INFOGAN, FAST)
    assert workspace.code_panel.isVisible() and fits(win), win.minimumSizeHint()
    # Nineteen classes wrap the legend onto more rows; each has its own colour.
    lab.data.set_dataset(text_corpus(19))
    legend = workspace.maps_legend
    qtbot.waitUntil(lambda: len(legend.entries) == 19)
    assert fits(win), win.minimumSizeHint()
    qtbot.waitUntil(lambda: len({entry.geometry().top() for entry in legend.entries}) > 1)
    assert not legend.repeat_note.isVisible()
    assert all(e.geometry().right() <= legend.width() for e in legend.entries)
    lab.data.set_dataset(text_corpus(23, per_class=2))
    qtbot.waitUntil(lambda: len(legend.entries) == 23)
    assert legend.repeat_note.isVisible()
    assert legend.repeat_note.text() == "colours repeat after 20 classes"
    win.close()


def test_the_loss_plot_starts_empty_on_a_new_dataset(qtbot, window, tiny_digits) -> None:
    train_to_end(qtbot, window, INFOGAN, FAST)
    plot = window.workspace.loss_plot
    assert "D loss" in plot.legend.names() and plot.score_label.isVisible()
    window.lab.data.set_dataset(tiny_digits)
    assert plot.curves == {} and plot.legend.entries == [] and not plot.score_label.isVisible()


def test_a_map_being_computed_says_so_with_a_bar(qtbot, window) -> None:
    lab, controls = window.lab, window.workspace.map_controls[THIRD]
    window.workspace.show_third_map(True)
    title = lab.maps[THIRD].title
    assert title.startswith("t-SNE of pixels") and title.endswith("computing…")
    assert controls.progress.isVisible()
    qtbot.waitUntil(lambda: not lab.maps.is_projecting(THIRD), timeout=60_000)
    assert not controls.progress.isVisible() and "computing" not in lab.maps[THIRD].title
    # Another method: its name at once, and the old title back when it is cancelled.
    before = lab.maps[THIRD].title
    with qtbot.waitSignal(lab.maps[THIRD].projection_changed, timeout=60_000,
                          check_params_cb=lambda: not lab.maps.is_projecting(THIRD)):
        assert lab.maps.project(THIRD, MapSetup("inputs", "pca"))
        assert "computing" in lab.maps[THIRD].title or not lab.maps.is_projecting(THIRD)
    assert lab.maps[THIRD].title != before
    assert progress_steps("t-SNE: layout iteration 1,250 of 1,500") == (1250, 1500)
    assert progress_steps("UMAP: layout epoch 80 of 200") == (80, 200)
    assert progress_steps("t-SNE: finding nearest neighbours (5,000 items)") is None


def test_an_opened_model_shows_the_epochs_it_was_trained(qtbot, window, tmp_path) -> None:
    lab = window.lab
    with qtbot.waitSignal(lab.model.epoch_ended, timeout=60_000):
        lab.model.start_training(FAST_MODEL, TrainConfig(epochs=1000, snapshot_interval_s=0.02))
    lab.model.stop()
    qtbot.waitUntil(lambda: not lab.model.training, timeout=30_000)
    path = lab.files.save_model(tmp_path / "stopped.safetensors")
    assert path is not None and lab.files.open_model(path)
    qtbot.waitUntil(lambda: lab.files.opening is None and lab.model.path == path, timeout=10_000)
    form = window.workspace.training_panel
    assert 1 <= form.epochs.value() == lab.model.epoch < 1000
    assert form.progress_label.text().startswith(f"Opened: trained {lab.model.epoch} of the 1000")


def test_captions_keep_numbers_short_and_text_whole_in_the_tooltip(qtbot, window) -> None:
    assert [coordinate(v) for v in (0.5, 1.2e19, float("nan"))] == ["+0.50", "+1.2e+19", "NaN"]
    window.workspace.show_third_map(True)
    qtbot.waitUntil(lambda: not window.lab.maps.is_projecting(THIRD), timeout=60_000)
    caption = window.workspace.probe_panel.captions[THIRD]
    caption.resize(80, caption.height())
    assert caption.is_elided() and caption.text() in caption.toolTip()


def test_another_model_type_on_text_falls_back_to_a_valid_architecture(qtbot, window) -> None:
    window.lab.data.set_dataset(text_corpus(3))
    form = window.workspace.training_panel
    form.family.setCurrentIndex(form.family.findData("gan"))
    form.architecture.setCurrentIndex(form.architecture.findData("conv"))
    assert not form.train_button.isEnabled()  # a DCGAN over words: refused, and said why
    form.family.setCurrentIndex(form.family.findData("ae"))
    assert form.architecture.currentData() == "mlp" and form.train_button.isEnabled()
