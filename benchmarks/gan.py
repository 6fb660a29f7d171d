"""GAN figures, printed as JSON: InfoGAN's unsupervised category accuracy, mode coverage of the
saturating vs the non-saturating generator loss, and seconds per epoch.

    python benchmarks/gan.py [--data DIR] [--device cpu|cuda] [--arch conv|mlp]
                             [--info-epochs N] [--coverage-epochs N] [--threads N]

Everything runs through the core's ``train`` generator, the code the GUI's worker runs.

- Category accuracy: Q's categorical code on the held-out split, each category matched to one
  label by the Hungarian algorithm, traced every ``--eval-every`` epochs.
- Mode coverage: a small classifier trained on the labels sorts 10,000 generated images; we
  report the classes that get at least 10 % of a uniform share, and KL(histogram ‖ uniform).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from devices import DEFAULT_DATA, load_data, sync

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data import Dataset
from latentlab.core.evaluation.gan import (
    LabelClassifier,
    category_accuracy,
    generated_mode_coverage,
)
from latentlab.core.models import GAN, InfoGAN, build_model
from latentlab.core.training.device import describe_device, resolve_device
from latentlab.core.training.events import EpochEnded, TrainingFailed, TrainingFinished
from latentlab.core.training.loop import train


def train_model(data: Dataset, cfg: ModelConfig, epochs: int, device: torch.device,
                eval_every: int = 0) -> tuple[GAN, dict]:
    model = build_model(cfg, data.input_shape, seed=0)
    train_cfg = TrainConfig(epochs=epochs, device=device.type, seed=0)
    trace: list[dict] = []
    outcome: dict = {}
    sync(device)
    start = time.perf_counter()
    measured = 0.0  # training time, without the accuracy checks in between
    last = start
    for event in train(model, data, train_cfg):
        if isinstance(event, EpochEnded):
            sync(device)
            measured += time.perf_counter() - last
            if eval_every and (event.epoch % eval_every == 0 or event.epoch == epochs):
                assert isinstance(model, InfoGAN)
                trace.append({"epoch": event.epoch, "seconds": round(measured, 1),
                              "info": round(event.train["info"], 3),
                              "category_accuracy": round(category_accuracy(model, data), 4)})
                model.train()
            last = time.perf_counter()
        elif isinstance(event, TrainingFailed):
            outcome["failed"] = event.message
        elif isinstance(event, TrainingFinished):
            outcome["epochs"] = event.epochs_done
    outcome["train_seconds"] = round(measured, 1)
    outcome["s_per_epoch"] = round(measured / max(outcome.get("epochs", epochs), 1), 3)
    if trace:
        outcome["trace"] = trace
    return model, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--arch", default="conv", choices=("conv", "mlp"))
    parser.add_argument("--info-epochs", type=int, default=10)
    parser.add_argument("--eval-every", type=int, default=2)
    parser.add_argument("--coverage-epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip", nargs="*", default=[], choices=("info", "coverage"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = load_data(args.data)
    device = resolve_device(args.device)
    hidden = (512, 256)
    report: dict = {"device": describe_device(device), "torch": torch.__version__,
                    "data": data.describe(), "held_out": len(data.test_indices),
                    "architecture": "DCGAN" if args.arch == "conv" else f"MLP {hidden}"}

    if "info" not in args.skip:
        cfg = ModelConfig(family="infogan", architecture=args.arch, hidden=hidden)
        _, outcome = train_model(data, cfg, args.info_epochs, device, args.eval_every)
        report["infogan"] = {"settings": "K=10, 2 continuous, 62 noise, λ=1, "
                             "Adam D 2e-4 / G 1e-3, batch 64", **outcome}

    if "coverage" not in args.skip:
        classifier = LabelClassifier.fit(data, device=device)
        report["coverage_classifier_test_accuracy"] = round(classifier.test_accuracy, 4)
        for loss in ("saturating", "non_saturating"):
            cfg = ModelConfig(family="gan", architecture=args.arch, hidden=hidden,
                              gan_loss=loss)
            model, outcome = train_model(data, cfg, args.coverage_epochs, device)
            coverage = generated_mode_coverage(model, classifier, len(data.class_names))
            report[f"gan_{loss}"] = {**outcome, **coverage.to_dict()}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
