"""Unpaired translation (CycleGAN) and progressive growing, printed as JSON.

    python benchmarks/translation.py [--only cyclegan,progan] [--epochs 10] [--threads 2]
                                     [--progan-seconds 300] [--device cpu|cuda]

- ``cyclegan``: the built-in pair, scikit-learn's 8×8 digits framed as MNIST's (A) → the
  embedded MNIST sample (B), trained through the core's ``train`` generator with the
  recommended settings; then scored on each domain's test items (``evaluation.cycle``): label
  preservation (a classifier of B's labels reads A's items translated, against the same
  classifier on A's items as they are: the no-adaptation baseline) and the cycle error. A
  DCGAN epoch on the MNIST sample's 4,000 train images is timed in the same run.
- ``progan``: progressive growing against the plain DCGAN on the MNIST sample, each trained for
  the same wall time, scored by the Fréchet distance of their samples (``sample_quality``).

The targets (the CycleGAN and progressive growing issue): label preservation ≥ 90 % and at
least 15 points above the baseline; held-out cycle L1 below 0.05 per pixel; a CycleGAN epoch on
4,000 + 1,797 images within 3× a DCGAN epoch; progressive growing's Fréchet distance at equal
wall time no worse than the DCGAN's, and no stage change spiking a loss to NaN.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import replace
from typing import Any

import torch

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data.builtin import MNIST_SAMPLE, load_builtin
from latentlab.core.data.dataset import Dataset
from latentlab.core.data.domains import digits_to_mnist
from latentlab.core.evaluation.cycle import cycle_scores
from latentlab.core.evaluation.model import EvaluationSettings, evaluate_model
from latentlab.core.models import ProGAN, build_model
from latentlab.core.models.base import LatentModel
from latentlab.core.models.progan import stage_at
from latentlab.core.training.device import resolve_device
from latentlab.core.training.events import EpochEnded, TrainingFailed
from latentlab.core.training.loop import TrainControl, train
from latentlab.core.training.recipes import recommended_settings


def timed_training(model: LatentModel, data: Dataset, cfg: TrainConfig,
                   seconds: float | None = None) -> dict[str, Any]:
    """Train, recording each epoch's wall time and train losses; with ``seconds``, stop at the
    first epoch end past that budget."""
    control = TrainControl()
    epochs: list[dict[str, Any]] = []
    start = last = time.perf_counter()
    failed = None
    for event in train(model, data, cfg, control):
        if isinstance(event, EpochEnded):
            now = time.perf_counter()
            epochs.append({"epoch": event.epoch, "seconds": round(now - last, 2),
                           **{k: round(v, 4) for k, v in event.train.items()}})
            last = now
            if seconds is not None and now - start >= seconds:
                control.stop()
        elif isinstance(event, TrainingFailed):
            failed = event.message
    total = time.perf_counter() - start
    return {"epochs": epochs, "train_seconds": round(total, 1), "failed": failed,
            "s_per_epoch": round(total / max(len(epochs), 1), 2),
            "any_nan": any(not math.isfinite(v) for e in epochs for v in e.values()
                           if isinstance(v, float))}


def dcgan_epoch_seconds(mnist: Dataset, device: torch.device) -> float:
    model = build_model(ModelConfig(family="gan", architecture="conv"), mnist.input_shape,
                        seed=0)
    run = timed_training(model, mnist, TrainConfig(epochs=1, device=device.type))
    return run["epochs"][0]["seconds"]


def cyclegan(epochs: int, device: torch.device) -> dict[str, Any]:
    data = digits_to_mnist()
    model_cfg, train_cfg = recommended_settings("cyclegan", "image")
    model = build_model(model_cfg, data.input_shape, seed=0)
    run = timed_training(model, data, replace(train_cfg, epochs=epochs, device=device.type))
    scores = cycle_scores(model, data)
    dcgan = dcgan_epoch_seconds(load_builtin(MNIST_SAMPLE), device)
    lp, base = scores["label_preservation"], scores["no_adaptation"]
    cycle = (scores["cycle_l1_a"] + scores["cycle_l1_b"]) / 2
    return {"data": data.name, "train_items": len(data.train_indices), **run, "scores": scores,
            "dcgan_s_per_epoch": dcgan,
            "epoch_ratio_to_dcgan": round(run["s_per_epoch"] / dcgan, 2),
            "targets": {"label_preservation_90": lp >= 0.90,
                        "15_points_over_no_adaptation": lp - base >= 0.15,
                        "cycle_l1_below_0.05": cycle < 0.05,
                        "epoch_within_3x_dcgan": run["s_per_epoch"] <= 3 * dcgan}}


#: Steps timed at each stage to size progressive growing's run (after one warm-up step).
PROBE_STEPS = 5


def progan_epochs_within(data: Dataset, model_cfg: ModelConfig, train_cfg: TrainConfig,
                         seconds: float, device: torch.device) -> int:
    """How many epochs of progressive growing fit in ``seconds``: a few steps timed at each
    stage on a throw-away model (a later stage's steps cost what its side costs; fading, the
    most), each stage taking an equal share of the run."""
    probe = build_model(model_cfg, data.input_shape, seed=0).to(device)
    assert isinstance(probe, ProGAN)
    optimizers = probe.make_optimizers(train_cfg)
    x = torch.from_numpy(data.images(data.train_indices[: train_cfg.batch_size])).to(device)
    step_seconds = []
    for index, side in enumerate(probe.sides):
        probe.set_stage(side, 0.5 if index else 1.0)
        probe.train_step(x, optimizers)
        start = time.perf_counter()
        for _ in range(PROBE_STEPS):
            probe.train_step(x, optimizers)
        step_seconds.append((time.perf_counter() - start) / PROBE_STEPS)
    steps_per_epoch = math.ceil(len(data.train_indices) / train_cfg.batch_size)
    epoch_seconds = steps_per_epoch * sum(step_seconds) / len(step_seconds)
    return max(len(probe.sides), int(seconds / epoch_seconds))


def _scored(model: LatentModel, data: Dataset, run: dict[str, Any]) -> dict[str, Any]:
    result = evaluate_model(model, data, EvaluationSettings(quality_samples=5000,
                                                            mode_samples=10000))
    quality, gan = result["sample_quality"], result["infogan"]
    return {**run, "frechet_distance": quality["frechet_distance"],
            "frechet_floor_train_vs_test": quality["frechet_distance_train_vs_test"],
            "classes_covered": gan["classes_covered"], "class_kl": gan["class_kl"]}


def _distance(scores: dict[str, Any]) -> float:
    """The Fréchet distance, infinite when the samples were not finite numbers."""
    fd = scores["frechet_distance"]
    return math.inf if fd is None else fd


def progan(seconds: float, device: torch.device) -> dict[str, Any]:
    """Progressive growing against the plain DCGAN on the MNIST sample, the same wall time each,
    scored by the Fréchet distance of 5,000 samples (and the mode coverage of 10,000).

    The DCGAN (its recommended settings, convolutional) trains until the first epoch end past
    ``seconds``: ``timed_training``'s budget. Progressive growing cannot be cut off that way —
    its schedule spans the run, so a run stopped early never reaches 28×28 — so it is given
    the number of epochs that fit in ``seconds`` (``progan_epochs_within``: steps timed at each
    stage beforehand, not counted) and runs its whole schedule; both runs' wall times are
    reported. A loss that turns NaN or infinite stops a run (``failed``), so "no NaN around a
    stage change" is a run that completed with finite epoch losses."""
    data = load_builtin(MNIST_SAMPLE)
    gan_model, gan_train = recommended_settings("gan", "image")
    dcgan = build_model(replace(gan_model, architecture="conv"), data.input_shape, seed=0)
    dcgan_run = timed_training(dcgan, data, replace(gan_train, epochs=10_000,
                                                    device=device.type), seconds)
    model_cfg, train_cfg = recommended_settings("progan", "image", data.input_shape)
    epochs = progan_epochs_within(data, model_cfg, train_cfg, seconds, device)
    grown = build_model(model_cfg, data.input_shape, seed=0)
    assert isinstance(grown, ProGAN)
    grown_run = timed_training(grown, data, replace(train_cfg, epochs=epochs,
                                                    device=device.type))
    total = epochs * math.ceil(len(data.train_indices) / train_cfg.batch_size)
    starts = [next(step for step in range(total) if stage_at(step, total, grown.sides)[0] == s)
              for s in grown.sides[1:]]
    dcgan_scores, grown_scores = _scored(dcgan, data, dcgan_run), _scored(grown, data, grown_run)
    finite = grown_run["failed"] is None and not grown_run["any_nan"]
    return {"data": data.name, "seconds_budget": seconds,
            "dcgan": dcgan_scores,
            "progan": {**grown_scores, "epochs_planned": epochs, "stages": list(grown.sides),
                       "stage_starts_at_epoch": [round(s / total * epochs, 2) for s in starts],
                       "final_stage": list(grown.growth)},
            "targets": {"frechet_no_worse_than_dcgan":
                        _distance(grown_scores) <= _distance(dcgan_scores),
                        "no_nan_around_stage_changes": finite}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="cyclegan,progan")
    parser.add_argument("--epochs", type=int, default=10, help="CycleGAN epochs (10)")
    parser.add_argument("--progan-seconds", type=float, default=300.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    report: dict[str, Any] = {"device": str(device), "threads": args.threads}
    parts = args.only.split(",")
    if "cyclegan" in parts:
        report["cyclegan"] = cyclegan(args.epochs, device)
        print(json.dumps({"cyclegan": report["cyclegan"]}), flush=True)
    if "progan" in parts:
        report["progan"] = progan(args.progan_seconds, device)
        print(json.dumps({"progan": report["progan"]}), flush=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
