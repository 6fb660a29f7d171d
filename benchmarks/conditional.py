"""Conditional generation and the lecture's ranking of generators, printed as JSON.

    python benchmarks/conditional.py [--data DIR] [--epochs N] [--arch conv|mlp]
                                     [--only cgan,gan,infogan,ae,vae,cvae] [--device cpu|cuda]

Each model trains through the core's ``train`` generator (the app's code) for the same number of
epochs on the MNIST sample, then ``evaluate_model`` scores it: the Fréchet distance of 5,000
samples to the test split in the label classifier's features (``sample_quality``), and for the
GANs the classes their samples cover; for the conditional GAN and VAE also the share of their
samples the classifier reads as the class asked for. The targets (the conditional GAN issue): the
conditional GAN's samples read as their class ≥ 95 % of the time, all 10 classes covered, and a
Fréchet distance below the unconditional DCGAN's trained as long; autoencoder samples worse
than VAE samples; pix2pix (edges → digit) outputs read as the target's class ≥ 95 % of the
time with a Fréchet distance below the L1-only U-Net's, an epoch within 2× a DCGAN epoch.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import torch
from devices import DEFAULT_DATA, load_data
from gan import train_model

from latentlab.config import ModelConfig
from latentlab.core.evaluation.model import EvaluationSettings, evaluate_model
from latentlab.core.training.device import resolve_device

MODELS = ("cgan", "gan", "infogan", "ae", "vae", "cvae", "pix2pix", "pix2pix_l1")


def model_config(family: str, arch: str, n_classes: int, latent_dim: int) -> ModelConfig:
    if family in ("ae", "vae", "cvae"):
        return ModelConfig(family=family, architecture="mlp", hidden=(512, 256),
                           latent_dim=latent_dim, n_categories=n_classes)
    if family.startswith("pix2pix"):  # edges → digit, with the PatchGAN or with L1 alone
        return ModelConfig(family="pix2pix", task="edges", adversarial=family == "pix2pix")
    return ModelConfig(family=family, architecture=arch, n_categories=n_classes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--arch", default="conv", choices=("conv", "mlp"))
    parser.add_argument("--only", default=",".join(MODELS))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--latent-dim", type=int, default=2,
                        help="the autoencoders' code size (2: a map, as the window shows)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    data = load_data(args.data)
    settings = EvaluationSettings(mode_samples=10_000, quality_samples=5_000)
    report: dict[str, Any] = {"data": data.name, "epochs": args.epochs, "arch": args.arch,
                              "latent_dim": args.latent_dim,
                              "device": str(device), "models": {}}
    for family in args.only.split(","):
        cfg = model_config(family, args.arch, len(data.class_names), args.latent_dim)
        model, outcome = train_model(data, cfg, args.epochs, device)
        result = evaluate_model(model, data, settings)
        gan = result["infogan"] or {}
        quality = result["sample_quality"]
        translation = result["translation"] or {}
        report["models"][family] = {
            **outcome, "architecture": cfg.architecture,
            "frechet_distance": quality["frechet_distance"],
            "frechet_floor": quality["frechet_distance_train_vs_test"],
            "sampling": quality["sampling"],
            **{k: gan.get(k) for k in ("category_accuracy", "classes_covered", "class_kl")},
            "conditional_accuracy": quality["conditional_accuracy"],
            **{f"translation_{k}": v for k, v in translation.items()
               if k in ("l1", "classifier_accuracy_on_outputs", "frechet_distance")}}
        print(json.dumps({family: report["models"][family]}), flush=True)
    models = report["models"]
    if "cgan" in models:
        cgan = models["cgan"]
        report["targets"] = {
            "conditional_accuracy_95": (cgan["conditional_accuracy"] or 0) >= 0.95,
            "all_classes": cgan["classes_covered"] == len(data.class_names),
            "below_unconditional": ("gan" in models
                                    and cgan["frechet_distance"] < models["gan"]
                                    ["frechet_distance"])}
    if "pix2pix" in models:
        p2p = models["pix2pix"]
        targets = report.setdefault("targets", {})
        targets["pix2pix_reads_as_target_95"] = (
            (p2p["translation_classifier_accuracy_on_outputs"] or 0) >= 0.95)
        if "pix2pix_l1" in models:
            targets["pix2pix_sharper_than_l1_only"] = (
                p2p["translation_frechet_distance"]
                < models["pix2pix_l1"]["translation_frechet_distance"])
        if "gan" in models:
            targets["pix2pix_epoch_within_2x_dcgan"] = (
                p2p["s_per_epoch"] <= 2 * models["gan"]["s_per_epoch"])
    if {"ae", "vae"} <= models.keys():
        report.setdefault("targets", {})["vae_better_than_ae"] = (
            models["vae"]["frechet_distance"] < models["ae"]["frechet_distance"])
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
