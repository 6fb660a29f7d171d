"""Figures for the app's spine, printed as JSON (not timed assertions).

    python benchmarks/spine.py [--data DIR] [--epochs N] [--moves N] [--only NAME ...]

- throughput: in-app training (QThread worker, GUI signals, live maps) vs a bare PyTorch loop on
  the same model, data, batches and thread count, measured in one run; the ratio is what counts.
- drag: probe move → decoded image painted, p50/p95 over many moves, 28×28 MLP decoder, CPU.
- stall: while training on CPU, the delay of a 10 ms timer on the GUI thread (p50/p99/max).
- startup: `latentlab --exit-after-show` wall time from launch to the window shown (with the
  default dataset's PCA map; torch loads behind it), against a bare `python -c "import torch"`
  timed in the same run: the ratio is what counts (at most 0.6).

Uses ../shared/data/mnist-5k when present (the MNIST sample), else the embedded digits.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import torch
from devices import DEFAULT_DATA, bare_loop, load_data, machine

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data import Dataset
from latentlab.core.training.device import training_cpu_threads


def percentiles(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values)
    return {
        "p50": round(float(np.percentile(arr, 50)), 3),
        "p95": round(float(np.percentile(arr, 95)), 3),
        "p99": round(float(np.percentile(arr, 99)), 3),
        "max": round(float(arr.max()), 3),
        "n": len(arr),
    }


def app_session():
    from latentlab.qt.app import create_application
    from latentlab.qt.main_window import MainWindow

    app = create_application()
    window = MainWindow()
    window.resize(1440, 900)
    window.show()
    return app, window


def wait_until(app, predicate, timeout_s: float) -> None:
    """Run the real event loop (blocking on events, never spinning) until ``predicate`` holds."""
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.perf_counter() + timeout_s
    wake = QTimer()
    wake.start(50)  # re-check the predicate at least this often
    try:
        while not predicate():
            if time.perf_counter() > deadline:
                raise TimeoutError("benchmark step timed out")
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    finally:
        wake.stop()


def app_training(app, window, data: Dataset, model_cfg: ModelConfig,
                 train_cfg: TrainConfig) -> tuple[float, float, int]:
    """Train through the GUI; steps/s over the training loop and over the whole wall time."""
    lab = window.lab
    lab.data.set_dataset(data)
    finished: list = []
    lab.model.finished.connect(finished.append)
    start = time.perf_counter()
    lab.model.start_training(model_cfg, train_cfg)
    wait_until(app, lambda: bool(finished) and not lab.model.training, 3600)
    wall = time.perf_counter() - start
    lab.model.finished.disconnect(finished.append)
    event = finished[0]
    return event.global_step / event.elapsed_s, event.global_step / wall, event.global_step


def bench_throughput(app, window, data: Dataset, epochs: int, rounds: int) -> dict:
    """Bare loop and in-app training alternate, so drift on a shared machine hits both alike."""
    threads = training_cpu_threads()
    model_cfg = ModelConfig(family="ae", architecture="mlp", hidden=(512, 256), latent_dim=2)
    train_cfg = TrainConfig(epochs=epochs, batch_size=64, learning_rate=1e-3, device="cpu")
    torch.set_num_threads(threads)
    # Warm both paths (allocator, thread pools, first paints) before measuring either.
    bare_loop(data, model_cfg, TrainConfig(epochs=1, device="cpu"))
    app_training(app, window, data, model_cfg, TrainConfig(epochs=1, device="cpu"))
    bare_runs, loop_runs, wall_runs, ratios, wall_ratios = [], [], [], [], []
    steps = 0
    for _ in range(rounds):
        bare = bare_loop(data, model_cfg, train_cfg)
        in_loop, in_wall, steps = app_training(app, window, data, model_cfg, train_cfg)
        bare_runs.append(round(bare, 1))
        loop_runs.append(round(in_loop, 1))
        wall_runs.append(round(in_wall, 1))
        ratios.append(in_loop / bare)
        wall_ratios.append(in_wall / bare)
    return {
        "model": "AE MLP 784-512-256-2", "dataset": data.name, "epochs": epochs, "steps": steps,
        "torch_threads": threads, "rounds": rounds,
        "bare_steps_per_s": bare_runs,
        # Over the training loop (first step to last snapshot), while the GUI draws what it sends.
        "app_steps_per_s": loop_runs,
        # Over everything from pressing Train: model copy, thread start-up, final snapshot.
        "app_steps_per_s_wall": wall_runs,
        "ratio_app_to_bare_per_round": [round(r, 3) for r in ratios],
        "ratio_app_to_bare_median": round(float(np.median(ratios)), 3),
        "ratio_wall_to_bare_median": round(float(np.median(wall_ratios)), 3),
    }


def bench_drag(app, window, data: Dataset, moves: int) -> dict:
    """From a probe move (as the drag handler makes it) to the decoded image painted."""
    from latentlab.lab.map_state import LATENT, PIXELS

    lab = window.lab
    lab.data.set_dataset(data)
    # A short training run gives the GUI its live decoder (28×28 MLP) and a latent map.
    app_training(app, window, data, ModelConfig(hidden=(512, 256)),
                 TrainConfig(epochs=1, device="cpu"))
    results = {}
    rng = np.random.default_rng(0)
    for map_id in (LATENT, PIXELS):
        view = window.workspace.maps[map_id]
        tile = window.workspace.probe_panel.tiles[map_id]
        coords = lab.maps[map_id].coords
        lo, hi = coords.min(0), coords.max(0)
        latencies = []
        for _ in range(moves):
            x, y = rng.uniform(lo, hi)
            before = tile.paint_count
            start = time.perf_counter()
            view.probe.setPos(float(x), float(y))  # what TargetItem.mouseDragEvent does
            wait_until(app, lambda t=tile, b=before: t.paint_count > b, 5)
            latencies.append((time.perf_counter() - start) * 1000)
        results[map_id] = percentiles(latencies)
    return {"unit": "ms", "decoder": "MLP 2-256-512-784", "moves": moves, **results}


def bench_code_slider(app, window, data: Dataset, moves: int) -> dict:
    """From an InfoGAN code slider's change to the generated image painted (DCGAN and MLP)."""
    from latentlab.lab.map_state import LATENT

    lab = window.lab
    lab.data.set_dataset(data)
    tile = window.workspace.probe_panel.tiles[LATENT]
    results = {}
    rng = np.random.default_rng(0)
    for arch in ("conv", "mlp"):
        # A few seconds of training give the GUI its live generator; latency needs no more.
        lab.model.start_training(ModelConfig(family="infogan", architecture=arch),
                             TrainConfig(epochs=1, device="cpu"))
        wait_until(app, lambda: lab.model.samples is not None, 120)
        lab.model.stop()
        wait_until(app, lambda: not lab.model.training, 120)
        sliders = window.workspace.code_panel.sliders
        latencies = []
        for i in range(moves):
            slider = sliders[i % len(sliders)]
            value = slider.value()
            while value == slider.value():  # an unchanged slider emits nothing
                value = int(rng.integers(slider.minimum(), slider.maximum() + 1))
            before = tile.paint_count
            start = time.perf_counter()
            slider.setValue(value)
            wait_until(app, lambda b=before: tile.paint_count > b, 5)
            latencies.append((time.perf_counter() - start) * 1000)
        results["dcgan" if arch == "conv" else "mlp"] = percentiles(latencies)
    return {"unit": "ms", "generators": "DCGAN (InfoGAN paper's MNIST G), MLP 74-256-512-784",
            "moves": moves, **results}


