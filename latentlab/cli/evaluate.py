"""What ``latentlab evaluate`` does: score a checkpoint's map and reconstructions against the
linear baseline, and (``--maps``) UMAP and t-SNE maps of its codes or of the inputs."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from latentlab.cli.common import (
    EXIT_OK,
    CommandError,
    checkpoint_and_data,
    usage_error,
    without_encoder,
)

#: ``--maps`` choices: method-source.
MAP_CHOICES = ("umap-codes", "umap-inputs", "tsne-codes", "tsne-inputs")
#: Upper bound of --samples and --trust-items: a million generated or scored items.
MAX_ITEMS = 1_000_000


def evaluate_command(args: argparse.Namespace) -> int:
    from latentlab.core.evaluation.model import EvaluationSettings, evaluate_model

    if not 11 <= args.trust_items <= MAX_ITEMS:
        raise usage_error(f"--trust-items must lie in 11…{MAX_ITEMS:,} (got "
                          f"{args.trust_items:,}).")
    if not 1 <= args.samples <= MAX_ITEMS:
        raise usage_error(f"--samples must lie in 1…{MAX_ITEMS:,} (got {args.samples:,}).")
    checkpoint, data, source = checkpoint_and_data(args, args.device)
    settings = EvaluationSettings(trust_items=args.trust_items, mode_samples=args.samples)
    try:
        result = evaluate_model(checkpoint.model, data, settings)
        for choice in args.maps or ():
            method, map_source = choice.split("-")
            result["maps"][choice.replace("-", "_")] = score_projection(
                checkpoint.model, data, method, map_source, settings)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    result["model"] = {"checkpoint": str(checkpoint.path), "epoch": checkpoint.meta.epoch,
                       **result["model"]}
    result["data"] = {"source": str(source), **result["data"]}
    result = _json_safe(result)
    if args.json:
        print(json.dumps(result, indent=2, allow_nan=False))
    else:
        print(format_report(result, checkpoint.meta.describe()))
    return EXIT_OK


def score_projection(model: Any, data: Any, method: str, source: str,
                     settings: Any) -> dict[str, Any]:
    """A UMAP or t-SNE of the model's codes (``source`` "codes") or of the inputs, fitted on
    train and test items together, scored like the other maps; its progress on stderr."""
    import numpy as np

    from latentlab.core.evaluation.model import model_codes, score_map
    from latentlab.core.maps.methods import METHOD_NAMES
    from latentlab.core.maps.projection import ProjectionSpec, fit_projection

    if source == "codes":
        if not model.has_encoder:
            raise CommandError(f"--maps {method}-codes: the checkpoint holds "
                               f"{without_encoder(model.cfg.family)}, which has no encoder: "
                               "real items have no codes to map.")
        x, _ = model_codes(model, data)
    else:
        x = data.images().reshape(data.n, -1)
        source = "words" if data.kind == "text" else "pixels"
    spec = ProjectionSpec(method, {}, source)
    print(f"{METHOD_NAMES[method]} of {source}: fitting on {data.n:,} items…", file=sys.stderr,
          flush=True)
    fitted = fit_projection(spec, x, seed=settings.seed)
    scores = score_map(fitted.method_label, fitted.coords, np.arange(data.n), data, settings)
    return {**scores, "fit_seconds": round(fitted.seconds, 1),
            "fitted_on": "train and test items together (it cannot place new items)"}


def _json_safe(value: Any) -> Any:
    """Non-finite numbers become null, so the output is strict JSON."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _number(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def format_report(result: dict[str, Any], title: str) -> str:
    """``evaluate``'s result as a small table for people."""
    data, maps, settings = result["data"], result["maps"], result["settings"]
    lines = [title, f"data: {data['source']} · test split {data['n_test']:,} items, kNN fitted "
                    f"on {data['n_train']:,} train items"]
    latent, pca = maps["latent"], maps["pca"]
    columns = [("model map", latent), ("baseline", pca)]
    columns += [(m["method"].split(" · ")[0], m) for key, m in maps.items()
                if key not in ("latent", "pca")]  # --maps
    rows = [("map", [m["method"] if m else "none (no encoder)" for _, m in columns])]
    rows.append(("1-NN accuracy", [_number(m and m["knn1"]) for _, m in columns]))
    rows.append(("5-NN accuracy", [_number(m and m["knn5"]) for _, m in columns]))
    trust = f"trustworthiness (k={settings['trustworthiness_neighbors']})"
    rows.append((trust, [_number(m and m["trustworthiness"]) for _, m in columns]))
    recon = result["reconstruction_sse_per_image"]
    if recon is not None:
        rows.append(("reconstruction SSE/image",
                     [_number(recon["model"], 2),
                      f"{_number(recon['pca'], 2)} ({recon['pca_components']} comp.)"]
                     + ["–"] * (len(columns) - 2)))
    label_width = max(len(r[0]) for r in rows) + 2
    cell = max(len(c) for _, cells in rows for c in cells) + 2
    lines.append("")
    lines.append(" " * label_width + "".join(name.ljust(cell) for name, _ in columns).rstrip())
    for label, cells in rows:
        lines.append(label.ljust(label_width) + "".join(c.ljust(cell) for c in cells).rstrip())
    if settings["trustworthiness_subsampled"]:
        lines.append(f"trustworthiness on a seeded subsample of "
                     f"{settings['trustworthiness_items']:,} of the {settings['test_items']:,} "
                     "test items")
    gan = result["infogan"]
    if gan is not None:
        lines.append("")
        if gan.get("note"):
            lines.append(f"GAN scores: none ({gan['note']})")
        else:
            if gan["category_accuracy"] is not None:
                lines.append(f"categorical code accuracy (Hungarian-matched to the labels): "
                             f"{gan['category_accuracy']:.3f}")
            if gan["conditional_accuracy"] is not None:
                lines.append(f"conditional accuracy (samples read as the class asked for): "
                             f"{gan['conditional_accuracy']:.3f}")
            lines.append(f"mode coverage: {gan['classes_covered']} of {gan['n_classes']} classes"
                         f" (KL to uniform {gan['class_kl']:.3f} nats) in {gan['samples']:,} "
                         f"samples, judged by a classifier with "
                         f"{_number(gan['classifier_accuracy'])} held-out accuracy")
    lines += ["", sample_quality_line(result["sample_quality"])]
    if result.get("translation") is not None:
        lines.append(translation_line(result["translation"]))
    if result.get("cycle") is not None:
        lines.append(cycle_line(result["cycle"]))
    return "\n".join(lines)


