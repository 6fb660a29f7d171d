"""Figures for maps and projections, printed as JSON (not timed assertions).

    python benchmarks/maps.py [--data DIR] [--items N] [--umap-items N] [--epochs N]
                              [--only NAME ...]
    python benchmarks/maps.py --only tsne [--tsne-items N] [--tsne-new N] [--tsne-sklearn-items N]
    python benchmarks/maps.py --only gui-drag [--gui-items N] [--gui-moves N] [--gui-epochs N]
                              [--gui-umap-epochs N]

- view: a MapView with ``--items`` points (1,000,000): full redraw (setData + a forced repaint;
  also zoomed in, where the points outside the view are culled), whether it was painted as dots
  or as a density image, the memory held for the map's points (layer, index, coordinates), the
  spatial index's build, hover lookup (MapView.nearest_point), lasso selection (the index's
  polygon test, 50-vertex polygon, against every edge over every point); and the
  decode-anywhere drag at as many points (KNNInverse on the map's index + MLP decoder
  2-256-512-784 on CPU, one torch thread, as the GUI thread decodes), on those core pieces.
- projections: PCA of 70,000 × 784 (the MNIST sample grown by blending same-class digits);
  UMAP of the same (or of ``--umap-items`` of them) through ``fit_projection`` and through
  ``umap.UMAP`` directly, same parameters, same run: the ratio is the app's overhead.
- tsne: t-SNE (openTSNE, the app's defaults) of ``--tsne-items`` grown MNIST rows, placing
  ``--tsne-new`` more into the fitted map, and scikit-learn's t-SNE against the app's on
  ``--tsne-sklearn-items`` of them (scikit-learn takes hours on all); 1-NN accuracy of each
  map (80 % of its points → the rest) and of the placed items against the map.
- startup: importing the main window and launching the app, and whether umap was imported.
- metrics: kNN accuracy (k = 1, 5; train → test) and trustworthiness on the MNIST sample for
  PCA, an AE and a VAE with 2-D codes (trained ``--epochs`` epochs) and UMAP of pixels.
- gui-drag: the decode-anywhere drag through the real window: a MainWindow (1440×900) on the
  MNIST sample grown to ``--gui-items`` (70,000) images, an MLP autoencoder trained through the GUI
  (``--gui-epochs``), a UMAP of its codes on the third map (``--gui-umap-epochs`` layout
  epochs); then synthetic mouse events drag the
  probe (press on it, ``--gui-moves`` moves ≥ 12 ms apart, each handled before the next) and each
  move is timed from sending it to the decoded image painted in the probe panel (as
  spine.py's drag: the tile's paint count goes up), and to the map's view repainted too; the
  same on the PCA map (exact inverse) for comparison.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import torch
from devices import DEFAULT_DATA, load_data, machine

from latentlab.core.data import Dataset
from latentlab.core.data.dataset import random_split
from latentlab.core.maps.geometry import points_in_polygon
from latentlab.core.maps.inverse import KNNInverse
from latentlab.core.maps.nonlinear import umap_model, warm_up_umap
from latentlab.core.maps.projection import ProjectionSpec, fit_projection


def stats(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values)
    return {"median": round(float(np.median(arr)), 3),
            "p95": round(float(np.percentile(arr, 95)), 3),
            "max": round(float(arr.max()), 3), "n": len(arr)}


def timed_ms(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def clustered_points(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` map points in ten blobs (like a UMAP of digits), and their classes."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    centres = rng.normal(scale=6.0, size=(10, 2))
    return (centres[labels] + rng.normal(size=(n, 2))).astype(np.float32), labels


def bench_view(n_points: int, n_drag: int, repeats: int) -> dict:
    from latentlab.lab.data_session import PreparedData
    from latentlab.lab.map_state import PIXELS
    from latentlab.qt.app import create_application
    from latentlab.qt.widgets.map_view import MapView
    from latentlab.qt.workspaces.latent_maps import qt_lab

    app = create_application()
    coords, labels = clustered_points(n_points)
    rng = np.random.default_rng(1)
    x = rng.random((n_points, 1, 4, 4), dtype=np.float32)  # tiny images: the map is what counts
    data = Dataset("points", x, labels, tuple(str(i) for i in range(10)),
                   random_split(n_points, 0.1, seed=0))
    from PySide6.QtWidgets import QMainWindow

    holder = QMainWindow()
    lab = qt_lab(holder)
    view = MapView(lab, PIXELS, ("1", "2"))
    view.resize(800, 700)
    view.show()
    from latentlab.core.maps.linear import PCA

    baseline = PCA(2).fit(x[:1000].reshape(1000, -1))
    prepared = PreparedData(np.arange(n_points), np.arange(8), baseline, coords,
                            "benchmark points", np.zeros(2, np.float32))
    lab.data.set_dataset(data, prepared=prepared)
    view._draw()
    app.processEvents()
    assert len(view.coords) == n_points

    def redraw() -> None:
        view._colour_points()  # every point's position and colour replaced
        view.plot.viewport().repaint()  # paint now, synchronously

    redraw()
    redraw_ms = timed_ms(redraw, repeats)
    lo, hi = coords.min(0), coords.max(0)
    spots = iter(np.random.default_rng(2).uniform(lo, hi, (10 * repeats + 10, 2)))

    def probe_move() -> None:  # what a drag does to the map: move the probe, repaint
        x, y = next(spots)
        view.probe.setPos(float(x), float(y))
        view.plot.viewport().repaint()

    probe_move()
    probe_ms = timed_ms(probe_move, 10 * repeats)
    set_data_ms = timed_ms(view._colour_points, repeats)
    paint_ms = timed_ms(view.plot.viewport().repaint, repeats)

    # Zoomed in on the middle: part of the points is outside the view and is culled.
    centre, half = (lo + hi) / 2, (hi - lo) / 4
    view.view_box.setRange(xRange=(float(centre[0] - half[0]), float(centre[0] + half[0])),
                           yRange=(float(centre[1] - half[1]), float(centre[1] + half[1])),
                           padding=0)
    redraw()
    zoomed_ms = timed_ms(redraw, repeats)
    view.view_box.enableAutoRange()
    redraw()

    lo, hi = coords.min(0), coords.max(0)
    build_start = time.perf_counter()
    index = view.map.index  # built once per map's points (in a fit's job when it makes them)
    index_ms = (time.perf_counter() - build_start) * 1000
    assert index is not None
    spots = rng.uniform(lo, hi, size=(500, 2))
    spot_iter = iter(spots)
    hover_ms = timed_ms(lambda: view.nearest_point(*next(spot_iter)), len(spots))

    angles = np.linspace(0, 2 * np.pi, 50, endpoint=False)
    radius = 0.3 * (hi - lo).min() * (1 + 0.3 * np.sin(5 * angles))
    polygon = coords.mean(0) + np.c_[np.cos(angles), np.sin(angles)] * radius[:, None]
    lasso_ms = timed_ms(lambda: index.in_polygon(polygon), repeats)
    selected = int(index.in_polygon(polygon).sum())
    plain_lasso_ms = timed_ms(lambda: points_in_polygon(coords, polygon), 3)
    assert int(points_in_polygon(coords, polygon).sum()) == selected
    map_bytes = {"layer": int(view.scatter.pos.nbytes + view.scatter.classes.nbytes
                              + view.scatter.fragment_bytes()),
                 "index": index.nbytes(), "map_coords": int(view.coords.nbytes)}
    density = view.scatter.painted_density
    view.close()
    lab.shutdown()

    # Decode anywhere: the map's index, the k nearest codes, the decoder.
    drag_coords = coords
    codes = np.random.default_rng(3).normal(size=(n_points, 2)).astype(np.float32)
    inverse = KNNInverse(index, codes, k=8)
    decoder = torch.nn.Sequential(
        torch.nn.Linear(2, 256), torch.nn.ReLU(), torch.nn.Linear(256, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 784), torch.nn.Sigmoid()).eval()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the GUI thread decodes (qt.app.create_application)
    path = rng.uniform(drag_coords.min(0), drag_coords.max(0), size=(n_drag, 2))
    knn_ms, drag_ms = [], []
    with torch.inference_mode():
        for xy in path[:20]:
            decoder(torch.from_numpy(inverse(xy)[None]))  # warm-up
        for xy in path:
            start = time.perf_counter()
            code = inverse(xy)
            mid = time.perf_counter()
            image = decoder(torch.from_numpy(code[None])).numpy().reshape(28, 28)
            end = time.perf_counter()
            knn_ms.append((mid - start) * 1000)
            drag_ms.append((end - start) * 1000)
    torch.set_num_threads(threads)
    assert image.shape == (28, 28)
    return {
        "unit": "ms",
        "points": n_points,
        "painted_as": "density image" if density else "dots",
        "memory_bytes": {**map_bytes, "total_mb": round(sum(map_bytes.values()) / 2**20, 1)},
        "full_redraw": {"what": "MapView: every point's position and colour replaced + a "
                                "synchronous repaint, 800×700 view", **stats(redraw_ms),
                        "set_data_only": stats(set_data_ms), "repaint_only": stats(paint_ms)},
        "probe_move_repaint": {"what": "probe moved + synchronous repaint of the map",
                               **stats(probe_ms)},
        "zoomed_redraw": {"what": "full redraw zoomed in to the middle half of the range: the "
                                  "points outside the view are culled", **stats(zoomed_ms)},
        "index_build_ms": round(index_ms, 1),
        "hover_lookup": {"what": "MapView.nearest_point (the map's index, 8 candidates)",
                         **stats(hover_ms)},
        "lasso": {"what": "the map's index: points_in_polygon by height bands, 50 vertices",
                  "selected": selected, **stats(lasso_ms),
                  "every_edge_over_every_point": stats(plain_lasso_ms)},
        "decode_anywhere_drag": {
            "what": "core pieces, not through the GUI: KNNInverse(k=8) on the map's index "
                    "+ MLP decoder 2-256-512-784 forward, CPU, 1 torch thread",
            "points": n_points,
            "knn_query": stats(knn_ms), "knn_plus_decode": stats(drag_ms)},
    }


def grown_mnist(data: Dataset, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` MNIST-like rows and their classes: the sample, then blends of two same-class digits
    shifted by up to a pixel, with a little noise. (Plain copies with noise would make each
    digit's neighbours its own copies: thousands of disconnected clusters, a pathological case
    for UMAP.)"""
    images = data.images().reshape(data.n, 28, 28)
    labels = data.labels if data.labels is not None else np.zeros(data.n, np.int64)
    rng = np.random.default_rng(seed)
    extra = max(0, n - data.n)
    a = rng.integers(0, data.n, extra)
    by_class = [np.flatnonzero(labels == c) for c in range(int(labels.max()) + 1)]
    b = np.array([rng.choice(by_class[labels[i]]) for i in a], dtype=np.int64)
    t = rng.uniform(0.25, 0.75, (extra, 1, 1)).astype(np.float32)
    blend = (1 - t) * images[a] + t * images[b]
    shifts = rng.integers(-1, 2, size=(extra, 2))
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            rows = np.flatnonzero((shifts[:, 0] == dy) & (shifts[:, 1] == dx))
            blend[rows] = np.roll(blend[rows], (dy, dx), axis=(1, 2))
    blend += rng.normal(scale=0.02, size=blend.shape).astype(np.float32)
    x = np.concatenate([images, np.clip(blend, 0.0, 1.0)]).reshape(-1, 784)[:n]
    return np.ascontiguousarray(x, dtype=np.float32), np.concatenate([labels, labels[a]])[:n]


