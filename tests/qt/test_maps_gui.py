"""The third map (source × method), cancelling and refusing projections, decoding anywhere by
kNN interpolation, the map timeline, and colouring by reconstruction error."""

from __future__ import annotations

import numpy as np
import torch

from latentlab.config import TrainConfig
from latentlab.core.maps.setup import MapSetup
from latentlab.lab.map_state import LATENT, PIXELS, THIRD

from .conftest import drag, line, train_to_end

#: Small and quick on the 300 tiny digits (250 is t-SNE's fewest iterations).
TSNE = {"perplexity": 20.0, "max_iter": 250}


def project(qtbot, window, setup: MapSetup) -> None:
    """Fit ``setup`` on the third map and wait until its projection has ended."""
    lab = window.lab
    with qtbot.waitSignal(lab.maps[THIRD].projection_changed, timeout=60_000,
                          check_params_cb=lambda: not lab.maps.is_projecting()):
        assert lab.maps.project(THIRD, setup)
    lab.maps.decode_now()


def test_third_map_is_linked_to_the_pca_map(qtbot, window, tiny_digits) -> None:
    lab = window.lab
    window.workspace.third_map_action.setChecked(False)
    # Shows the map; its default (t-SNE of the inputs) starts at once.
    window.workspace.show_third_map(True)
    assert window.workspace.map_boxes[THIRD].isVisible()
    qtbot.waitUntil(lambda: not lab.maps.is_projecting(), timeout=60_000)
    project(qtbot, window, MapSetup("inputs", "tsne", TSNE))
    third = window.workspace.maps[THIRD]
    assert lab.maps[THIRD].coords.shape == (tiny_digits.n, 2)
    assert "t-SNE of pixels" in lab.maps[THIRD].title
    qtbot.waitUntil(lambda: len(third.scatter) == tiny_digits.n, timeout=3000)
    window.workspace.tool_actions["box"].trigger()
    coords = lab.maps[PIXELS].coords
    lo, hi = np.percentile(coords, 25, axis=0), np.percentile(coords, 75, axis=0)
    drag(qtbot, window.workspace.maps[PIXELS], line(lo, hi))
    assert len(lab.selection.items) > 0
    np.testing.assert_allclose(third.highlight.pos[:, 0],
                               lab.maps[THIRD].coords[lab.selection.items, 0])
    # And back: a box on the t-SNE map selects there, and the PCA map highlights the same items.
    t = lab.maps[THIRD].coords
    lo, hi = np.percentile(t, 10, axis=0), np.percentile(t, 50, axis=0)
    drag(qtbot, third, line(lo, hi))
    inside = np.flatnonzero(np.all((t >= lo - 1) & (t <= hi + 1), axis=1))
    assert len(lab.selection.items) > 0 and set(lab.selection.items) <= set(inside)
    np.testing.assert_allclose(window.workspace.maps[PIXELS].highlight.pos[:, 1],
                               lab.maps[PIXELS].coords[lab.selection.items, 1])
    # A t-SNE map of the pixels without a model cannot decode yet, and says so.
    assert "needs a model" in lab.maps.decode_status(THIRD)


def test_cancelling_a_projection_keeps_the_old_map(qtbot, window) -> None:
    lab = window.lab
    project(qtbot, window, MapSetup("inputs", "pca"))
    before = lab.maps[THIRD].coords.copy()
    title = lab.maps[THIRD].title
    messages: list[str] = []
    lab.notes.message.connect(messages.append)
    with qtbot.waitSignal(lab.maps[THIRD].projection_changed, timeout=60_000,
                          check_params_cb=lambda: not lab.maps.is_projecting()):
        assert lab.maps.project(THIRD, MapSetup("inputs", "tsne", TSNE))
        assert window.workspace.map_controls[THIRD].cancel_button.isEnabled()
        window.workspace.map_controls[THIRD].cancel_button.click()
    np.testing.assert_array_equal(lab.maps[THIRD].coords, before)
    assert lab.maps[THIRD].title == title
    assert any("cancelled" in m for m in messages)
    assert window.workspace.map_controls[THIRD].apply_button.isEnabled()


def test_a_projection_that_cannot_run_says_why(qtbot, window, tiny_digits) -> None:
    lab = window.lab
    project(qtbot, window, MapSetup("inputs", "pca"))
    before = lab.maps[THIRD].coords.copy()
    errors: list[tuple[str, str, str]] = []
    lab.notes.error.connect(lambda *e: errors.append(e))
    window.show_error = lambda *a: None  # no dialog left open
    assert not lab.maps.project(THIRD, MapSetup("inputs", "tsne", {"perplexity": 1000.0}))
    assert errors and "perplexity" in errors[-1][1] and "unchanged" in errors[-1][1]
    assert not lab.maps.project(THIRD, MapSetup("codes", "umap"))  # no model yet
    assert "model" in errors[-1][1]
    lab.model.codes = np.full((tiny_digits.n, 2), np.nan, np.float32)  # as if it diverged
    assert not lab.maps.project(THIRD, MapSetup("codes", "pca"))
    assert "NaN" in errors[-1][1]
    np.testing.assert_array_equal(lab.maps[THIRD].coords, before)
    assert not lab.maps.is_projecting()