def cycle_line(scores: dict[str, Any]) -> str:
    """CycleGAN's scores in one line: the round trips, then label preservation beside the
    baseline without translation."""
    line = (f"cycle ({scores['items_a']:,} + {scores['items_b']:,} test items): A → B → A L1 "
            f"{_number(scores['cycle_l1_a'])}, B → A → B L1 {_number(scores['cycle_l1_b'])} "
            f"per pixel, identity L1 {_number(scores['identity_l1'])}")
    if scores["label_preservation"] is None:
        return f"{line}; {scores['note']}" if scores.get("note") else line
    return (f"{line}; a classifier of B reads {_number(scores['label_preservation'])} of A's "
            f"items translated as their label ({_number(scores['no_adaptation'])} untranslated, "
            f"{_number(scores['classifier_accuracy_on_b'])} of B's own); Fréchet distance to B "
            f"{_number(scores['frechet_distance'])}")


def translation_line(scores: dict[str, Any]) -> str:
    """pix2pix's translation scores in one line, each beside what it should be read against."""
    line = (f"translation ({scores['task']}, {scores['items']:,} test items): L1 "
            f"{_number(scores['l1'])} per pixel (the inputs themselves: "
            f"{_number(scores['l1_of_inputs'])})")
    outputs = scores["classifier_accuracy_on_outputs"]
    if outputs is None:
        return f"{line}; {scores['note']}" if scores.get("note") else line
    targets = scores["classifier_accuracy_on_targets"]
    return (f"{line}; the label classifier reads {_number(outputs)} of the outputs as their "
            f"target's label ({_number(targets)} of the targets); Fréchet distance to the "
            f"targets {_number(scores['frechet_distance'])}, lower is better")


def sample_quality_line(quality: dict[str, Any]) -> str:
    """The Fréchet distance in one line, with the floor it should be read against (and a
    conditional model's samples read as the class asked for)."""
    if quality["frechet_distance"] is None:
        return f"sample quality: none ({quality['note']})"
    line = (f"sample quality: Fréchet distance {quality['frechet_distance']:.3f} of "
            f"{quality['samples']:,} samples ({quality['sampling']}) to the "
            f"{quality['real_items']:,} test images, lower is better; real train images: "
            f"{quality['frechet_distance_train_vs_test']:.3f} (the floor)")
    if quality.get("conditional_accuracy") is not None:
        line += (f"; samples read as the class asked for: "
                 f"{quality['conditional_accuracy']:.3f}")
    return line