def bench_projections(data: Dataset, n_pca: int, n_umap: int) -> dict:
    from latentlab.core.maps.linear import PCA

    x, _labels = grown_mnist(data, max(n_pca, n_umap))
    report: dict = {"data": f"MNIST sample grown to {len(x):,} × {x.shape[1]}: the 5,000 digits, "
                            "then blends of two same-class digits, shifted ≤ 1 px, noise σ=0.02"}
    pca_s = []
    for _ in range(3):
        start = time.perf_counter()
        fitted = fit_projection(ProjectionSpec("pca", source="pixels"), x[:n_pca])
        pca_s.append(time.perf_counter() - start)
    start = time.perf_counter()
    PCA(2).fit(x[:n_pca]).transform(x[:n_pca])
    core_s = time.perf_counter() - start
    assert fitted.coords.shape == (n_pca, 2)
    report["pca"] = {"items": n_pca, "unit": "s", "fit_projection": stats(pca_s),
                     "core_PCA_fit_transform": round(core_s, 3)}

    warm = warm_up_umap()  # loads numba's cache (or compiles): neither side pays for it below
    xu = x[:n_umap]
    params = {"n_neighbors": 15, "min_dist": 0.1}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        start = time.perf_counter()
        direct = umap_model({**params, "n_epochs": None}, 0).fit_transform(xu)
        direct_s = time.perf_counter() - start
    messages: list[str] = []
    start = time.perf_counter()
    app = fit_projection(ProjectionSpec("umap", params, source="pixels"), xu, seed=0,
                         cancel=threading.Event(), progress=messages.append)
    app_s = time.perf_counter() - start
    report["umap"] = {
        "items": n_umap, "unit": "s", "params": {**params, "random_state": 0},
        "warm_up_s": round(warm, 2), "direct_umap_fit_transform": round(direct_s, 2),
        "fit_projection": round(app_s, 2), "ratio_app_to_direct": round(app_s / direct_s, 3),
        "same_coords": bool(np.allclose(direct, app.coords, atol=1e-4)),
        "progress_messages": len(messages),
    }
    return report


