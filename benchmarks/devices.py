"""Training figures per device, printed as JSON: the app's training generator vs a bare loop.

    python benchmarks/devices.py [--data DIR] [--device cuda|cpu|mps] [--epochs N]

For each model (AE and VAE, MLP and convolutional) it runs the core's ``train`` generator — the
exact code the GUI's worker runs, with its live snapshots — and a bare PyTorch loop on the same
device, model, data and batches, and reports steps per second, seconds per epoch, the ratio, the
final held-out loss, and that the snapshot weights load into a CPU copy of the decoder as the GUI
does. Needs no display.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data import Dataset, load_builtin, load_idx_folder
from latentlab.core.models import build_model
from latentlab.core.training.device import describe_device, resolve_device
from latentlab.core.training.events import EpochEnded, Snapshot, TrainingFinished
from latentlab.core.training.loop import train
from latentlab.core.training.views import LiveItems

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-5k"


def machine() -> dict:
    """What the figures were measured on."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"python": platform.python_version(), "torch": torch.__version__, "cores": cores}


def load_data(folder: Path) -> Dataset:
    """The MNIST sample when its folder exists, else the embedded digits."""
    return load_idx_folder(folder, "mnist-5k") if folder.is_dir() else load_builtin("digits")

MODELS = {
    "ae-mlp": ModelConfig(family="ae", architecture="mlp", hidden=(512, 256)),
    "vae-mlp": ModelConfig(family="vae", architecture="mlp", hidden=(512, 256)),
    "ae-conv": ModelConfig(family="ae", architecture="conv"),
    "vae-conv": ModelConfig(family="vae", architecture="conv"),
}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def bare_loop(data: Dataset, cfg: ModelConfig, train_cfg: TrainConfig,
              device: torch.device | None = None) -> float:
    """The reference: the same model, optimiser and shuffled batches, with nothing around it."""
    device = device or torch.device("cpu")
    model = build_model(cfg, data.input_shape, seed=train_cfg.seed).to(device)
    x = torch.from_numpy(data.images(data.train_indices)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=train_cfg.learning_rate)
    shuffle = torch.Generator().manual_seed(train_cfg.seed)
    steps = 0
    sync(device)
    start = time.perf_counter()
    for _ in range(train_cfg.epochs):
        order = torch.randperm(len(x), generator=shuffle).to(device)
        for i in range(0, len(x), train_cfg.batch_size):
            loss = model.losses(x[order[i : i + train_cfg.batch_size]])["loss"]
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss.item()  # a real loop logs its loss too
            steps += 1
    sync(device)
    return steps / (time.perf_counter() - start)


def app_generator(data: Dataset, cfg: ModelConfig, train_cfg: TrainConfig) -> dict:
    model = build_model(cfg, data.input_shape, seed=train_cfg.seed)
    gui_copy = copy.deepcopy(model).eval()  # what the GUI thread keeps
    live = LiveItems(np.arange(data.n), data.test_indices[:8])
    last_epoch = finished = None
    snapshots = 0
    start = time.perf_counter()
    for event in train(model, data, train_cfg, live=live):
        if isinstance(event, Snapshot):
            snapshots += 1
            gui_copy.decoder.load_state_dict({k: torch.from_numpy(v)
                                              for k, v in event.decoder_state.items()})
        elif isinstance(event, EpochEnded):
            last_epoch = event
        elif isinstance(event, TrainingFinished):
            finished = event
    elapsed = time.perf_counter() - start
    with torch.inference_mode():
        image = gui_copy.decode(torch.zeros(1, cfg.latent_dim))
    assert finished is not None and last_epoch is not None
    return {
        "steps_per_s": finished.global_step / elapsed,
        "s_per_epoch": elapsed / finished.epochs_done,
        "held_out_loss": round(last_epoch.test["loss"], 3),
        "snapshots": snapshots,
        "gui_copy_decodes": bool(torch.isfinite(image).all()) and image.device.type == "cpu",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    args = parser.parse_args()
    data = load_data(args.data)
    device = resolve_device(args.device)
    report: dict = {"device": describe_device(device), "torch": torch.__version__,
                    "data": data.describe(), "epochs": args.epochs, "models": {}}
    for name in args.models:
        cfg = MODELS[name]
        train_cfg = TrainConfig(epochs=args.epochs, device=device.type)
        bare_loop(data, cfg, TrainConfig(epochs=1, device=device.type), device)  # warm-up
        bare = bare_loop(data, cfg, train_cfg, device)
        app = app_generator(data, cfg, train_cfg)
        app["bare_steps_per_s"] = bare
        app["ratio_app_to_bare"] = app["steps_per_s"] / bare
        report["models"][name] = {k: round(v, 3) if isinstance(v, float) else v
                                  for k, v in app.items()}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
