"""Semi-supervised figures, printed as JSON (progress on stderr; not timed assertions).

    python benchmarks/semisup.py [--data mnist,digits] [--models umap_ae,ae] [--repeats 3]
                                 [--mnist DIR] [--threads 2] [--device cpu] [--seed 0]

For each dataset and pretrained model: pretrain the model without labels through the core's
``train`` generator (timed on its own), then run the sweep ``latentlab semisup`` runs — every
method at 1, 10, 100 labels per class and all labels, ``--repeats`` seeds each — and time it.
The references are computed here too, with scikit-learn, on the same picks (10 and 100 labels
per class): logistic regression on the pixels, 1-NN on the pixels, and scikit-learn's label
spreading (kernel "knn") on 50 PCA components of the pixels.

Models (``--models``), each from ``recommended_settings`` with a 16- or 32-D code:

- umap_ae: the UMAP autoencoder, latent 16, UMAP weight 10 (the reconstruction counts more
  than with the map's 1,000, so the codes keep more than the clusters).
- ae: an autoencoder with the map's settings (512-256, batch norm, input dropout 0.2: a
  denoising autoencoder) and a 32-D code.

``goals`` checks the figures against the targets: with 100 labels (10 per class) the best
method ≥ 0.90 test accuracy and fine-tuning ≥ 10 points above the same network from scratch;
with 1,000 labels the best ≥ 0.95; a sweep ≤ 120 s.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from devices import machine

from latentlab.core.data import Dataset, load_builtin, load_source
from latentlab.core.models import build_model
from latentlab.core.semisup import ALL_LABELS, LabelBudget, SweepSettings, pick_labelled, run_sweep
from latentlab.core.training.events import TrainingFailed, TrainingFinished
from latentlab.core.training.loop import train
from latentlab.core.training.recipes import recommended_settings

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
# Pinned where the recipes have moved on since the README's figures were measured.
MODELS = {
    "umap_ae": {"latent_dim": 16, "model": {"umap_weight": 10.0}, "train": {"epochs": 30}},
    "ae": {"latent_dim": 32, "model": {"hidden": (512, 256), "input_dropout": 0.2}},
}
PER_CLASS = (1, 10, 100, ALL_LABELS)
GOALS = {"best_at_100": 0.90, "finetune_gain_at_100": 0.10, "best_at_1000": 0.95,
         "sweep_seconds": 120.0}


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def pretrain(data: Dataset, family: str, args: argparse.Namespace) -> tuple[Any, dict]:
    spec = MODELS[family]
    model_cfg, train_cfg = recommended_settings(family, data.kind, data.input_shape,
                                                spec["latent_dim"])
    model_cfg = replace(model_cfg, **spec["model"])
    train_cfg = replace(train_cfg, **spec.get("train", {}), seed=args.seed,
                        device=args.device, cpu_threads=args.threads)
    model = build_model(model_cfg, data.input_shape, seed=args.seed)
    log(f"{data.name}: pretraining {family} ({train_cfg.epochs} epochs)…")
    start = time.perf_counter()
    outcome: dict[str, Any] = {}
    for event in train(model, data, train_cfg):
        if isinstance(event, TrainingFailed):
            outcome["failed"] = event.message
        elif isinstance(event, TrainingFinished):
            outcome["epochs"] = event.epochs_done
    outcome["seconds"] = round(time.perf_counter() - start, 1)
    outcome["settings"] = {"model": model_cfg.to_dict(), "train": train_cfg.to_dict()}
    return model.eval(), outcome


def references(data: Dataset, per_class: tuple[int, ...], repeats: int, seed: int) -> dict:
    """scikit-learn's logistic regression and 1-NN on the pixels, label spreading on PCA-50."""
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.semi_supervised import LabelSpreading
    from threadpoolctl import threadpool_limits

    assert data.labels is not None
    pixels = data.images().reshape(data.n, -1)
    test = data.test_indices
    components = min(50, pixels.shape[1])
    pca = PCA(components, random_state=seed).fit(pixels[data.train_indices]).transform(pixels)
    out: dict[str, Any] = {"pca_components": components}
    for size in per_class:
        scores: dict[str, list[float]] = {"logistic_pixels": [], "knn1_pixels": [],
                                          "label_spreading_pca": []}
        for r in range(repeats):
            picked, labels = pick_labelled(data, LabelBudget(size, True, seed + r))
            with threadpool_limits(limits=1, user_api="blas"):
                logistic = LogisticRegression(max_iter=2000).fit(pixels[picked], labels)
            scores["logistic_pixels"].append(float(np.mean(
                logistic.predict(pixels[test]) == data.labels[test])))
            knn = KNeighborsClassifier(1).fit(pixels[picked], labels)
            scores["knn1_pixels"].append(float(np.mean(
                knn.predict(pixels[test]) == data.labels[test])))
            partial = np.full(data.n, -1)
            partial[picked] = labels
            spreading = LabelSpreading(kernel="knn").fit(pca, partial)
            scores["label_spreading_pca"].append(float(np.mean(
                spreading.transduction_[test] == data.labels[test])))
        out[f"{size * len(data.class_names)}_labels"] = {
            name: {"mean": round(float(np.mean(v)), 4), "runs": [round(a, 4) for a in v]}
            for name, v in scores.items()}
    return out


