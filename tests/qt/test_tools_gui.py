"""Exploration tools in the window: the selection gallery, nearest neighbours, interpolation
paths, the metrics table and the exports."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QFileDialog

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.evaluation.model import score_map
from latentlab.core.files.export import METADATA_FILE, SPRITE_FILE, TENSORS_FILE
from latentlab.core.maps.setup import MapSetup
from latentlab.lab.map_state import LATENT, PIXELS, THIRD
from latentlab.qt.widgets.tools_gallery import GALLERY_MAX

from .conftest import FAST_MODEL, train_to_end

VAE = ModelConfig(family="vae", hidden=(32, 16))
FAST = TrainConfig(epochs=2, snapshot_interval_s=0.02)


def save_to(monkeypatch, target) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))


def test_gallery_shows_the_selection(qtbot, window) -> None:
    lab, tools = window.lab, window.workspace.tools_menu
    window.grab().save("/tmp/tools/tools_window_start.png")
    gallery = tools.gallery
    assert "Nothing selected" in gallery.header.text()
    lab.selection.select(np.arange(7))
    assert gallery.list.count() == 7 and "7 selected" in gallery.header.text()
    first = lab.data.map_indices[0]
    assert gallery.list.item(0).toolTip().startswith(f"#{first} ·")
    assert not gallery.list.item(0).icon().isNull()
    lab.selection.select(np.arange(len(lab.data.map_indices)))
    assert gallery.list.count() == min(GALLERY_MAX, len(lab.data.map_indices))
    # Double-clicking a thumbnail selects that item alone.
    gallery.list.itemDoubleClicked.emit(gallery.list.item(3))
    np.testing.assert_array_equal(lab.selection.items, [3])
    # A tab beside the model and dataset docks, behind the model form until asked for.
    assert tools.gallery_dock in window.tabifiedDockWidgets(window.workspace.dataset_dock)
    tools.show_gallery()
    assert tools.gallery_dock.isVisible()
    window.grab().save("/tmp/tools/tools_gallery_window.png")


def test_nearest_neighbours_in_input_and_latent_space(qtbot, window) -> None:
    lab, tools = window.lab, window.workspace.tools_menu.tools
    lab.selection.select(np.array([5]))
    found = tools.nearest_neighbours("input")
    assert found is not None and len(lab.selection.items) == 10 and 5 in lab.selection.items
    flat = lab.data.dataset.x[lab.data.map_indices].reshape(len(lab.data.map_indices), -1)
    d = np.linalg.norm(flat - flat[5], axis=1)
    assert d[lab.selection.items].max() <= np.sort(d)[9] + 1e-6
    # No model yet: latent neighbours are refused with a message, the selection stays.
    with qtbot.waitSignal(lab.notes.message) as said:
        assert tools.nearest_neighbours("latent") is None
    assert "Train a model" in said.args[0] and len(lab.selection.items) == 10
    train_to_end(qtbot, window)
    lab.selection.select(np.array([5]))
    window.workspace.tools_menu.latent_neighbours_action.trigger()
    assert len(lab.selection.items) == 10 and 5 in lab.selection.items
    d = np.linalg.norm(lab.model.codes - lab.model.codes[5], axis=1)
    assert d[lab.selection.items].max() <= np.sort(d)[9] + 1e-6
    assert window.workspace.tools_menu.gallery.list.count() == 10
    # Nothing selected: the item nearest the latent probe is the anchor.
    lab.selection.clear()
    position, how = tools.anchor()
    near = np.argmin(np.sum((lab.maps[LATENT].coords - lab.maps[LATENT].probe) ** 2, axis=1))
    assert position == near and "latent probe" in how


def test_interpolation_path_for_an_autoencoder(qtbot, window, tmp_path, monkeypatch) -> None:
    lab, menu = window.lab, window.workspace.tools_menu
    dialog = menu.show_interpolation()
    dialog.compute()
    assert dialog.path is None and "Train" in dialog.caption.text()
    train_to_end(qtbot, window)
    lab.selection.select(np.array([0, 9]))
    dialog = menu.show_interpolation()
    path = dialog.path
    assert path is not None and path.methods == ("lerp",)
    assert path.items == (lab.data.map_indices[0], lab.data.map_indices[9])
    assert path.images.shape == (1, 10, 1, 8, 8)
    assert dialog.image.shape == (1, 8, 10 * 9 - 1)
    # The path's ends are the two items' reconstructions.
    recon = lab.model.trained_model.reconstruct(
        __import__("torch").from_numpy(lab.data.dataset.x[list(path.items)])).detach().numpy()
    np.testing.assert_allclose(path.images[0, [0, -1]], recon, atol=1e-5)
    png = tmp_path / "path"
    save_to(monkeypatch, png)
    saved = dialog.save_png()
    assert saved.suffix == ".png"
    with Image.open(saved) as picture:
        assert picture.size == (16 * (10 * 9 - 1), 16 * 8)
    save_to(monkeypatch, tmp_path / "path.gif")
    gif = dialog.save_gif()
    with Image.open(gif) as animation:
        assert animation.n_frames == 2 * 10 - 2 and animation.info.get("loop") == 0
    dialog.grab().save("/tmp/tools/tools_interpolation_ae.png")
    dialog.close()


def test_interpolation_path_for_a_vae_adds_slerp(qtbot, window, tmp_path, monkeypatch) -> None:
    lab, menu = window.lab, window.workspace.tools_menu
    train_to_end(qtbot, window, VAE, FAST)
    lab.selection.select(np.array([2, 40]))
    dialog = menu.show_interpolation()
    dialog.steps.setValue(6)
    path = dialog.compute()
    assert path.methods == ("lerp", "slerp") and path.images.shape == (2, 6, 1, 8, 8)
    assert dialog.image.shape == (1, 2 * 9 - 1, 6 * 9 - 1)
    np.testing.assert_allclose(path.images[0, [0, -1]], path.images[1, [0, -1]], atol=1e-5)
    save_to(monkeypatch, tmp_path / "vae.gif")
    with Image.open(dialog.save_gif()) as animation:
        assert animation.n_frames == 2 * 6 - 2
        assert animation.size[0] > animation.size[1]  # the two paths side by side
    dialog.grab().save("/tmp/tools/tools_interpolation_vae.png")
    dialog.close()


def test_metrics_table_after_training(qtbot, window) -> None:
    menu = window.workspace.tools_menu
    tools = menu.tools
    panel = menu.show_metrics()
    assert panel.table.rowCount() == 0
    # With the panel open, the metrics follow the end of the run by themselves.
    with qtbot.waitSignal(tools.metrics_changed, timeout=30_000,
                          check_params_cb=lambda: not tools.metrics_busy):
        train_to_end(qtbot, window)
    assert panel.table.rowCount() == 2
    assert panel.value(0, 0).startswith("PCA of pixels")
    assert panel.value(1, 0) == "Autoencoder, 2-D code, MLP, epoch 3"
    for row in range(2):
        for col in (1, 2, 3):
            assert 0.0 <= float(panel.value(row, col)) <= 1.0
        assert float(panel.value(row, 4).replace(",", "")) > 0
    # The model's 1-NN against the baseline's: the comparison in one figure.
    assert panel.value(0, 5) == "1.00×"
    ratio = float(panel.value(1, 1)) / float(panel.value(0, 1))
    assert panel.value(1, 5) == f"{ratio:.2f}×"
    # Sample quality: the model's only; the floor it is read against in the row's tooltip.
    assert panel.value(0, 6) == "—" and float(panel.value(1, 6)) >= 0
    assert "the floor" in panel.table.item(1, 6).toolTip()
    assert "test items" in panel.status.text() and panel.compute_button.isEnabled()
    # A second model joins the table; the baseline of the same code size is not repeated.
    with qtbot.waitSignal(tools.metrics_changed, timeout=30_000,
                          check_params_cb=lambda: not tools.metrics_busy):
        train_to_end(qtbot, window, VAE, FAST)
    assert panel.table.rowCount() == 3 and panel.value(2, 0) == "VAE, 2-D code, MLP, epoch 2"
    # A t-SNE map on show gets its row: scored like the others, on its own coordinates.
    lab = window.lab
    with qtbot.waitSignal(lab.maps[THIRD].projection_changed, timeout=60_000,
                          check_params_cb=lambda: not lab.maps.is_projecting()):
        assert lab.maps.project(THIRD, MapSetup("codes", "tsne", {"perplexity": 20.0,
                                                                  "max_iter": 250}))
    with qtbot.waitSignal(tools.metrics_changed, timeout=30_000,
                          check_params_cb=lambda: not tools.metrics_busy):
        assert tools.compute_metrics()
    assert panel.table.rowCount() == 4
    assert panel.value(3, 0) == "t-SNE of codes (VAE, 2-D code, MLP, epoch 2)"
    expected = score_map("t-SNE", lab.maps[THIRD].coords, lab.data.map_indices, lab.data.dataset)
    assert float(panel.value(3, 1)) == pytest.approx(expected["knn1"], abs=5e-4)
    assert float(panel.value(3, 3)) == pytest.approx(expected["trustworthiness"], abs=5e-4)
    assert panel.value(3, 4) == "—"  # no inverse: no reconstruction error
    window.grab().save("/tmp/tools/tools_metrics_window.png")
    panel.grab().save("/tmp/tools/tools_metrics_panel.png")


def test_metrics_refused_without_a_model(qtbot, window) -> None:
    tools = window.workspace.tools_menu.tools
    assert not tools.compute_metrics()
    assert "Train or open a model" in window.workspace.tools_menu.metrics_panel.status.text()


@pytest.mark.parametrize("fmt", ["csv", "projector"])
def test_export_embeddings(qtbot, window, tmp_path, monkeypatch, fmt) -> None:
    lab, menu = window.lab, window.workspace.tools_menu
    train_to_end(qtbot, window, FAST_MODEL, FAST)
    n = lab.data.dataset.n
    if fmt == "csv":
        save_to(monkeypatch, tmp_path / "codes")
        with qtbot.waitSignal(menu.tools.exported, timeout=30_000) as done:
            menu.csv_action.trigger()
        (path,) = done.args[0]
        assert path == tmp_path / "codes.csv"
        with path.open() as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == n and {"index", "split", "label", "z1", "z2"} <= set(rows[0])
    else:
        folder = tmp_path / "projector"
        monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
        with qtbot.waitSignal(menu.tools.exported, timeout=30_000):
            menu.projector_action.trigger()
        tensors = (folder / TENSORS_FILE).read_text().splitlines()
        assert len(tensors) == n and len(tensors[0].split("\t")) == 2
        assert len((folder / METADATA_FILE).read_text().splitlines()) == n + 1  # + header
        with Image.open(folder / SPRITE_FILE) as sprite:
            assert sprite.size[0] == sprite.size[1] > 0


def test_export_refuses_during_training_and_reports_errors(qtbot, window, tmp_path) -> None:
    lab, tools = window.lab, window.workspace.tools_menu.tools
    with qtbot.waitSignal(lab.notes.message) as said:
        assert not tools.export_embeddings("csv", tmp_path / "x.csv")
    assert "Train or open a model" in said.args[0]
    train_to_end(qtbot, window, FAST_MODEL, FAST)
    (tmp_path / "taken.csv").mkdir()  # a folder where the file would go
    with qtbot.waitSignal(lab.notes.error, timeout=30_000) as failed:
        tools.export_embeddings("csv", tmp_path / "taken.csv")
    assert "taken.csv" in failed.args[1] and "folder" in failed.args[1]


def test_maps_and_panels_as_png(qtbot, window, tmp_path, monkeypatch) -> None:
    menu = window.workspace.tools_menu
    assert {a.text() for a in window.menuBar().actions()} >= {"&File", "&Tools"}
    assert len(menu.map_menu.actions()) == len(window.workspace.maps)
    save_to(monkeypatch, tmp_path / "map.png")
    path = menu.save_map_png(PIXELS)
    with Image.open(path) as picture:
        assert picture.size[0] > 100
    save_to(monkeypatch, tmp_path / "probe.png")
    with Image.open(menu.save_panel_png("probe")) as picture:
        assert picture.size[0] > 100
    save_to(monkeypatch, tmp_path / "nowhere" / "probe.png")
    with qtbot.waitSignal(window.lab.notes.error) as failed:
        assert menu.save_panel_png("probe") is None
    assert "nowhere" in failed.args[1]


def test_text_gallery_neighbours_and_no_interpolation(qtbot, window, tmp_path) -> None:
    from latentlab.core.data.source import DataSource

    from .test_datasets_gui import wait_loaded, write_corpus

    lab, menu = window.lab, window.workspace.tools_menu
    root = write_corpus(tmp_path / "notes")
    wait_loaded(qtbot, lab, lambda: lab.data.load(DataSource.parse(root)))
    lab.selection.select(np.array([0]))
    menu.input_neighbours_action.trigger()
    assert len(lab.selection.items) == 10 and 0 in lab.selection.items
    gallery = menu.gallery
    assert gallery.list.count() == 10
    first = int(lab.data.map_indices[lab.selection.items[0]])
    assert gallery.list.item(0).text().startswith(f"#{first} ")
    assert "text" in menu.tools.interpolation_problem()
    gallery.grab().save("/tmp/tools/tools_gallery_text.png")
