from __future__ import annotations

import subprocess
import sys

import numpy as np
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QMessageBox

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.training.events import StepProgress
from latentlab.qt.state import LATENT, PIXELS

from .conftest import MOVE_INTERVAL_MS, drag, line, send_mouse, to_viewport, train_to_end


def test_window_opens_on_the_dataset(window, tiny_digits) -> None:
    assert window.windowTitle() == "latentlab"
    pixels, latent = window.maps[PIXELS], window.maps[LATENT]
    assert len(pixels.scatter) == tiny_digits.n  # one point per item
    assert len(latent.scatter) == 0 and latent.placeholder.isVisible()
    assert "PCA of pixels" in pixels.title.text()
    assert window.dataset_label.text().startswith("tiny digits")
    # The PCA probe starts at the origin, which decodes to the mean image.
    np.testing.assert_allclose(window.probe_panel.tiles[PIXELS].array[0],
                               tiny_digits.x[tiny_digits.train_indices].mean(0)[0], atol=1e-5)


def test_training_runs_live_and_fills_both_maps(qtbot, window, tiny_digits) -> None:
    progress: list[StepProgress] = []
    window.state.progress.connect(progress.append)
    train_to_end(qtbot, window)
    assert progress and progress[-1].global_step == progress[-1].total_steps
    latent = window.maps[LATENT]
    qtbot.waitUntil(lambda: len(latent.scatter) == tiny_digits.n)
    assert window.state.coords[LATENT].shape == (tiny_digits.n, 2)
    assert not latent.placeholder.isVisible()
    assert window.training_panel.progress_bar.value() == progress[-1].total_steps
    assert window.training_panel.progress_label.text().startswith("Finished: 3 epoch(s)")
    assert window.state.status.state == "idle"
    curves = window.loss_plot.points
    assert len(curves[("train", "loss")][1]) >= 1 and len(curves[("test", "loss")][1]) == 3
    assert all(tile.array is not None for tile in window.recon_strip.recons)


def test_vae_plots_reconstruction_and_kl_separately(qtbot, window) -> None:
    train_to_end(qtbot, window, ModelConfig(family="vae", hidden=(32,)))
    assert {term for _split, term in window.loss_plot.curves} == {"loss", "recon", "kl"}
    assert len(window.loss_plot.points[("test", "kl")][1]) == 3


def test_dragging_the_probe_decodes_live(qtbot, window) -> None:
    train_to_end(qtbot, window)
    state, view = window.state, window.maps[LATENT]
    tile = window.probe_panel.tiles[LATENT]
    start = state.probes[LATENT].copy()
    before = tile.array.copy()
    coords = state.coords[LATENT]
    target = coords[np.argmax(np.linalg.norm(coords - start, axis=1))]
    drag(qtbot, view, line(start, target))
    qtbot.waitUntil(lambda: not np.allclose(state.probes[LATENT], start), timeout=3000)
    moved = state.probes[LATENT]
    assert np.linalg.norm(moved - target) < 0.1 * np.linalg.norm(target - start)
    qtbot.waitUntil(lambda: not np.allclose(tile.array, before), timeout=3000)
    # The image shown is the GUI's own decoder at the probe's code.
    expected = state.live_model.decode(
        __import__("torch").from_numpy(state.latent_map.inverse_transform(moved)))[0]
    np.testing.assert_allclose(tile.array, expected.detach().numpy(), atol=1e-5)


def test_dragging_on_the_pca_map_shows_the_linear_reconstruction(qtbot, window) -> None:
    state, view = window.state, window.maps[PIXELS]
    coords = state.coords[PIXELS]
    drag(qtbot, view, line(np.zeros(2), coords[0]))
    xy = state.probes[PIXELS]
    assert np.linalg.norm(xy - coords[0]) < 0.2
    state.decode_now()
    expected = state.pixel_pca.mean_ + xy @ state.pixel_pca.components_
    np.testing.assert_allclose(window.probe_panel.tiles[PIXELS].array.ravel(), expected,
                               atol=1e-5)