def bench_startup(runs: int) -> dict:
    code = ("import sys, time; t = time.perf_counter(); import latentlab.qt.main_window; "
            "print(time.perf_counter() - t, 'umap' in sys.modules, 'numba' in sys.modules)")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    imports, umap_loaded = [], []
    for _ in range(runs + 1):
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True).stdout.split()
        imports.append(float(out[0]))
        umap_loaded.append(out[1] == "True" or out[2] == "True")
    exe = [sys.executable, "-X", "importtime", "-m", "latentlab", "--exit-after-show"]
    launches, umap_before_window = [], []
    for _ in range(runs + 1):
        start = time.perf_counter()
        proc = subprocess.run(exe, env=env, capture_output=True, text=True, check=True)
        launches.append(time.perf_counter() - start)
        umap_before_window.append(any(line.rstrip().endswith(("| umap", "| numba"))
                                      for line in proc.stderr.splitlines()))
    return {"unit": "s", "runs": runs,
            "import_main_window": stats(imports[1:]),
            "umap_or_numba_imported_by_main_window": any(umap_loaded),
            "launch_to_exit_after_show_with_importtime": stats(launches[1:]),
            "umap_or_numba_imported_by_the_app": any(umap_before_window)}


def bench_metrics(data: Dataset, epochs: int) -> dict:
    from latentlab.config import ModelConfig, TrainConfig
    from latentlab.core.evaluation.model import evaluate_model, score_map
    from latentlab.core.models import build_model
    from latentlab.core.training.loop import train

    table: dict = {}
    torch.set_num_threads(max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                              else 1))
    for family in ("ae", "vae"):
        cfg = ModelConfig(family=family, architecture="mlp", hidden=(512, 256), latent_dim=2)
        model = build_model(cfg, data.input_shape, seed=0)
        start = time.perf_counter()
        for _ in train(model, data, TrainConfig(epochs=epochs, device="cpu")):
            pass
        trained_s = time.perf_counter() - start
        scores = evaluate_model(model, data)
        table.setdefault("PCA of pixels", {**scores["maps"]["pca"],
                                           "sse": scores["reconstruction_sse_per_image"]["pca"]})
        latent = scores["maps"]["latent"]
        table[f"{family.upper()} (2-D codes)"] = {
            **latent, "sse": scores["reconstruction_sse_per_image"]["model"],
            "epochs": epochs, "train_s": round(trained_s, 1)}
    flat = data.images().reshape(data.n, -1)

    warm_s = warm_up_umap()  # numba's code from the cache (or compiled): not part of the fit
    start = time.perf_counter()
    fitted = fit_projection(ProjectionSpec("umap", source="pixels"), flat, seed=0)
    umap_s = time.perf_counter() - start
    row: dict = {**score_map(fitted.method_label, fitted.coords, np.arange(data.n), data),
                 "fit_s": round(umap_s, 1), "warm_up_s": round(warm_s, 1), "sse": None,
                 "note": "fitted on train and test together (UMAP maps only what it was fitted "
                         "on); kNN fit on the train points' coordinates, scored on the test's"}
    table["UMAP of pixels"] = row
    for name, r in table.items():
        table[name] = {k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()}
        table[name].setdefault("method", name)
    return {"data": data.describe(), "trustworthiness_neighbors": 5,
            "sse": "sum of squared pixel errors per test image; PCA with 2 components",
            "rows": table}


