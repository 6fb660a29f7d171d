"""The few-labels entry of a lab file: the settings, the hand-picked labels and the results,
written as JSON and read back with every part checked against the dataset it is opened on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from latentlab.core.data import Dataset
from latentlab.core.semisup import SweepResult, SweepSettings
from latentlab.lab.semisup_values import (
    RUN_KINDS,
    Choice,
    check_runs_fit,
    choices_in,
    first_choice,
    hand_labels_from_json,
    settings_from_json,
    settings_to_json,
)


@dataclass(frozen=True)
class SavedEntry:
    """What a lab file's entry holds that fits the dataset; ``ignored`` says what did not."""

    settings: SweepSettings | None = None
    labels: tuple[np.ndarray, np.ndarray] | None = None
    results: dict[str, SweepResult] = field(default_factory=dict)
    results_model: str = ""
    chosen: Choice | None = None
    ignored: list[str] = field(default_factory=list)


def entry_to_json(settings: SweepSettings, items: np.ndarray, labels: np.ndarray,
                  results: dict[str, SweepResult], results_model: str,
                  chosen: Choice | None) -> dict[str, Any]:
    d: dict[str, Any] = {"settings": settings_to_json(settings)}
    if len(items):
        d["labels"] = {"items": items.tolist(), "labels": labels.tolist()}
    if results:
        # With the predictions: the confusion matrix, mistakes and map colours need them.
        d["results"] = {kind: r.to_json(predictions=True) for kind, r in results.items()}
        d["results_model"] = results_model
        if chosen is not None:
            d["chosen"] = chosen.to_json()
    return d


def read_entry(d: Any, dataset: Dataset) -> SavedEntry:
    """Each part of the entry that fits ``dataset``; a part that does not is left out and
    named in ``ignored`` with the reason."""
    if not isinstance(d, dict):
        return SavedEntry(ignored=["all of it (not an object)"])
    ignored: list[str] = []
    settings, labels = None, None
    if "settings" in d:
        try:
            settings = settings_from_json(d["settings"])
        except (ValueError, TypeError) as exc:
            ignored.append(f"its settings ({exc})")
    if "labels" in d:
        try:
            labels = hand_labels_from_json(d["labels"], dataset)
        except (ValueError, TypeError) as exc:
            ignored.append(f"its hand-picked labels ({exc})")
    results: dict[str, SweepResult] = {}
    raw = d.get("results", {})
    for kind, value in raw.items() if isinstance(raw, dict) else ():
        try:
            if kind not in RUN_KINDS:
                raise ValueError("not a kind of run")
            result = SweepResult.from_json(value)
            check_runs_fit(result.runs, dataset)
            results[kind] = result
        except (ValueError, TypeError, KeyError) as exc:
            ignored.append(f"its results “{kind}” ({exc})")
    if not results:
        return SavedEntry(settings, labels, ignored=ignored)
    choices = [c for kind in RUN_KINDS if kind in results
               for c in choices_in(results[kind].runs, kind)]
    try:
        chosen: Choice | None = Choice.from_json(d.get("chosen"))
    except ValueError:
        chosen = None
    model = d.get("results_model")
    return SavedEntry(settings, labels, results, model if isinstance(model, str) else "",
                      chosen if chosen in choices else first_choice(choices, None), ignored)