def test_box_selection_is_linked_across_maps(qtbot, window) -> None:
    train_to_end(qtbot, window)
    state = window.state
    window.tool_actions["box"].trigger()
    assert state.tool == "box" and window.maps[LATENT].view_box.tool == "box"
    coords = state.coords[PIXELS]
    lo, hi = np.percentile(coords, 20, axis=0), np.percentile(coords, 80, axis=0)
    drag(qtbot, window.maps[PIXELS], line(lo, hi))
    inside = np.flatnonzero(np.all((coords >= lo - 0.05) & (coords <= hi + 0.05), axis=1))
    assert len(state.selection) > 0 and set(state.selection) <= set(inside)
    # The other map highlights the same items at their own coordinates.
    np.testing.assert_allclose(window.maps[LATENT].highlight.data["x"],
                               state.coords[LATENT][state.selection, 0])
    assert window.selection_label.text().strip() == f"{len(state.selection)} selected"
    chosen = state.selection.copy()
    train_to_end(qtbot, window)  # a new model keeps the selection: it names dataset items
    np.testing.assert_array_equal(state.selection, chosen)
    assert len(window.maps[LATENT].highlight.data) == len(chosen)
    state.clear_selection()
    assert len(window.maps[LATENT].highlight.data) == 0


def test_lasso_selection_with_shift_adds(qtbot, window) -> None:
    state = window.state
    state.set_tool("lasso")
    coords = state.coords[PIXELS]
    c = coords.mean(0)
    r = coords.std(0) * 0.6
    ring = [tuple(c + r * (np.cos(t), np.sin(t))) for t in np.linspace(0, 2 * np.pi, 24)]
    drag(qtbot, window.maps[PIXELS], ring)
    first = state.selection.copy()
    assert len(first) > 0
    # A second, small lasso around an unselected point well inside the view; the square is a few
    # percent of the data's span so it is many pixels wide whatever the data's scale.
    outside = np.setdiff1d(np.arange(len(coords)), first)
    target = coords[outside[np.argmin(np.linalg.norm(coords[outside] - c, axis=1))]]
    half = 0.03 * np.ptp(coords, axis=0)
    square = [tuple(target + half * d) for d in [(-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)]]
    drag(qtbot, window.maps[PIXELS], square, Qt.KeyboardModifier.ShiftModifier)
    assert set(first) < set(state.selection)


def test_hover_shows_the_item_image(qtbot, window, tiny_digits) -> None:
    view = window.maps[PIXELS]
    x, y = window.state.coords[PIXELS][7]
    item = window.state.map_indices[7]
    hits = np.flatnonzero(np.all(np.isclose(window.state.coords[PIXELS], (x, y)), axis=1))
    send_mouse(view.plot.viewport(), QEvent.Type.MouseMove, to_viewport(view, x, y),
               Qt.MouseButton.NoButton)
    qtbot.waitUntil(view.hover_tile.isVisible, timeout=2000)
    shown = view.hover_tile.array
    assert any(np.array_equal(shown, tiny_digits.x[window.state.map_indices[h]]) for h in hits)
    assert f"#{item}" in view.hover_caption.text() or len(hits) > 1


def test_no_hover_preview_while_dragging_the_probe(qtbot, window) -> None:
    view, state = window.maps[PIXELS], window.state
    viewport, left = view.plot.viewport(), Qt.MouseButton.LeftButton
    start = state.probes[PIXELS].copy()
    coords = state.coords[PIXELS]
    path = [to_viewport(view, *p) for p in np.linspace(start, coords[7], 10)]
    send_mouse(viewport, QEvent.Type.MouseButtonPress, path[0], left)
    for point in path[1:]:
        qtbot.wait(MOVE_INTERVAL_MS)
        send_mouse(viewport, QEvent.Type.MouseMove, point, left)
        assert not view.hover_tile.isVisible()  # the drag passes over points: no preview
    send_mouse(viewport, QEvent.Type.MouseButtonRelease, path[-1], Qt.MouseButton.NoButton)
    assert not np.allclose(state.probes[PIXELS], start)  # it was a probe drag
    # Moving on without a button: the preview is back.
    qtbot.wait(MOVE_INTERVAL_MS)
    send_mouse(viewport, QEvent.Type.MouseMove, to_viewport(view, *coords[7]),
               Qt.MouseButton.NoButton)
    qtbot.waitUntil(view.hover_tile.isVisible, timeout=2000)


