"""What ``latentlab semisup`` does: what a checkpoint's encoder is worth with few labels — every
semi-supervised method at several label budgets, repeated, scored on the test split."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, TextIO

from latentlab.cli.common import (
    EXIT_OK,
    CommandError,
    StatusLine,
    checkpoint_and_data,
    usage_error,
    without_encoder,
)
from latentlab.core.training.events import format_duration

#: ``--labels`` default, and the word that means every labelled train item.
DEFAULT_LABELS = "10,100,1000,all"
ALL_WORD = "all"


def parse_labels(text: str) -> tuple[int, ...]:
    """"10,100,all" → (10, 100, ALL_LABELS); CommandError (exit 2) naming --labels."""
    from latentlab.core.semisup import ALL_LABELS

    budgets = []
    for part in (p.strip() for p in text.split(",")):
        if part.lower() == ALL_WORD:
            budgets.append(ALL_LABELS)
        elif part.isdigit() and int(part) > 0:
            budgets.append(int(part))
        else:
            raise usage_error(f"--labels: expected whole numbers ≥ 1 or {ALL_WORD}, separated "
                              f"by commas (got {part!r}).")
    return tuple(budgets)


def parse_methods(text: str) -> tuple[str, ...]:
    from latentlab.core.semisup import METHODS

    methods = tuple(p.strip() for p in text.split(",") if p.strip())
    for method in methods:
        if method not in METHODS:
            raise usage_error(f"--methods: unknown method {method!r} (choose from "
                              f"{', '.join(METHODS)}).")
    if not methods:
        raise usage_error("--methods: choose at least one.")
    return methods


def semisup_command(args: argparse.Namespace) -> int:
    from latentlab.core.semisup import METHODS, SemisupError, SweepSettings, run_sweep

    settings = SweepSettings(budgets=parse_labels(args.labels),
                             methods=parse_methods(args.methods or ",".join(METHODS)),
                             repeats=args.repeats, per_class=args.per_class, seed=args.seed,
                             references=not args.no_references)
    checkpoint, data, source = checkpoint_and_data(args, args.device)
    model = checkpoint.model
    if not model.has_encoder:
        held = without_encoder(checkpoint.meta.model.family)
        raise CommandError(f"{checkpoint.path}: holds {held}, which has no encoder: real items "
                           "have no codes to learn from (an InfoGAN's Q head gives them).")
    if data.labels is None:
        raise CommandError(f"{data.name}: has no labels to learn from or score against.")
    try:
        settings.validate(data)
    except SemisupError as exc:
        raise usage_error(str(exc)) from None
    progress = None if args.quiet else Progress(sys.stderr)
    try:
        result = run_sweep(model, data, settings, progress=progress)
    except SemisupError as exc:  # the model's codes (NaN), once running
        raise CommandError(f"{checkpoint.path}: {exc}") from None
    finally:
        if progress is not None:
            progress.close()
    report = result.to_json()
    report["model"] = {"checkpoint": str(checkpoint.path), "epoch": checkpoint.meta.epoch,
                       "family": model.cfg.family, "architecture": model.cfg.architecture}
    report["data"] = {"source": str(source), "name": data.name,
                      "n_train": len(data.train_indices), "n_test": len(data.test_indices),
                      "n_classes": len(data.class_names)}
    if args.json:
        print(json.dumps(report, indent=2, allow_nan=False))
    else:
        print(format_table(result, report, checkpoint.meta.describe()))
    return EXIT_OK


class Progress(StatusLine):
    """One line per step on stderr; on a terminal a line redrawn in place."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self.started = time.perf_counter()

    def __call__(self, done: int, total: int, what: str) -> None:
        if done >= total:
            return
        elapsed = format_duration(time.perf_counter() - self.started)
        line = f"semisup {done + 1}/{total} · {what} · {elapsed} elapsed"
        self.write(line)


def _cell(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return "–"
    return f"{entry['mean']:.3f} ± {entry['std']:.3f}"


def format_table(result: Any, report: dict[str, Any], title: str) -> str:
    """Methods × budgets, mean ± std of the test accuracy; the references below."""
    from latentlab.core.semisup import FEATURE_METHODS, METHODS, budget_name

    settings = result.settings
    data = report["data"]
    heads = []
    for size in settings.budgets:
        runs = [r for r in result.runs if r.budget == size]
        n = runs[0].n_labels if runs else 0
        name = budget_name(size, settings.per_class)
        heads.append(f"all ({n:,})" if name == "all labels" else
                     f"{name} ({n:,})" if settings.per_class else name)
    rows = [(METHODS[m], report["results"][m]) for m in settings.methods]
    first_reference = len(rows)
    refs = report["references"]
    if refs is not None:
        rows += [(f"{FEATURE_METHODS[m]} on {refs['features']}", entries)
                 for m, entries in refs["results"].items()]
    label_width = max(len(r[0]) for r in rows) + 2
    cells = [[_cell(next((e for e in entries if e["budget"] == b), None))
              for b in settings.to_json()["budgets"]] for _, entries in rows]
    width = max(max(len(h) for h in heads), max(len(c) for row in cells for c in row)) + 2
    lines = [title,
             f"data: {data['source']} · labels picked from {data['n_train']:,} train items, "
             f"scored on {data['n_test']:,} test items",
             f"test accuracy, mean ± std over {settings.repeats} repeat"
             f"{'s' if settings.repeats != 1 else ''} (seeds {settings.seed}…"
             f"{settings.seed + settings.repeats - 1}) · {format_duration(result.seconds)}", ""]
    lines.append(" " * label_width + "".join(h.ljust(width) for h in heads).rstrip())
    for i, ((name, _), row) in enumerate(zip(rows, cells, strict=True)):
        if i == first_reference:
            lines.append("references: the same classifiers on the linear baseline's features")
        lines.append(name.ljust(label_width) + "".join(c.ljust(width) for c in row).rstrip())
    return "\n".join(lines)
