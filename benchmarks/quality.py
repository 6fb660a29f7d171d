"""What the recommended settings learn, printed as JSON with wall times (not timed assertions).

    python benchmarks/quality.py [--only ae,vae,umap_ae,pca30,text,infogan] [--seeds 0,1,2]
                                 [--mnist DIR] [--text DIR] [--threads N] [--device cpu]
                                 [--save DIR]

Every model is built from ``recommended_settings`` (what the form proposes and ``latentlab
train`` starts from) and trained through the core's ``train`` generator, the code the GUI's
worker runs; it is scored with ``evaluate_model``, the code ``latentlab evaluate`` runs.

- ae, vae, umap_ae: the 2-D map's held-out 1-NN accuracy (k-NN fit on the train split's map
  coordinates, scored on the test split), the reconstruction error per image (sum of squared
  errors) and PCA's with 2 components; umap_ae also its error against the plain AE's (when
  ``ae`` runs in the same call).
- pca30: the AE with 30-D codes against PCA with 30 components: the ratio of their errors.
- text: the text AE's 2-D map against LSA of TF-IDF (1-NN and their ratio), and its held-out
  loss against its training loss at the end.
- infogan: the categorical code's Hungarian-matched accuracy on the held-out split, and its
  trace: the accuracy the loop scored after each epoch (on a subset), with the time so far.

``--mnist`` defaults to ../shared/data/mnist-5k and ``--text`` to
../shared/data/debian-descriptions beside the repository.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from devices import machine

from latentlab.cli.common import CHECKPOINT_NAME
from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data import Dataset, load_source
from latentlab.core.evaluation.gan import category_accuracy
from latentlab.core.evaluation.model import evaluate_model
from latentlab.core.files.checkpoint import describe_data, save_checkpoint
from latentlab.core.files.checkpoint_meta import CheckpointMeta
from latentlab.core.models import InfoGAN, build_model
from latentlab.core.training.events import EpochEnded, TrainingFailed, TrainingFinished
from latentlab.core.training.loop import train
from latentlab.core.training.recipes import recommended_settings

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
TARGETS = ("ae", "vae", "umap_ae", "pca30", "text", "infogan")


def run(data: Dataset, model_cfg: ModelConfig, train_cfg: TrainConfig,
        save_to: Path | None = None) -> tuple[Any, dict]:
    """Train through the core's generator; the model and what the run did (its checkpoint
    written to ``save_to`` when given, to be opened in the window)."""
    model = build_model(model_cfg, data.input_shape, seed=train_cfg.seed)
    start = time.perf_counter()
    last: EpochEnded | None = None
    outcome: dict[str, Any] = {}
    trace: list[dict] = []  # held-out scores (an InfoGAN's category accuracy) as they came
    for event in train(model, data, train_cfg):
        if isinstance(event, EpochEnded):
            last = event
            if event.scores:
                trace.append({"epoch": event.epoch,
                              "seconds": round(time.perf_counter() - start, 1),
                              **{k: round(v, 4) for k, v in event.scores.items()}})
        elif isinstance(event, TrainingFailed):
            outcome["failed"] = event.message
        elif isinstance(event, TrainingFinished):
            outcome.update(epochs=event.epochs_done, finished=event.reason)
            if event.best_epoch is not None:
                outcome["best_epoch"] = event.best_epoch
    outcome["train_seconds"] = round(time.perf_counter() - start, 1)
    if trace:
        outcome["trace"] = trace
    if last is not None:
        outcome["train_loss"] = {k: round(v, 4) for k, v in last.train.items()}
        outcome["held_out_loss"] = {k: round(v, 4) for k, v in last.test.items()}
    if save_to is not None:
        meta = CheckpointMeta(model=model.cfg, train=train_cfg, input_shape=data.input_shape,
                              data=describe_data(data, None), epoch=outcome.get("epochs", 0))
        outcome["checkpoint"] = str(save_checkpoint(save_to / CHECKPOINT_NAME, model, meta))
    return model, outcome


def settings(model_cfg: ModelConfig, train_cfg: TrainConfig) -> dict:
    return {"model": model_cfg.to_dict(), "train": train_cfg.to_dict()}


def map_figures(data: Dataset, family: str, seed: int, args: argparse.Namespace,
                latent_dim: int = 2) -> dict:
    model_cfg, train_cfg = recommended_settings(family, data.kind, data.input_shape, latent_dim)
    train_cfg = replace(train_cfg, seed=seed, device=args.device, cpu_threads=args.threads)
    model, outcome = run(data, model_cfg, train_cfg)
    start = time.perf_counter()
    scores = evaluate_model(model, data)
    recon = scores["reconstruction_sse_per_image"]
    figures = {
        "seed": seed,
        "knn1": scores["maps"]["latent"]["knn1"],
        "baseline": scores["maps"]["pca"]["method"],
        "baseline_knn1": scores["maps"]["pca"]["knn1"],
        "recon_sse": round(recon["model"], 4),
        "baseline_recon_sse": round(recon["pca"], 4),
        "recon_vs_baseline": round(recon["model"] / recon["pca"], 4),
        **outcome,
        "evaluate_seconds": round(time.perf_counter() - start, 1),
        "settings": settings(model_cfg, train_cfg),
    }
    if figures["baseline_knn1"]:
        figures["knn1_vs_baseline"] = round(figures["knn1"] / figures["baseline_knn1"], 3)
    held_out, trained = outcome.get("held_out_loss", {}), outcome.get("train_loss", {})
    if "loss" in held_out and "loss" in trained:
        figures["held_out_vs_train_loss"] = round(held_out["loss"] / trained["loss"], 4)
    return figures


def infogan_figures(data: Dataset, seed: int, args: argparse.Namespace) -> dict:
    model_cfg, train_cfg = recommended_settings("infogan", data.kind, data.input_shape)
    train_cfg = replace(train_cfg, seed=seed, device=args.device, cpu_threads=args.threads)
    save_to = args.save / f"infogan-seed{seed}" if args.save else None
    model, outcome = run(data, model_cfg, train_cfg, save_to)
    assert isinstance(model, InfoGAN)
    return {"seed": seed, "category_accuracy": round(category_accuracy(model, data), 4),
            **outcome, "settings": settings(model_cfg, train_cfg)}


def summary(runs: list[dict], key: str) -> dict:
    values = [r[key] for r in runs if r.get(key) is not None]
    if not values:
        return {}
    return {"mean": round(statistics.fmean(values), 4), "min": round(min(values), 4),
            "max": round(max(values), 4), "n": len(values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(TARGETS),
                        help=f"comma-separated subset of {', '.join(TARGETS)}")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (0)")
    parser.add_argument("--mnist", type=Path, default=SHARED / "mnist-5k")
    parser.add_argument("--text", type=Path, default=SHARED / "debian-descriptions")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (2)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--save", type=Path, metavar="DIR",
                        help="write each InfoGAN's checkpoint under DIR/infogan-seedN")
    args = parser.parse_args()
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(only) - set(TARGETS))
    if unknown:
        parser.error(f"--only: unknown target(s) {', '.join(unknown)}; "
                     f"choose from {', '.join(TARGETS)}")
    seeds = [int(s) for s in args.seeds.split(",")]
    torch.set_num_threads(args.threads)

    report: dict[str, Any] = {"machine": {**machine(), "threads": args.threads,
                                          "device": args.device}}
    images = load_source(args.mnist) if set(only) - {"text"} else None
    if images is not None:
        report["images"] = images.describe()
    for name in only:
        if name == "text":
            corpus = load_source(args.text)
            report["text_data"] = corpus.describe()
            runs = [map_figures(corpus, "ae", seed, args) for seed in seeds]
            keys = ("knn1", "baseline_knn1", "knn1_vs_baseline", "held_out_vs_train_loss")
        elif name == "infogan":
            assert images is not None
            runs = [infogan_figures(images, seed, args) for seed in seeds]
            keys = ("category_accuracy", "train_seconds")
        else:
            assert images is not None
            family, dim = ("ae", 30) if name == "pca30" else (name, 2)
            runs = [map_figures(images, family, seed, args, dim) for seed in seeds]
            keys = ("knn1", "recon_sse", "recon_vs_baseline", "train_seconds")
        report[name] = {"runs": runs, "summary": {k: summary(runs, k) for k in keys}}
        print(f"{name}: {json.dumps(report[name]['summary'])}", flush=True, file=sys.stderr)
    if "ae" in report and "umap_ae" in report:
        ae = report["ae"]["summary"]["recon_sse"]["mean"]
        report["umap_ae"]["summary"]["recon_vs_ae"] = round(
            report["umap_ae"]["summary"]["recon_sse"]["mean"] / ae, 4)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