def test_random_sample_moves_the_probe_and_decodes(qtbot, window) -> None:
    window.state.sample_random()  # before training: a message, nothing else
    train_to_end(qtbot, window, ModelConfig(family="vae", hidden=(32,)))
    state = window.state
    before = state.probes[LATENT].copy()
    messages: list[str] = []
    state.message.connect(messages.append)
    state.sample_random()
    state.decode_now()
    assert not np.allclose(state.probes[LATENT], before)
    assert "prior" in messages[-1]
    assert window.probe_panel.tiles[LATENT].array is not None


def test_pause_resume_and_stop(qtbot, window) -> None:
    state, panel = window.state, window.training_panel
    state.start_training(ModelConfig(hidden=(16,)), TrainConfig(epochs=500))
    qtbot.waitSignal(state.progress, timeout=10_000).wait()
    panel.pause_button.click()
    assert state.status.state == "paused" and panel.pause_button.text() == "Resume"
    assert not panel.train_button.isEnabled()
    panel.pause_button.click()
    assert state.status.state == "running"
    with qtbot.waitSignal(state.training_finished, timeout=10_000) as blocker:
        panel.stop_button.click()
    assert blocker.args[0].reason == "stopped"
    qtbot.waitUntil(lambda: state.status.state == "idle", timeout=10_000)
    assert panel.train_button.isEnabled()


def test_closing_mid_training_stops_the_thread(qtbot, window) -> None:
    state = window.state
    state.start_training(ModelConfig(hidden=(16,)), TrainConfig(epochs=10_000))
    qtbot.waitSignal(state.progress, timeout=10_000).wait()
    assert state.runner.running
    window.close()
    assert not state.runner.running  # closeEvent waited for the worker


def test_form_refuses_invalid_settings(qtbot, window) -> None:
    panel = window.training_panel
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
    panel = window.training_panel
    panel.family.setCurrentIndex(panel.family.findData("vae"))
    assert panel.vae_box.isVisible()
    panel.hidden.setText("24")
    panel.latent.setValue(5)
    panel.epochs.setValue(2)
    with qtbot.waitSignal(window.state.training_finished, timeout=60_000):
        panel.train_button.click()
    qtbot.waitUntil(lambda: not window.state.runner.running)
    assert window.state.model_cfg.latent_dim == 5 and window.state.model_cfg.family == "vae"
    qtbot.waitUntil(lambda: "PCA of 5-D" in window.maps[LATENT].title.text(), timeout=3000)
    assert window.state.coords[LATENT].shape[1] == 2
    assert panel.device_label.text().startswith("Device: ")


def test_worker_exception_becomes_a_readable_dialog(qtbot, window, monkeypatch) -> None:
    import latentlab.qt.state as state_module

    def broken(*_args, **_kwargs):
        raise MemoryError("the data does not fit")
        yield  # pragma: no cover (makes this a generator)

    monkeypatch.setattr(state_module, "train", broken)
    with qtbot.waitSignal(window.state.error, timeout=10_000) as blocker:
        window.state.start_training(ModelConfig(), TrainConfig(epochs=1))
    title, message, details = blocker.args
    assert title == "Training failed" and message == "MemoryError: the data does not fit"
    assert "Traceback" in details
    qtbot.waitUntil(lambda: window.findChild(QMessageBox) is not None)
    box = window.findChild(QMessageBox)
    assert box.text() == message and box.detailedText() == details
    box.close()
    qtbot.waitUntil(lambda: window.state.status.state == "idle")
    monkeypatch.undo()
    train_to_end(qtbot, window)  # the app keeps working


def test_nan_during_training_reaches_the_user(qtbot, window) -> None:
    with qtbot.waitSignal(window.state.error, timeout=60_000) as blocker:
        window.state.start_training(
            ModelConfig(family="vae", hidden=(16,)), TrainConfig(epochs=50, learning_rate=1e12))
    title, message, _ = blocker.args
    assert title == "Training stopped" and "became" in message and "learning rate" in message
    qtbot.waitUntil(lambda: not window.state.runner.running, timeout=10_000)


def test_launch_command_opens_the_window() -> None:
    result = subprocess.run([sys.executable, "-m", "latentlab", "--exit-after-show"],
                            capture_output=True, text=True, timeout=120,
                            env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert "window shown" in result.stdout
