from __future__ import annotations

import subprocess
import sys

import numpy as np
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QMessageBox

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.training.events import StepProgress
from latentlab.lab.map_state import LATENT, PIXELS

from .conftest import MOVE_INTERVAL_MS, drag, line, send_mouse, to_viewport, train_to_end


def test_window_opens_on_the_dataset(window, tiny_digits) -> None:
    assert window.windowTitle() == "latentlab"
    pixels, latent = window.workspace.maps[PIXELS], window.workspace.maps[LATENT]
    assert len(pixels.scatter) == tiny_digits.n  # one point per item
    assert len(latent.scatter) == 0 and latent.placeholder.isVisible()
    assert "PCA of pixels" in pixels.title.text()
    assert window.workspace.dataset_label.text().startswith("tiny digits")
    # The PCA probe starts at the origin, which decodes to the mean image.
    np.testing.assert_allclose(window.workspace.probe_panel.tiles[PIXELS].array[0],
                               tiny_digits.x[tiny_digits.train_indices].mean(0)[0], atol=1e-5)


def test_training_runs_live_and_fills_both_maps(qtbot, window, tiny_digits) -> None:
    progress: list[StepProgress] = []
    window.lab.model.progress.connect(progress.append)
    train_to_end(qtbot, window)
    assert progress and progress[-1].global_step == progress[-1].total_steps
    latent = window.workspace.maps[LATENT]
    qtbot.waitUntil(lambda: len(latent.scatter) == tiny_digits.n)
    assert window.lab.maps[LATENT].coords.shape == (tiny_digits.n, 2)
    assert not latent.placeholder.isVisible()
    assert window.workspace.training_panel.progress_bar.value() == progress[-1].total_steps
    assert window.workspace.training_panel.progress_label.text().startswith("Finished: 3 epoch(s)")
    assert window.lab.model.status.state == "idle"
    curves = window.workspace.loss_plot.points
    assert len(curves[("train", "loss")][1]) >= 1 and len(curves[("test", "loss")][1]) == 3
    assert all(tile.array is not None for tile in window.workspace.recon_strip.recons)


def test_vae_plots_reconstruction_and_kl_separately(qtbot, window) -> None:
    train_to_end(qtbot, window, ModelConfig(family="vae", hidden=(32,)))
    assert {term for _split, term in window.workspace.loss_plot.curves} == {"loss", "recon", "kl"}
    assert len(window.workspace.loss_plot.points[("test", "kl")][1]) == 3


def test_dragging_the_probe_decodes_live(qtbot, window) -> None:
    train_to_end(qtbot, window)
    lab, view = window.lab, window.workspace.maps[LATENT]
    tile = window.workspace.probe_panel.tiles[LATENT]
    start = lab.maps[LATENT].probe.copy()
    before = tile.array.copy()
    coords = lab.maps[LATENT].coords
    target = coords[np.argmax(np.linalg.norm(coords - start, axis=1))]
    drag(qtbot, view, line(start, target))
    qtbot.waitUntil(lambda: not np.allclose(lab.maps[LATENT].probe, start), timeout=3000)
    moved = lab.maps[LATENT].probe
    assert np.linalg.norm(moved - target) < 0.1 * np.linalg.norm(target - start)
    qtbot.waitUntil(lambda: not np.allclose(tile.array, before), timeout=3000)
    # The image shown is the GUI's own decoder at the probe's code.
    expected = lab.model.live_model.decode(
        __import__("torch").from_numpy(lab.maps.latent_map.inverse_transform(moved)))[0]
    np.testing.assert_allclose(tile.array, expected.detach().numpy(), atol=1e-5)


def test_dragging_on_the_pca_map_shows_the_linear_reconstruction(qtbot, window) -> None:
    lab, view = window.lab, window.workspace.maps[PIXELS]
    coords = lab.maps[PIXELS].coords
    drag(qtbot, view, line(np.zeros(2), coords[0]))
    xy = lab.maps[PIXELS].probe
    assert np.linalg.norm(xy - coords[0]) < 0.2
    lab.maps.decode_now()
    expected = lab.data.baseline.mean_ + xy @ lab.data.baseline.components_
    np.testing.assert_allclose(window.workspace.probe_panel.tiles[PIXELS].array.ravel(), expected,
                               atol=1e-5)


def test_box_selection_is_linked_across_maps(qtbot, window) -> None:
    train_to_end(qtbot, window)
    lab = window.lab
    window.workspace.tool_actions["box"].trigger()
    assert lab.selection.tool == "box" and window.workspace.maps[LATENT].view_box.tool == "box"
    coords = lab.maps[PIXELS].coords
    lo, hi = np.percentile(coords, 20, axis=0), np.percentile(coords, 80, axis=0)
    drag(qtbot, window.workspace.maps[PIXELS], line(lo, hi))
    inside = np.flatnonzero(np.all((coords >= lo - 0.05) & (coords <= hi + 0.05), axis=1))
    assert len(lab.selection.items) > 0 and set(lab.selection.items) <= set(inside)
    # The other map highlights the same items at their own coordinates.
    np.testing.assert_allclose(window.workspace.maps[LATENT].highlight.pos[:, 0],
                               lab.maps[LATENT].coords[lab.selection.items, 0])
    assert window.workspace.selection_label.text().strip() == f"{len(lab.selection.items)} selected"
    chosen = lab.selection.items.copy()
    train_to_end(qtbot, window)  # a new model keeps the selection: it names dataset items
    np.testing.assert_array_equal(lab.selection.items, chosen)
    assert len(window.workspace.maps[LATENT].highlight) == len(chosen)
    lab.selection.clear()
    assert len(window.workspace.maps[LATENT].highlight) == 0