#: Synthetic drags send a move at most this often: pyqtgraph drops moves within 10 ms of the last.
GUI_MOVE_GAP_S = 0.012
#: Screen distance between successive moves of a synthetic drag (pixels; pyqtgraph starts a drag
#: only past 5 px from the press within its first half second).
GUI_STEP_PX = 6.0
GUI_WARM_UP_MOVES = 10


def bench_gui_drag(data: Dataset, n_items: int = 70_000, moves: int = 300, epochs: int = 1,
                   latent_dim: int = 8, umap_epochs: int | None = None) -> dict:
    """Drag the probe with mouse events on a UMAP map of the codes (decoded through the kNN
    inverse) and on the PCA map (exact inverse), in the real window: move → image painted."""
    from PySide6.QtCore import QEvent, QEventLoop, QPointF, Qt, QTimer
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication
    from spine import app_session, app_training, wait_until

    from latentlab.config import ModelConfig, TrainConfig
    from latentlab.core.maps.setup import MapSetup
    from latentlab.lab.data_session import MAX_MAP_POINTS
    from latentlab.lab.map_state import PIXELS, THIRD

    app, window = app_session()  # 1440×900, shown (offscreen); the GUI decodes on 1 torch thread
    lab = window.lab
    x, labels = grown_mnist(data, n_items)
    grown = Dataset(f"{data.name} grown to {n_items:,}", x.reshape(n_items, 1, 28, 28), labels,
                    data.class_names, random_split(n_items, 0.1, seed=0))
    model_cfg = ModelConfig(family="ae", architecture="mlp", hidden=(512, 256),
                            latent_dim=latent_dim)
    start = time.perf_counter()
    _loop_rate, _wall_rate, steps = app_training(app, window, grown, model_cfg,
                                                 TrainConfig(epochs=epochs, device="cpu"))
    train_s = time.perf_counter() - start
    assert lab.model.codes is not None and len(lab.model.codes) == min(n_items, MAX_MAP_POINTS)

    def run_loop(seconds: float) -> None:
        """The real event loop for ``seconds`` (blocking on events, never spinning)."""
        done = [False]
        QTimer.singleShot(max(0, round(seconds * 1000)), lambda: done.__setitem__(0, True))
        while not done[0]:
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)

    warm_s = warm_up_umap()  # numba's code from its cache (or compiled): not part of the fit
    params = {"n_neighbors": 15, "min_dist": 0.1, "n_epochs": umap_epochs}
    start = time.perf_counter()
    assert lab.maps.project(THIRD, MapSetup("codes", "umap", params))
    wait_until(app, lambda: not lab.maps.is_projecting(THIRD), 1800)
    umap_s = time.perf_counter() - start
    assert lab.maps[THIRD].fit is not None, "the UMAP did not finish"
    assert window.workspace.map_boxes[THIRD].isVisible(), "the third map is not shown"
    for map_id in (THIRD, PIXELS):
        wait_until(app, lambda m=map_id: len(window.workspace.maps[m].scatter) == n_items, 30)
    run_loop(1.0)  # throttled redraws, auto-range and the first decodes settle
    decode_status = lab.maps.decode_status(THIRD)
    assert "nearest codes" in decode_status, decode_status

    # When each map's view last finished painting (its viewport: the points, from their cached
    # picture, and the probe). The instance attribute overrides the Qt virtual for that view only.
    view_painted: dict[str, float] = {}
    for map_id in (THIRD, PIXELS):
        plot = window.workspace.maps[map_id].plot

        def timed_paint(event, plot=plot, map_id=map_id) -> None:
            type(plot).paintEvent(plot, event)
            view_painted[map_id] = time.perf_counter()

        plot.paintEvent = timed_paint
    left, no_button = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    rng = np.random.default_rng(0)

    def send(widget, kind: QEvent.Type, pos: QPointF, buttons) -> None:
        button = no_button if kind == QEvent.Type.MouseMove else left
        QApplication.sendEvent(widget, QMouseEvent(kind, pos, widget.mapToGlobal(pos), button,
                                                   buttons, Qt.KeyboardModifier.NoModifier))

    def drag(map_id: str) -> dict:
        view, tile = window.workspace.maps[map_id], window.workspace.probe_panel.tiles[map_id]
        viewport, coords = view.plot.viewport(), lab.maps[map_id].coords
        assert coords is not None

        def on_screen(xy) -> np.ndarray:
            point = view.plot.mapFromScene(view.view_box.mapViewToScene(QPointF(*map(float, xy))))
            return np.array([point.x(), point.y()], np.float64)

        # Through dense regions: straight lines between map points drawn at random (so more
        # often where points are dense), in steps of GUI_STEP_PX on screen.
        here = on_screen(lab.maps[map_id].probe)
        path: list[np.ndarray] = []
        while len(path) < moves + GUI_WARM_UP_MOVES:
            there = on_screen(coords[rng.integers(len(coords))])
            n = max(1, int(np.hypot(*(there - here)) // GUI_STEP_PX))
            path += [here + (there - here) * (i + 1) / n for i in range(n)]
            here = there
        path = path[:moves + GUI_WARM_UP_MOVES]
        start_px = on_screen(lab.maps[map_id].probe)
        send(viewport, QEvent.Type.MouseButtonPress, QPointF(*start_px), left)
        latencies, frames, dropped, spots = [], [], 0, []
        last = time.perf_counter()
        for i, px in enumerate(path):
            run_loop(max(0.0, last + GUI_MOVE_GAP_S - time.perf_counter()))
            before, probe_before = tile.paint_count, lab.maps[map_id].probe.copy()
            start = last = time.perf_counter()
            send(viewport, QEvent.Type.MouseMove, QPointF(round(px[0]), round(px[1])), left)
            if np.array_equal(lab.maps[map_id].probe, probe_before):
                dropped += 1  # not taken as a drag move (it cannot be: each is 6 px and 12 ms)
                continue
            wait_until(app, lambda b=before: tile.paint_count > b, 5)
            painted = time.perf_counter()
            wait_until(app, lambda s=start: view_painted.get(map_id, 0.0) > s, 5)
            framed = time.perf_counter()
            if i >= GUI_WARM_UP_MOVES:  # the first moves build the hover's KD-tree, etc.
                latencies.append((painted - start) * 1000)
                frames.append((framed - start) * 1000)
                spots.append(lab.maps[map_id].probe.copy())
        send(viewport, QEvent.Type.MouseButtonRelease, QPointF(*path[-1]), no_button)
        app.processEvents()
        assert len(latencies) >= 0.9 * moves, f"{map_id}: only {len(latencies)} moves decoded"
        # The decode alone at the same spots (what the decode timer runs per move).
        decode_ms, shadow = [], copy.copy(lab.maps[map_id])  # the map's fit, probes of its own
        for xy in spots:
            shadow.probe = xy
            begin = time.perf_counter()
            lab.maps.decoder.decode(shadow, lab.maps.latent_map)
            decode_ms.append((time.perf_counter() - begin) * 1000)
        return {"move_to_image_painted": stats(latencies),
                "move_to_image_and_map_painted": stats(frames),
                "decode_only": stats(decode_ms),
                "moves_dropped": dropped, "within_16ms": round(
                    float(np.mean(np.asarray(latencies) <= 16.0)), 4)}

    third = drag(THIRD)
    pixels = drag(PIXELS)
    for map_id in (THIRD, PIXELS):
        del window.workspace.maps[map_id].plot.paintEvent
    map_size = window.workspace.maps[THIRD].plot.viewport().size()
    report = {
        "unit": "ms",
        "what": "mouse events sent to a MapView's viewport (press on the probe, moves "
                f"{GUI_STEP_PX:.0f} px and ≥ {GUI_MOVE_GAP_S * 1000:.0f} ms apart, each handled "
                "before the next), timed from sending a move to the decoded image painted in "
                "the probe panel (its tile's paint count goes up, as in spine.py's drag), and "
                "to the map's view repainted as well (its points from their cached picture, "
                "and the probe); the first "
                f"{GUI_WARM_UP_MOVES} moves of each drag not counted. decode_only: the lab's "
                "decode at the same spots, without events or painting",
        "window": "1440×900 MainWindow, offscreen, three maps shown",
        "map_viewport_px": [map_size.width(), map_size.height()],
        "items": n_items, "map_points": len(lab.maps[THIRD].coords),
        "model": f"AE MLP 784-512-256-{latent_dim}, decoder {latent_dim}-256-512-784, "
                 f"{epochs} epoch(s) through the GUI ({steps} steps, {train_s:.1f} s)",
        "umap": {"params": params, "source": "codes", "seconds": round(umap_s, 1),
                 "warm_up_s": round(warm_s, 1)},
        "umap_map_decodes": decode_status,
        "umap_map": third,
        "pca_map": {"decodes": "exact inverse (mean + coords · components)", **pixels},
    }
    window.close()
    return report


def bench_tsne(data: Dataset, n_items: int, n_new: int, n_sklearn: int) -> dict:
    """t-SNE as the app fits it (openTSNE) against scikit-learn's on a subset, new items placed
    into the fitted map, and each map's 1-NN accuracy (80 % of its points → the rest)."""
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    from latentlab.core.evaluation.metrics import knn_accuracy
    from latentlab.core.maps.methods import DEFAULT_PARAMS

    x, labels = grown_mnist(data, n_items + n_new)
    x_new, new_labels = x[n_items:], labels[n_items:]
    x, labels = x[:n_items], labels[:n_items]
    params = dict(DEFAULT_PARAMS["tsne"])
    cores = os.cpu_count() or 1

    def one_nn(coords: np.ndarray, y: np.ndarray) -> float:
        cut = int(0.8 * len(coords))
        return round(knn_accuracy(coords[:cut], y[:cut], coords[cut:], y[cut:], k=1), 4)

    def app_fit(rows: np.ndarray) -> tuple[float, object, list[str]]:
        messages: list[str] = []
        start = time.perf_counter()
        with threadpool_limits(limits=cores):
            fitted = fit_projection(ProjectionSpec("tsne", params, source="pixels"), rows,
                                    seed=0, cancel=threading.Event(), progress=messages.append)
        return time.perf_counter() - start, fitted, messages

    app_s, fitted, messages = app_fit(x)
    start = time.perf_counter()
    placed = fitted.place(x_new)
    place_s = time.perf_counter() - start
    # The new items' 1-NN against the fitted map: do they land among their own class?
    placed_nn = knn_accuracy(fitted.coords, labels, placed, new_labels, k=1)
    sub = np.random.default_rng(0).permutation(n_items)[:n_sklearn]
    sub_app_s, sub_fitted, _ = app_fit(x[sub])
    start = time.perf_counter()
    with warnings.catch_warnings(), threadpool_limits(limits=cores):
        warnings.simplefilter("ignore", FutureWarning)
        sk = TSNE(2, perplexity=params["perplexity"], max_iter=params["max_iter"],
                  init="pca", random_state=0, n_jobs=cores).fit_transform(x[sub])
    sk_s = time.perf_counter() - start
    return {
        "data": f"MNIST sample grown to {n_items + n_new:,} × 784 (see projections)",
        "params": params, "cores": cores, "unit": "s",
        "app": {"items": n_items, "seconds": round(app_s, 1),
                "one_nn": one_nn(fitted.coords, labels),
                "phases": sorted({m.split(" (")[0].split(" iteration")[0] for m in messages})},
        "place_new": {"items": n_new, "seconds": round(place_s, 1),
                      "one_nn_against_the_map": round(float(placed_nn), 4)},
        "same_subset": {"items": n_sklearn, "app_seconds": round(sub_app_s, 1),
                        "sklearn_seconds": round(sk_s, 1),
                        "ratio_sklearn_to_app": round(sk_s / sub_app_s, 2),
                        "app_one_nn": one_nn(sub_fitted.coords, labels[sub]),
                        "sklearn_one_nn": one_nn(sk, labels[sub])},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--items", "--points", dest="points", type=int, default=1_000_000,
                        help="map points for the view figures")
    parser.add_argument("--moves", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--pca-items", type=int, default=70_000)
    parser.add_argument("--umap-items", type=int, default=70_000)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--tsne-items", type=int, default=70_000)
    parser.add_argument("--tsne-new", type=int, default=10_000)
    parser.add_argument("--tsne-sklearn-items", type=int, default=10_000,
                        help="scikit-learn's t-SNE on this many of the items (hours on all)")
    parser.add_argument("--gui-items", type=int, default=70_000)
    parser.add_argument("--gui-moves", type=int, default=300)
    parser.add_argument("--gui-epochs", type=int, default=1)
    parser.add_argument("--gui-latent-dim", type=int, default=8)
    parser.add_argument("--gui-umap-epochs", type=int, default=None,
                        help="the third map's UMAP layout epochs (None: umap-learn's choice)")
    parser.add_argument("--only", nargs="*",
                        default=["startup", "view", "projections", "metrics"])
    args = parser.parse_args()
    data = load_data(args.data)
    report: dict = {
        "machine": machine(),
        "data": data.describe(),
    }
    if "startup" in args.only:
        report["startup"] = bench_startup(3)
    if "view" in args.only:
        report["view"] = bench_view(args.points, args.moves, args.repeats)
    if "projections" in args.only:
        report["projections"] = bench_projections(data, args.pca_items, args.umap_items)
    if "tsne" in args.only:
        report["tsne"] = bench_tsne(data, args.tsne_items, args.tsne_new,
                                    args.tsne_sklearn_items)
    if "metrics" in args.only:
        report["metrics"] = bench_metrics(data, args.epochs)
    if "gui-drag" in args.only:
        report["gui_drag"] = bench_gui_drag(data, args.gui_items, args.gui_moves,
                                            args.gui_epochs, args.gui_latent_dim,
                                            args.gui_umap_epochs)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
