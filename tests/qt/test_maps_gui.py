"""The third map (source × method), cancelling and refusing projections, decoding anywhere by
kNN interpolation, the map timeline, and colouring by reconstruction error."""

from __future__ import annotations

import numpy as np
import torch

from latentlab.config import TrainConfig
from latentlab.qt.state import LATENT, PIXELS, THIRD
from latentlab.qt.state_maps import MapSetup

from .conftest import drag, line, train_to_end

#: Small and quick on the 300 tiny digits (250 is t-SNE's fewest iterations).
TSNE = {"perplexity": 20.0, "max_iter": 250}


def project(qtbot, window, setup: MapSetup) -> None:
    """Fit ``setup`` on the third map and wait until its projection has ended."""
    state = window.state
    with qtbot.waitSignal(state.projection_changed, timeout=60_000,
                          check_params_cb=lambda _m: not state.is_projecting()):
        assert state.project_map(THIRD, setup)
    state.decode_now()


def test_third_map_is_linked_to_the_pca_map(qtbot, window, tiny_digits) -> None:
    state = window.state
    window.third_map_action.setChecked(False)
    window.show_third_map(True)  # shows the map; the default (t-SNE of inputs) starts at once
    assert window.map_boxes[THIRD].isVisible()
    qtbot.waitUntil(lambda: not state.is_projecting(), timeout=60_000)
    project(qtbot, window, MapSetup("inputs", "tsne", TSNE))
    third = window.maps[THIRD]
    assert state.coords[THIRD].shape == (tiny_digits.n, 2)
    assert "t-SNE of pixels" in state.map_method[THIRD]
    qtbot.waitUntil(lambda: len(third.scatter) == tiny_digits.n, timeout=3000)
    window.tool_actions["box"].trigger()
    coords = state.coords[PIXELS]
    lo, hi = np.percentile(coords, 25, axis=0), np.percentile(coords, 75, axis=0)
    drag(qtbot, window.maps[PIXELS], line(lo, hi))
    assert len(state.selection) > 0
    np.testing.assert_allclose(third.highlight.data["x"], state.coords[THIRD][state.selection, 0])
    # And back: a box on the t-SNE map selects there, and the PCA map highlights the same items.
    t = state.coords[THIRD]
    lo, hi = np.percentile(t, 10, axis=0), np.percentile(t, 50, axis=0)
    drag(qtbot, third, line(lo, hi))
    inside = np.flatnonzero(np.all((t >= lo - 1) & (t <= hi + 1), axis=1))
    assert len(state.selection) > 0 and set(state.selection) <= set(inside)
    np.testing.assert_allclose(window.maps[PIXELS].highlight.data["y"],
                               state.coords[PIXELS][state.selection, 1])
    # A t-SNE map of the pixels without a model cannot decode yet, and says so.
    assert "needs a model" in state.decode_status(THIRD)


def test_cancelling_a_projection_keeps_the_old_map(qtbot, window) -> None:
    state = window.state
    project(qtbot, window, MapSetup("inputs", "pca"))
    before = state.coords[THIRD].copy()
    title = state.map_method[THIRD]
    messages: list[str] = []
    state.message.connect(messages.append)
    with qtbot.waitSignal(state.projection_changed, timeout=60_000,
                          check_params_cb=lambda _m: not state.is_projecting()):
        assert state.project_map(THIRD, MapSetup("inputs", "tsne", TSNE))
        assert window.map_controls[THIRD].cancel_button.isEnabled()
        window.map_controls[THIRD].cancel_button.click()
    np.testing.assert_array_equal(state.coords[THIRD], before)
    assert state.map_method[THIRD] == title
    assert any("cancelled" in m for m in messages)
    assert window.map_controls[THIRD].apply_button.isEnabled()


def test_a_projection_that_cannot_run_says_why(qtbot, window, tiny_digits) -> None:
    state = window.state
    project(qtbot, window, MapSetup("inputs", "pca"))
    before = state.coords[THIRD].copy()
    errors: list[tuple[str, str, str]] = []
    state.error.connect(lambda *e: errors.append(e))
    window.show_error = lambda *a: None  # no dialog left open
    assert not state.project_map(THIRD, MapSetup("inputs", "tsne", {"perplexity": 1000.0}))
    assert errors and "perplexity" in errors[-1][1] and "unchanged" in errors[-1][1]
    assert not state.project_map(THIRD, MapSetup("codes", "umap"))  # no model yet
    assert "model" in errors[-1][1]
    state.codes = np.full((tiny_digits.n, 2), np.nan, np.float32)  # as if a model diverged
    assert not state.project_map(THIRD, MapSetup("codes", "pca"))
    assert "NaN" in errors[-1][1]
    np.testing.assert_array_equal(state.coords[THIRD], before)
    assert not state.is_projecting()


def test_tsne_map_of_codes_decodes_by_knn_interpolation(qtbot, window) -> None:
    train_to_end(qtbot, window)
    state = window.state
    window.show_third_map(True)
    qtbot.waitUntil(lambda: not state.is_projecting(), timeout=60_000)
    project(qtbot, window, MapSetup("codes", "tsne", TSNE))
    _, fitted, codes = state.map_fits[THIRD]
    assert not fitted.exact_inverse and codes is not None
    item = 17
    state.set_probe(THIRD, state.coords[THIRD][item])
    state.decode_now()
    with torch.inference_mode():
        expected = state.live_model.decode(torch.from_numpy(codes[item][None]))[0].numpy()
    np.testing.assert_allclose(state.decoded_images[THIRD], expected, atol=1e-6)
    np.testing.assert_allclose(window.probe_panel.tiles[THIRD].array, expected, atol=1e-6)
    assert "nearest codes" in state.decode_status(THIRD)
    # Between points: the inverse-distance mean of the nearest codes, decoded.
    xy = state.coords[THIRD][:2].mean(0)
    state.set_probe(THIRD, xy)
    state.decode_now()
    knn = state._knn_for(THIRD)
    with torch.inference_mode():
        between = state.live_model.decode(torch.from_numpy(knn(xy)[None]))[0].numpy()
    np.testing.assert_allclose(state.decoded_images[THIRD], between, atol=1e-6)