def test_lasso_selection_with_shift_adds(qtbot, window) -> None:
    lab = window.lab
    lab.selection.set_tool("lasso")
    coords = lab.maps[PIXELS].coords
    c = coords.mean(0)
    r = coords.std(0) * 0.6
    ring = [tuple(c + r * (np.cos(t), np.sin(t))) for t in np.linspace(0, 2 * np.pi, 24)]
    drag(qtbot, window.workspace.maps[PIXELS], ring)
    first = lab.selection.items.copy()
    assert len(first) > 0
    # A second, small lasso around an unselected point well inside the view; the square is a few
    # percent of the data's span so it is many pixels wide whatever the data's scale.
    outside = np.setdiff1d(np.arange(len(coords)), first)
    target = coords[outside[np.argmin(np.linalg.norm(coords[outside] - c, axis=1))]]
    half = 0.03 * np.ptp(coords, axis=0)
    square = [tuple(target + half * d) for d in [(-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)]]
    drag(qtbot, window.workspace.maps[PIXELS], square, Qt.KeyboardModifier.ShiftModifier)
    assert set(first) < set(lab.selection.items)


def test_hover_shows_the_item_image(qtbot, window, tiny_digits) -> None:
    view = window.workspace.maps[PIXELS]
    x, y = window.lab.maps[PIXELS].coords[7]
    item = window.lab.data.map_indices[7]
    hits = np.flatnonzero(np.all(np.isclose(window.lab.maps[PIXELS].coords, (x, y)), axis=1))
    send_mouse(view.plot.viewport(), QEvent.Type.MouseMove, to_viewport(view, x, y),
               Qt.MouseButton.NoButton)
    qtbot.waitUntil(view.hover_tile.isVisible, timeout=2000)
    shown = view.hover_tile.array
    assert any(np.array_equal(shown, tiny_digits.x[window.lab.data.map_indices[h]]) for h in hits)
    assert f"#{item}" in view.hover_caption.text() or len(hits) > 1


def test_no_hover_preview_while_dragging_the_probe(qtbot, window) -> None:
    view, lab = window.workspace.maps[PIXELS], window.lab
    viewport, left = view.plot.viewport(), Qt.MouseButton.LeftButton
    start = lab.maps[PIXELS].probe.copy()
    coords = lab.maps[PIXELS].coords
    path = [to_viewport(view, *p) for p in np.linspace(start, coords[7], 10)]
    send_mouse(viewport, QEvent.Type.MouseButtonPress, path[0], left)
    for point in path[1:]:
        qtbot.wait(MOVE_INTERVAL_MS)
        send_mouse(viewport, QEvent.Type.MouseMove, point, left)
        assert not view.hover_tile.isVisible()  # the drag passes over points: no preview
    send_mouse(viewport, QEvent.Type.MouseButtonRelease, path[-1], Qt.MouseButton.NoButton)
    assert not np.allclose(lab.maps[PIXELS].probe, start)  # it was a probe drag
    # Moving on without a button: the preview is back.
    qtbot.wait(MOVE_INTERVAL_MS)
    send_mouse(viewport, QEvent.Type.MouseMove, to_viewport(view, *coords[7]),
               Qt.MouseButton.NoButton)
    qtbot.waitUntil(view.hover_tile.isVisible, timeout=2000)


def test_random_sample_moves_the_probe_and_decodes(qtbot, window) -> None:
    window.lab.maps.sample_random()  # before training: a message, nothing else
    train_to_end(qtbot, window, ModelConfig(family="vae", hidden=(32,)))
    lab = window.lab
    before = lab.maps[LATENT].probe.copy()
    messages: list[str] = []
    lab.notes.message.connect(messages.append)
    lab.maps.sample_random()
    lab.maps.decode_now()
    assert not np.allclose(lab.maps[LATENT].probe, before)
    assert "prior" in messages[-1]
    assert window.workspace.probe_panel.tiles[LATENT].array is not None


def test_pause_resume_and_stop(qtbot, window) -> None:
    lab, panel = window.lab, window.workspace.training_panel
    lab.model.start_training(ModelConfig(hidden=(16,)), TrainConfig(epochs=500))
    qtbot.waitSignal(lab.model.progress, timeout=10_000).wait()
    panel.pause_button.click()
    assert lab.model.status.state == "paused" and panel.pause_button.text() == "Resume"
    assert not panel.train_button.isEnabled()
    panel.pause_button.click()
    assert lab.model.status.state == "running"
    with qtbot.waitSignal(lab.model.finished, timeout=10_000) as blocker:
        panel.stop_button.click()
    assert blocker.args[0].reason == "stopped"
    qtbot.waitUntil(lambda: lab.model.status.state == "idle", timeout=10_000)
    assert panel.train_button.isEnabled()


