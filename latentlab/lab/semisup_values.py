"""Values the few-labels lab keeps and shows: the settings as typed and as JSON, which result
is looked at (method and number of labels), and what a result says about single items.

Plain functions over the core's :class:`~latentlab.core.semisup.SweepResult`; no state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from latentlab.core.data import Dataset
from latentlab.core.semisup import ALL_LABELS, METHODS, MethodResult, SemisupError, SweepSettings

#: The two kinds of run: random label budgets, and exactly the items labelled by hand.
SWEEP, MINE = "sweep", "mine"
RUN_KINDS = (SWEEP, MINE)


@dataclass(frozen=True)
class Choice:
    """The result shown in the confusion matrix, the mistakes and the maps' colours."""

    run: str  # SWEEP or MINE
    method: str
    n_labels: int  # the labels the method was trained with

    def to_json(self) -> dict[str, Any]:
        return {"run": self.run, "method": self.method, "n_labels": self.n_labels}

    @classmethod
    def from_json(cls, d: Any) -> Choice:
        if not isinstance(d, dict):
            raise ValueError("the chosen result must be an object")
        run, method, n = d.get("run"), d.get("method"), d.get("n_labels")
        if run not in RUN_KINDS or method not in METHODS or not _is_int(n):
            raise ValueError(f"the chosen result {d!r} names no run, method and label count")
        return cls(run, method, int(n))


# ------------------------------------------------------------------------------ settings

def format_budget(budget: int) -> str:
    return "all" if budget == ALL_LABELS else f"{budget:,}"


def format_budgets(budgets: tuple[int, ...]) -> str:
    return ", ".join(format_budget(b) for b in budgets)


def budget_setting(per_class: bool) -> str:
    """The setting's name in messages (as the core names it)."""
    return "Labels per class" if per_class else "Labels"


def parse_budgets(text: str, per_class: bool = False) -> tuple[int, ...]:
    """"10, 100, 1000, all" → budgets; SemisupError naming the setting for anything else."""
    setting = budget_setting(per_class)
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if not parts:
        raise SemisupError(f"{setting}: one or more numbers of labels, e.g. “10, 100, all”.")
    budgets = []
    for part in parts:
        if part.lower() == "all":
            budgets.append(ALL_LABELS)
            continue
        try:
            budgets.append(int(part.replace("_", "").replace(" ", "").replace("\u202f", "")))
        except ValueError:
            raise SemisupError(f"{setting}: “{part}” is not a number of labels (or “all”)."
                               ) from None
    return tuple(budgets)


def settings_to_json(settings: SweepSettings) -> dict[str, Any]:
    return settings.to_json()


def settings_from_json(d: Any) -> SweepSettings:
    """Settings from a lab file; ValueError naming the entry that is wrong."""
    if not isinstance(d, dict):
        raise ValueError("the settings must be an object")
    budgets = d.get("budgets")
    if not isinstance(budgets, list) or not budgets or not all(
            b == "all" or _is_int(b) for b in budgets):
        raise ValueError(f"budgets must be a list of numbers or \"all\" (got {budgets!r})")
    methods = d.get("methods")
    if not isinstance(methods, list) or not methods or not all(m in METHODS for m in methods):
        raise ValueError(f"methods must be a list of {', '.join(METHODS)} (got {methods!r})")
    repeats, seed, per_class = d.get("repeats"), d.get("seed"), d.get("per_class")
    references = d.get("references", True)
    if not _is_int(repeats) or not _is_int(seed) or not isinstance(per_class, bool) \
            or not isinstance(references, bool):
        raise ValueError("repeats and seed must be whole numbers, per_class and references "
                         "true or false")
    return SweepSettings(budgets=tuple(ALL_LABELS if b == "all" else int(b) for b in budgets),
                         methods=tuple(methods), repeats=int(repeats), per_class=per_class,
                         seed=int(seed), references=references)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# ------------------------------------------------------------------------------ results

#: The method looked at first: the lecture's recipe, else the simplest use of the codes.
PREFERRED = ("finetune", "linear")


def first_choice(choices: list[Choice], previous: Choice | None) -> Choice | None:
    """The same method as before (else a preferred one), with the fewest labels."""
    methods = ((previous.method,) if previous is not None else ()) + PREFERRED
    for method in methods:
        same = [c for c in choices if c.method == method]
        if same:
            return min(same, key=lambda c: c.n_labels)
    return choices[0] if choices else None


def runs_of(runs: list[MethodResult], method: str, n_labels: int) -> list[MethodResult]:
    """The repeats of one method at one number of labels, by seed."""
    return sorted((r for r in runs if r.method == method and r.n_labels == n_labels),
                  key=lambda r: r.seed)


def choices_in(runs: list[MethodResult], run: str) -> list[Choice]:
    """Every (method, number of labels) a run holds, in method order, then by labels."""
    order = {m: i for i, m in enumerate(METHODS)}
    keys = sorted({(r.method, r.n_labels) for r in runs}, key=lambda k: (order.get(k[0], 99),
                                                                         k[1]))
    return [Choice(run, method, n) for method, n in keys]


def check_runs_fit(runs: list[MethodResult], dataset: Dataset) -> None:
    """ValueError unless every run predicts a class of ``dataset`` for each of its test items."""
    n_test, k = len(dataset.test_indices), len(dataset.class_names)
    for r in runs:
        p = np.asarray(r.predictions)
        if p.shape != (n_test,):
            raise ValueError(f"a {r.method} run predicts {p.size:,} test items; "
                             f"{dataset.name} has {n_test:,}")
        if n_test and (p.min() < 0 or p.max() >= k):
            raise ValueError(f"a {r.method} run predicts classes outside 0…{k - 1}")


def hand_labels_from_json(d: Any, dataset: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Hand-picked train items and their classes from a lab file; ValueError saying why not."""
    if not isinstance(d, dict):
        raise ValueError("the labels must be an object with items and labels")
    items, labels = d.get("items"), d.get("labels")
    if (not isinstance(items, list) or not isinstance(labels, list) or len(items) != len(labels)
            or not all(_is_int(v) for v in items + labels)):
        raise ValueError("items and labels must be two lists of whole numbers, one label per "
                         "item")
    items_a, labels_a = np.asarray(items, np.int64), np.asarray(labels, np.int64)
    if len(items_a) and (items_a.min() < 0 or items_a.max() >= dataset.n):
        raise ValueError(f"items are numbered 0 to {dataset.n - 1} in {dataset.name}")
    if len(items_a) and dataset.is_test[items_a].any():
        raise ValueError("test items cannot be labels")
    k = len(dataset.class_names)
    if len(labels_a) and (labels_a.min() < 0 or labels_a.max() >= k):
        raise ValueError(f"labels must be classes 0…{k - 1}")
    if len(np.unique(items_a)) != len(items_a):
        raise ValueError("an item is labelled twice")
    order = np.argsort(items_a)
    return items_a[order], labels_a[order]