def test_timeline_replays_each_epochs_map(qtbot, window) -> None:
    train_to_end(qtbot, window)
    state = window.state
    assert [(f.epoch, f.epoch_end) for f in state.timeline] == [(1.0, True), (2.0, True),
                                                                (3.0, True)]
    bar = window.timeline
    assert bar.slider.isEnabled() and bar.slider.maximum() == 2
    bar.slider.setValue(0)
    assert state.timeline_index == 0
    np.testing.assert_allclose(state.coords[LATENT],
                               state.latent_map.transform(state.timeline[0].codes))
    assert bar.label.text() == "epoch 1"
    assert bar.label.toolTip() == f"epoch 1 · step {state.timeline[0].step:,}"
    bar.live_button.click()
    assert state.timeline_index is None
    assert bar.label.text() == "live · 3" and "3 frame(s)" in bar.label.toolTip()


def test_timeline_records_about_every_n_steps_too(qtbot, window, monkeypatch) -> None:
    bar = window.timeline
    bar.every.setCurrentIndex(bar.every.findData(10))
    state = window.state
    assert state.timeline_every == 10
    arrivals: list[int] = []  # the steps whose codes reached the GUI
    offer = state._timeline_codes
    monkeypatch.setattr(state, "_timeline_codes",
                        lambda codes, step, epoch: (arrivals.append(step),
                                                    offer(codes, step, epoch)))
    # Codes with nearly every snapshot (no time budget), so frames between epochs are due.
    train_to_end(qtbot, window, train=TrainConfig(epochs=3, batch_size=4,
                                                  snapshot_interval_s=1e-6,
                                                  map_update_budget=1.0))
    steps_per_epoch = -(-len(window.state.dataset.train_indices) // 4)
    frames = state.timeline
    ends = [f.step for f in frames if f.epoch_end]
    assert ends == [steps_per_epoch * e for e in (1, 2, 3)]
    # Between them: the first codes at least 10 steps after the previous frame.
    expected, last = [], 0
    for step in arrivals:
        if step in ends:
            last = step
        elif step - last >= 10:
            expected.append(step)
            last = step
    between = [f for f in frames if not f.epoch_end]
    assert [f.step for f in between] == expected and len(expected) >= 6
    assert all(0 < f.epoch < 3 for f in between)
    assert [f.step for f in frames] == sorted(f.step for f in frames)


def test_colour_by_reconstruction_error(qtbot, window) -> None:
    train_to_end(qtbot, window)
    state = window.state
    view = window.maps[PIXELS]
    before = view.scatter.point_colours()
    index = window.colour_by.findData("error")
    assert window.colour_by.model().item(index).isEnabled()
    window.colour_by.setCurrentIndex(index)
    assert state.colour_by == "error" and state.item_errors is not None
    after = view.scatter.point_colours()
    assert after != before and len(set(after)) == 8
    worst = int(np.argmax(state.item_errors))
    assert after[worst] == "#fde725"  # the highest bin is yellow
    window.colour_by.setCurrentIndex(window.colour_by.findData("cluster"))
    assert state.colour_by == "cluster" and state.code_clusters is not None
    window.colour_by.setCurrentIndex(window.colour_by.findData("none"))
    assert len(set(view.scatter.point_colours())) == 1


def test_closing_does_not_wait_for_umap_to_be_prepared(qtbot, window, monkeypatch) -> None:
    """numba cannot be stopped while it compiles: the window closes at once all the same."""
    import threading

    from latentlab.core.maps import nonlinear

    release, started = threading.Event(), threading.Event()

    def slow_warm_up() -> float:  # stands in for a first compile that takes a minute
        started.set()
        release.wait(30)
        return 60.0

    monkeypatch.setattr(nonlinear, "warm_up_umap", slow_warm_up)
    controls = window.map_controls[THIRD]
    window.show_third_map(True)
    controls.method.setCurrentIndex(controls.method.findData("umap"))
    assert started.wait(5)
    messages: list[str] = []
    window.state.message.connect(messages.append)
    window.close()  # would block (and hold the event loop) if shutdown waited for the warm-up
    warmer = window.state._umap_warmer
    assert warmer is not None and warmer.is_alive()
    release.set()
    warmer.join(5)
    qtbot.waitUntil(lambda: any("UMAP is ready" in m for m in messages), timeout=3000)


def test_timeline_thins_its_frames_to_stay_within_its_memory(window, monkeypatch) -> None:
    from latentlab.qt import state_timeline

    state = window.state
    codes = np.zeros((100, 2), np.float32)  # 800 bytes a frame
    monkeypatch.setattr(state_timeline, "TIMELINE_BUDGET_BYTES", 10 * codes.nbytes)
    state.set_timeline_every(10)
    for step in range(1, 401):
        state._timeline_codes(codes, step, step / 100)
        if step % 100 == 0:
            state._timeline_epoch_end(step // 100)
    frames = state.timeline
    assert len(frames) <= 10
    assert [f.step for f in frames if f.epoch_end] == [100, 200, 300, 400]  # all epoch ends
    assert frames[0].step == 10 and frames[-1].step == 400  # the whole span
    steps = [f.step for f in frames]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