def test_closing_mid_training_stops_the_thread(qtbot, window) -> None:
    lab = window.lab
    lab.model.start_training(ModelConfig(hidden=(16,)), TrainConfig(epochs=10_000))
    qtbot.waitSignal(lab.model.progress, timeout=10_000).wait()
    assert lab.model.training
    window.close()
    assert not lab.model.training  # closeEvent waited for the worker


def test_form_refuses_invalid_settings(qtbot, window) -> None:
    panel = window.workspace.training_panel
    assert panel.train_button.isEnabled() and panel.problems.isHidden()
    panel.latent.setValue(0)
    assert not panel.train_button.isEnabled() and "Latent size" in panel.problems.text()
    panel.latent.setValue(2)
    panel.learning_rate.setText("-0.01")
    assert not panel.train_button.isEnabled() and "Learning rate" in panel.problems.text()
    panel.learning_rate.setText("1e-3")
    panel.hidden.setText("")
    assert not panel.train_button.isEnabled() and "Hidden sizes" in panel.problems.text()
    panel.hidden.setText("32")
    panel.architecture.setCurrentIndex(panel.architecture.findData("conv"))
    assert "at least 16×16" in panel.problems.text()  # digits are 8×8
    panel.architecture.setCurrentIndex(panel.architecture.findData("mlp"))
    assert panel.train_button.isEnabled()


def test_training_from_the_form(qtbot, window) -> None:
    panel = window.workspace.training_panel
    panel.family.setCurrentIndex(panel.family.findData("vae"))
    assert panel.vae_box.isVisible()
    panel.hidden.setText("24")
    panel.latent.setValue(5)
    panel.epochs.setValue(2)
    panel.device.setCurrentIndex(panel.device.findData("cpu"))
    panel.precision.setCurrentIndex(panel.precision.findData("bf16"))  # the CPU computes bf16
    with qtbot.waitSignal(window.lab.model.finished, timeout=60_000):
        panel.train_button.click()
    qtbot.waitUntil(lambda: not window.lab.model.training)
    assert window.lab.model.model_cfg.latent_dim == 5 and window.lab.model.model_cfg.family == "vae"
    assert window.lab.model.train_cfg.precision == "bf16"
    view = window.workspace.maps[LATENT]
    qtbot.waitUntil(lambda: "PCA of 5-D" in view.title.text(), timeout=3000)
    assert window.lab.maps[LATENT].coords.shape[1] == 2
    assert panel.device_label.text().startswith("Device: ")


def test_worker_exception_becomes_a_readable_dialog(qtbot, window, monkeypatch) -> None:
    import latentlab.core.training.loop as state_module  # model_session imports train from it

    def broken(*_args, **_kwargs):
        raise MemoryError("the data does not fit")
        yield  # pragma: no cover (makes this a generator)

    monkeypatch.setattr(state_module, "train", broken)
    with qtbot.waitSignal(window.lab.notes.error, timeout=10_000) as blocker:
        window.lab.model.start_training(ModelConfig(), TrainConfig(epochs=1))
    title, message, details = blocker.args
    assert title == "Training failed" and message == "MemoryError: the data does not fit"
    assert "Traceback" in details
    qtbot.waitUntil(lambda: window.findChild(QMessageBox) is not None)
    box = window.findChild(QMessageBox)
    assert box.text() == message and box.detailedText() == details
    box.close()
    qtbot.waitUntil(lambda: window.lab.model.status.state == "idle")
    monkeypatch.undo()
    train_to_end(qtbot, window)  # the app keeps working


def test_nan_during_training_reaches_the_user(qtbot, window) -> None:
    with qtbot.waitSignal(window.lab.notes.error, timeout=60_000) as blocker:
        window.lab.model.start_training(
            ModelConfig(family="vae", hidden=(16,)), TrainConfig(epochs=50, learning_rate=1e12))
    title, message, _ = blocker.args
    assert title == "Training stopped" and "became" in message and "learning rate" in message
    qtbot.waitUntil(lambda: not window.lab.model.training, timeout=10_000)
    # The form says it failed and where; the diverged model is not autosaved as a good one.
    label = window.workspace.training_panel.progress_label.text()
    assert label.startswith("Failed after") and "at epoch" in label
    qtbot.waitUntil(lambda: window.lab.model.path is not None, timeout=10_000)
    assert window.lab.model.diverged and window.lab.model.path.stem.endswith("-diverged")


def test_launch_command_opens_the_window() -> None:
    result = subprocess.run([sys.executable, "-m", "latentlab", "--exit-after-show"],
                            capture_output=True, text=True, timeout=120,
                            env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert "window shown" in result.stdout