def goals(sweep: dict[str, Any]) -> dict[str, Any]:
    def best(labels: int) -> tuple[str, float]:
        means = {m: e["mean"] for m, entries in sweep["results"].items() for e in entries
                 if e["labels"] == labels}
        method = max(means, key=lambda m: means[m])
        return method, means[method]

    def mean(method: str, labels: int) -> float | None:
        return next((e["mean"] for e in sweep["results"].get(method, [])
                     if e["labels"] == labels), None)

    out: dict[str, Any] = {}
    method, value = best(100)
    out["best_at_100"] = {"method": method, "value": value,
                          "met": value >= GOALS["best_at_100"]}
    finetune, scratch = mean("finetune", 100), mean("scratch", 100)
    if finetune is not None and scratch is not None:
        gain = round(finetune - scratch, 4)
        out["finetune_gain_at_100"] = {"value": gain,
                                       "met": gain >= GOALS["finetune_gain_at_100"]}
    method, value = best(1000)
    out["best_at_1000"] = {"method": method, "value": value,
                           "met": value >= GOALS["best_at_1000"]}
    out["sweep_seconds"] = {"value": sweep["seconds"],
                            "met": sweep["seconds"] <= GOALS["sweep_seconds"]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="mnist,digits",
                        help="comma-separated: mnist (the sample in --mnist), digits")
    parser.add_argument("--models", default=",".join(MODELS),
                        help=f"comma-separated subset of {', '.join(MODELS)}")
    parser.add_argument("--mnist", type=Path, default=SHARED / "mnist-5k")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (2)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    families = [f.strip() for f in args.models.split(",") if f.strip()]
    unknown = sorted(set(families) - set(MODELS))
    if unknown:
        parser.error(f"--models: unknown model(s) {', '.join(unknown)}")
    torch.set_num_threads(args.threads)
    report: dict[str, Any] = {"machine": {**machine(), "threads": args.threads,
                                          "device": args.device}, "goals": GOALS}
    for name in (n.strip() for n in args.data.split(",") if n.strip()):
        data = load_source(args.mnist) if name == "mnist" else load_builtin(name)
        figures: dict[str, Any] = {"data": data.describe(), "n_train": len(data.train_indices),
                                   "n_test": len(data.test_indices)}
        log(f"{data.name}: references…")
        start = time.perf_counter()
        figures["references"] = references(data, (10, 100), args.repeats, args.seed)
        figures["references"]["seconds"] = round(time.perf_counter() - start, 1)
        for family in families:
            model, pretraining = pretrain(data, family, args)
            settings = SweepSettings(budgets=PER_CLASS, per_class=True, repeats=args.repeats,
                                     seed=args.seed)
            def progress(i: int, total: int, what: str) -> None:
                if i < total:
                    log(f"  {i + 1}/{total} {what}")

            log(f"{data.name}: sweep with {family}…")
            start = time.perf_counter()
            sweep = run_sweep(model, data, settings, progress=progress).to_json()
            sweep["seconds"] = round(time.perf_counter() - start, 1)
            figures[family] = {"pretraining": pretraining, "sweep": sweep,
                               "goals": goals(sweep)}
            log(f"{data.name} · {family}: {json.dumps(figures[family]['goals'])}")
        report[name] = figures
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
