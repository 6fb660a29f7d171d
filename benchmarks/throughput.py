"""Training throughput in images per second, printed as JSON: the app's loop vs a bare loop.

    python benchmarks/throughput.py [--device auto|cpu|cuda] [--batches 64 256 1024]
                                    [--precisions fp32 bf16] [--models vae-mlp dcgan]

For each model, batch size and precision it times the core's ``train`` generator — the code
the window's worker runs, with its progress reports, snapshots, live map of every item, held-out
curve and NaN checks — against a bare loop on the same device, model, optimisers, resident data
and shuffled batches that calls the same ``train_step`` and reads its losses once per epoch
(no host sync per step either). Runs alternate, so drift on a shared machine hits both alike;
the ratio is the median over ``--rounds``. On a GPU the defaults cover batch 64, 256 and 1,024
in fp32 and bf16 for both models, with the images repeated to 60,000 (MNIST's size: with 4,000
train items, batch 1,024 would spend more time on each epoch's map and held-out curve than on
its four steps); on the CPU a smaller set (the MLP-VAE, fp32, batch 64 and 256, the sample as
it is: the DCGAN trains at about 100 images/s there). Needs no display.

Uses ../shared/data/mnist-5k when present (the MNIST sample), else the embedded digits.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from devices import DEFAULT_DATA, load_data, machine, sync

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data import Dataset
from latentlab.core.models import build_model
from latentlab.core.training.device import describe_device, resolve_device
from latentlab.core.training.events import Snapshot, TrainingFinished
from latentlab.core.training.loop import train
from latentlab.core.training.precision import bf16_problem, mixed_precision
from latentlab.core.training.views import LiveItems

MODELS = {
    "vae-mlp": ModelConfig(family="vae", architecture="mlp", hidden=(512, 256)),
    "dcgan": ModelConfig(family="gan", architecture="conv"),
}


def repeated(data: Dataset, items: int) -> Dataset:
    """``data`` repeated whole until it holds at least ``items`` items (for timing only)."""
    k = max(1, math.ceil(items / data.n))
    if k == 1:
        return data
    labels = None if data.labels is None else np.tile(data.labels, k)
    return Dataset(f"{data.name} ×{k}", np.tile(data.x, (k, 1, 1, 1)), labels,
                   data.class_names, np.tile(data.is_test, k))


def run_config(device: torch.device, batch: int, precision: str, epochs: int) -> TrainConfig:
    return TrainConfig(epochs=epochs, batch_size=batch, device=device.type, precision=precision,
                       learning_rate=2e-4)


def bare_loop(data: Dataset, cfg: ModelConfig, train_cfg: TrainConfig,
              device: torch.device) -> float:
    """Images per second of the model's own ``train_step`` with nothing around it."""
    model = build_model(cfg, data.input_shape, seed=train_cfg.seed).to(device).train()
    model.mixed_precision = mixed_precision(train_cfg.precision, device)
    x = torch.from_numpy(data.images(data.train_indices)).to(device)
    optimizers = model.make_optimizers(train_cfg)
    shuffle = torch.Generator().manual_seed(train_cfg.seed)
    images = 0
    sync(device)
    start = time.perf_counter()
    for _ in range(train_cfg.epochs):
        order = torch.randperm(len(x), generator=shuffle).to(device)
        terms = []
        for i in range(0, len(x), train_cfg.batch_size):
            rows = order[i : i + train_cfg.batch_size]
            terms.append(torch.stack(list(model.train_step(x[rows], optimizers).values())))
            images += len(rows)
        torch.stack(terms).sum(0).tolist()  # a real loop logs its losses too: once an epoch
    sync(device)
    return images / (time.perf_counter() - start)


def app_loop(data: Dataset, cfg: ModelConfig, train_cfg: TrainConfig) -> tuple[float, float]:
    """Images per second of the app's training generator (over its loop, and over the whole
    call), applying each snapshot to a CPU copy of the decoder as the window does."""
    model = build_model(cfg, data.input_shape, seed=train_cfg.seed)
    gui_copy = copy.deepcopy(model).eval()
    live = LiveItems(np.arange(data.n), data.test_indices[:8])
    finished = None
    start = time.perf_counter()
    for event in train(model, data, train_cfg, live=live, progress_interval_s=0.25):
        if isinstance(event, Snapshot):
            gui_copy.decoder.load_state_dict({k: torch.from_numpy(v)
                                              for k, v in event.decoder_state.items()})
        elif isinstance(event, TrainingFinished):
            finished = event
    wall = time.perf_counter() - start
    assert finished is not None and finished.reason == "completed"
    images = len(data.train_indices) * finished.epochs_done
    return images / finished.elapsed_s, images / wall


def measure(data: Dataset, name: str, device: torch.device, batch: int, precision: str,
            min_steps: int, rounds: int) -> dict:
    cfg = MODELS[name]
    epochs = max(1, math.ceil(min_steps / math.ceil(len(data.train_indices) / batch)))
    train_cfg = run_config(device, batch, precision, epochs)
    warm = run_config(device, batch, precision, 1)
    bare_loop(data, cfg, warm, device)  # allocator, kernels, autotuning
    app_loop(data, cfg, warm)
    bare, app, wall = [], [], []
    for _ in range(rounds):
        bare.append(bare_loop(data, cfg, train_cfg, device))
        loop_rate, wall_rate = app_loop(data, cfg, train_cfg)
        app.append(loop_rate)
        wall.append(wall_rate)
    ratios = [a / b for a, b in zip(app, bare, strict=True)]
    return {
        "model": name, "batch": batch, "precision": precision, "epochs": epochs,
        "bare_images_per_s": [round(v) for v in bare],
        "app_images_per_s": [round(v) for v in app],
        "app_images_per_s_wall": [round(v) for v in wall],
        "ratio_app_to_bare_median": round(float(np.median(ratios)), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--models", nargs="*", choices=list(MODELS),
                        help="(GPU: both; CPU: vae-mlp)")
    parser.add_argument("--batches", nargs="*", type=int)
    parser.add_argument("--precisions", nargs="*", choices=("fp32", "bf16"))
    parser.add_argument("--min-steps", type=int, help="steps per timed run (GPU 400, CPU 150)")
    parser.add_argument("--items", type=int,
                        help="repeat the images to at least N items (GPU 60000, CPU none)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (default)")
    args = parser.parse_args()
    device = resolve_device(args.device)
    gpu = device.type == "cuda"
    if args.threads:
        torch.set_num_threads(args.threads)
    batches = args.batches or ([64, 256, 1024] if gpu else [64, 256])
    precisions = args.precisions or (["fp32", "bf16"] if gpu else ["fp32"])
    skipped = {p: bf16_problem(device) for p in precisions if p == "bf16" and bf16_problem(device)}
    models = args.models or (list(MODELS) if gpu else ["vae-mlp"])
    data = repeated(load_data(args.data), args.items or (60_000 if gpu else 0))
    report: dict = {"machine": machine(), "device": describe_device(device),
                    "data": data.describe(), "skipped": skipped, "runs": []}
    for name in models:
        for precision in precisions:
            if precision in skipped:
                continue
            for batch in batches:
                report["runs"].append(measure(data, name, device, batch, precision,
                                              args.min_steps or (400 if gpu else 150),
                                              args.rounds))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