def bench_stall(app, window, data: Dataset, epochs: int) -> dict:
    """A 10 ms timer on the GUI thread while the worker trains on CPU: how late does it fire?"""
    from PySide6.QtCore import QTimer

    delays: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        delays.append(max(0.0, (now - last[0]) * 1000 - 10.0))
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    def restart(_event) -> None:  # count only the delays while training runs
        delays.clear()
        last[0] = time.perf_counter()

    window.lab.model.started.connect(restart)
    timer.start()
    app_training(app, window, data, ModelConfig(hidden=(512, 256)),
                 TrainConfig(epochs=epochs, device="cpu"))
    timer.stop()
    return {"unit": "ms late", "timer_ms": 10, **percentiles(delays)}


def bench_import_torch(runs: int) -> list[float]:
    """Wall time of a bare ``python -c "import torch"``, after one run that warms the caches."""
    exe = [sys.executable, "-c", "import torch"]
    subprocess.run(exe, capture_output=True, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(exe, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return times


def bench_startup(runs: int) -> dict:
    exe = [sys.executable, "-m", "latentlab", "--exit-after-show"]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    subprocess.run(exe, env=env, capture_output=True, check=True)  # warm the file cache
    torch_times = bench_import_torch(runs)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(exe, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("window shown"):
                times.append(time.perf_counter() - start)
                break
        proc.wait()
    launch, bare = float(np.median(times)), float(np.median(torch_times))
    return {"unit": "s", "runs": runs, "median": round(launch, 3), "max": round(max(times), 3),
            "import_torch_median": round(bare, 3), "import_torch_max": round(max(torch_times), 3),
            "launch_to_window_over_import_torch": round(launch / bare, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--moves", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="*",
                        default=["throughput", "drag", "slider", "stall", "startup"])
    args = parser.parse_args()
    data = load_data(args.data)
    report: dict = {
        "machine": machine(),
        "data": data.describe(),
    }
    if "startup" in args.only:
        report["startup"] = bench_startup(5)
    app, window = app_session()
    if "throughput" in args.only:
        report["throughput"] = bench_throughput(app, window, data, args.epochs,
                                                args.rounds)
    if "drag" in args.only:
        report["drag_to_decode"] = bench_drag(app, window, data, args.moves)
    if "slider" in args.only:
        report["code_slider_to_image"] = bench_code_slider(app, window, data, args.moves)
    if "stall" in args.only:
        report["gui_stall_while_training"] = bench_stall(app, window, data, args.epochs)
    window.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