def test_tsne_map_of_codes_decodes_by_knn_interpolation(qtbot, window) -> None:
    train_to_end(qtbot, window)
    lab = window.lab
    window.workspace.show_third_map(True)
    qtbot.waitUntil(lambda: not lab.maps.is_projecting(), timeout=60_000)
    project(qtbot, window, MapSetup("codes", "tsne", TSNE))
    fitted, codes = lab.maps[THIRD].fit.projection, lab.maps[THIRD].fit.codes
    assert not fitted.exact_inverse and codes is not None
    item = 17
    lab.maps.set_probe(THIRD, lab.maps[THIRD].coords[item])
    lab.maps.decode_now()
    with torch.inference_mode():
        expected = lab.model.live_model.decode(torch.from_numpy(codes[item][None]))[0].numpy()
    np.testing.assert_allclose(lab.maps[THIRD].image, expected, atol=1e-6)
    np.testing.assert_allclose(window.workspace.probe_panel.tiles[THIRD].array, expected, atol=1e-6)
    assert "nearest codes" in lab.maps.decode_status(THIRD)
    # Between points: the inverse-distance mean of the nearest codes, decoded.
    xy = lab.maps[THIRD].coords[:2].mean(0)
    lab.maps.set_probe(THIRD, xy)
    lab.maps.decode_now()
    knn = lab.maps.decoder.knn_for(lab.maps[THIRD])
    with torch.inference_mode():
        between = lab.model.live_model.decode(torch.from_numpy(knn(xy)[None]))[0].numpy()
    np.testing.assert_allclose(lab.maps[THIRD].image, between, atol=1e-6)


def test_timeline_replays_each_epochs_map(qtbot, window) -> None:
    train_to_end(qtbot, window)
    lab = window.lab
    assert [(f.epoch, f.epoch_end) for f in lab.timeline.frames] == [(1.0, True), (2.0, True),
                                                                (3.0, True)]
    bar = window.workspace.timeline
    assert bar.slider.isEnabled() and bar.slider.maximum() == 2
    bar.slider.setValue(0)
    assert lab.timeline.index == 0
    np.testing.assert_allclose(lab.maps[LATENT].coords,
                               lab.maps.latent_map.transform(lab.timeline.frames[0].codes))
    assert bar.label.text() == "epoch 1"
    assert bar.label.toolTip() == f"epoch 1 · step {lab.timeline.frames[0].step:,}"
    bar.live_button.click()
    assert lab.timeline.index is None
    assert bar.label.text() == "live · 3" and "3 frame(s)" in bar.label.toolTip()


def test_timeline_records_about_every_n_steps_too(qtbot, window) -> None:
    bar = window.workspace.timeline
    bar.every.setCurrentIndex(bar.every.findData(10))
    lab = window.lab
    assert lab.timeline.every == 10
    arrivals: list[int] = []  # the steps whose codes reached the GUI
    lab.model.codes_changed.connect(lambda step, _epoch: arrivals.append(step))
    # Codes with nearly every snapshot (no time budget), so frames between epochs are due.
    train_to_end(qtbot, window, train=TrainConfig(epochs=3, batch_size=4,
                                                  snapshot_interval_s=1e-6,
                                                  map_update_budget=1.0))
    steps_per_epoch = -(-len(window.lab.data.dataset.train_indices) // 4)
    frames = lab.timeline.frames
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
    lab = window.lab
    view = window.workspace.maps[PIXELS]
    before = view.scatter.point_colours()
    index = window.workspace.colour_by.findData("error")
    assert window.workspace.colour_by.model().item(index).isEnabled()
    window.workspace.colour_by.setCurrentIndex(index)
    assert lab.colouring.colour_by == "error" and lab.colouring.item_errors is not None
    after = view.scatter.point_colours()
    assert after != before and len(set(after)) == 8
    worst = int(np.argmax(lab.colouring.item_errors))
    assert after[worst] == "#fde725"  # the highest bin is yellow
    window.workspace.colour_by.setCurrentIndex(window.workspace.colour_by.findData("cluster"))
    assert lab.colouring.colour_by == "cluster" and lab.colouring.code_clusters is not None
    window.workspace.colour_by.setCurrentIndex(window.workspace.colour_by.findData("none"))
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
    controls = window.workspace.map_controls[THIRD]
    window.workspace.show_third_map(True)
    controls.method.setCurrentIndex(controls.method.findData("umap"))
    assert started.wait(5)
    messages: list[str] = []
    window.lab.notes.message.connect(messages.append)
    window.close()  # would block (and hold the event loop) if shutdown waited for the warm-up
    warmer = window.lab.maps._umap_warmer
    assert warmer is not None and warmer.is_alive()
    release.set()
    warmer.join(5)
    qtbot.waitUntil(lambda: any("UMAP is ready" in m for m in messages), timeout=3000)
