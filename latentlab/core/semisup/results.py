"""A sweep's settings and results: learning curves, confusion matrices, and their JSON form."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from latentlab.core.data.dataset import Dataset
from latentlab.core.semisup.budget import (
    ALL_LABELS,
    LabelBudget,
    SemisupError,
    check_budget,
    check_seed,
    class_indices,
)
from latentlab.core.semisup.methods import FEATURE_METHODS, METHODS, MethodResult, check_method

SCHEMA_VERSION = 1
#: Repeats of each method and budget (each with its own picks and seed).
MAX_REPEATS = 100
#: Components of the references' features (PCA of the pixels, LSA for text), at most.
REFERENCE_COMPONENTS = 50


@dataclass(frozen=True)
class SweepSettings:
    """Which methods to run with how many labels, how often.

    ``budgets`` count labels per class when ``per_class``, else in all; ``ALL_LABELS`` is every
    labelled train item. Repeat r picks its labels with seed ``seed + r`` and seeds the methods
    with it too. ``references`` also runs the feature methods on the linear baseline's features
    (PCA of the inputs, or LSA for text), the comparison that says what the codes add.
    """

    budgets: tuple[int, ...] = (10, 100, 1000, ALL_LABELS)
    methods: tuple[str, ...] = tuple(METHODS)
    repeats: int = 3
    per_class: bool = False
    seed: int = 0
    references: bool = True

    def validate(self, dataset: Dataset, *, budgets: bool = True) -> None:
        """SemisupError naming the setting; every budget is checked against the data (unless
        ``budgets`` is False: a sweep of hand-picked items checks those instead)."""
        if not self.methods:
            raise SemisupError("Methods: choose at least one.")
        for method in self.methods:
            check_method(method)
        if len(set(self.methods)) != len(self.methods):
            raise SemisupError("Methods: a method is listed twice.")
        if isinstance(self.repeats, bool) or not isinstance(self.repeats, int) \
                or not 1 <= self.repeats <= MAX_REPEATS:
            raise SemisupError(f"Repeats: a whole number in 1…{MAX_REPEATS} (got "
                               f"{self.repeats!r}).")
        check_seed(self.seed)
        check_seed(self.seed + self.repeats - 1, "Seed")
        if budgets and not self.budgets:
            raise SemisupError("Labels: give at least one budget.")
        if len(set(self.budgets)) != len(self.budgets):
            raise SemisupError("Labels: a budget is listed twice.")
        class_indices(dataset)
        if len(dataset.test_indices) == 0:
            raise SemisupError(f"Test split: {dataset.name} has no test items to score on.")
        for size in self.budgets if budgets else ():
            check_budget(dataset, size, self.per_class)

    def to_json(self) -> dict[str, Any]:
        return {"budgets": [_budget_json(b) for b in self.budgets],
                "methods": list(self.methods), "repeats": self.repeats,
                "per_class": self.per_class, "seed": self.seed, "references": self.references}


def _budget_json(size: int) -> int | str:
    return "all" if size == ALL_LABELS else int(size)


@dataclass
class SweepResult:
    """Every run of a sweep; ``reference_runs`` are the feature methods on the baseline's
    features (``reference_features`` names them). ``labelled`` is the hand-picked budget a
    sweep ran with instead of ``settings.budgets`` (whose one entry then counts its items)."""

    settings: SweepSettings
    runs: list[MethodResult]
    reference_runs: list[MethodResult] = field(default_factory=list)
    reference_features: str | None = None
    labelled: LabelBudget | None = None
    seconds: float = 0.0

    def _runs(self, method: str, budget: int, reference: bool = False) -> list[MethodResult]:
        runs = self.reference_runs if reference else self.runs
        return sorted((r for r in runs if r.method == method and r.budget == budget),
                      key=lambda r: r.seed)

    def curve(self, method: str, reference: bool = False) -> list[tuple[int, float, float]]:
        """(labels in all, mean accuracy, standard deviation) per budget, in the settings'
        order; a budget without runs is left out. The deviation is the sample one (n − 1),
        0 for a single run."""
        points = []
        for budget in self.settings.budgets:
            runs = self._runs(method, budget, reference)
            if runs:
                accuracies = [r.accuracy for r in runs]
                points.append((runs[0].n_labels, float(np.mean(accuracies)),
                               float(np.std(accuracies, ddof=1)) if len(runs) > 1 else 0.0))
        return points

    def reference_curve(self, method: str) -> list[tuple[int, float, float]]:
        return self.curve(method, reference=True)

    def confusion(self, method: str, budget: int, dataset: Dataset,
                  reference: bool = False) -> np.ndarray:
        """K×K counts of the first repeat's test predictions: rows the true class, columns the
        predicted one. ``budget`` is one of ``settings.budgets``. ValueError when the run is
        missing or its predictions were not kept."""
        runs = self._runs(method, budget, reference)
        if not runs:
            raise ValueError(f"{method}: no run with the budget {_budget_json(budget)}.")
        predictions = runs[0].predictions
        if len(predictions) == 0:
            raise ValueError(f"{method}: the predictions of this run were not kept.")
        _, k = class_indices(dataset)
        assert dataset.labels is not None
        truth = dataset.labels[dataset.test_indices]
        if len(truth) != len(predictions):
            raise ValueError(f"{method}: {len(predictions):,} predictions for "
                             f"{len(truth):,} test items.")
        counts = np.zeros((k, k), np.int64)
        np.add.at(counts, (truth, np.asarray(predictions, np.int64)), 1)
        return counts

    def to_json(self, *, predictions: bool = False) -> dict[str, Any]:
        """The JSON object the README documents; ``predictions`` also keeps each run's test
        predictions (for confusion matrices after reading it back)."""
        def entries(method: str, reference: bool) -> list[dict[str, Any]]:
            out = []
            for budget in self.settings.budgets:
                runs = self._runs(method, budget, reference)
                if not runs:
                    continue
                accuracies = [r.accuracy for r in runs]
                entry: dict[str, Any] = {
                    "budget": _budget_json(budget), "labels": runs[0].n_labels,
                    "mean": _round(float(np.mean(accuracies))),
                    "std": _round(float(np.std(accuracies, ddof=1)) if len(runs) > 1 else 0.0),
                    "runs": accuracies,
                    "seeds": [r.seed for r in runs],
                    "seconds": [round(r.seconds, 3) for r in runs]}
                if predictions:
                    entry["predictions"] = [r.predictions.astype(int).tolist() for r in runs]
                out.append(entry)
            return out

        references = None
        if self.reference_runs:
            references = {"features": self.reference_features,
                          "results": {m: entries(m, True) for m in FEATURE_METHODS
                                      if any(r.method == m for r in self.reference_runs)}}
        labelled = None
        if self.labelled is not None:
            b = self.labelled
            labelled = {"size": b.size, "per_class": b.per_class, "seed": b.seed,
                        "items": None if b.items is None else list(b.items),
                        "item_labels": None if b.item_labels is None else list(b.item_labels)}
        return {"schema": SCHEMA_VERSION, "settings": self.settings.to_json(),
                "labelled": labelled,
                "results": {m: entries(m, False) for m in self.settings.methods},
                "references": references, "seconds": round(self.seconds, 2)}

    @classmethod
    def from_json(cls, d: Any) -> SweepResult:
        """A result written by ``to_json``; ValueError naming the field that is wrong."""
        obj = _mapping(d, "sweep")
        if obj.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"schema: expected {SCHEMA_VERSION} (got {obj.get('schema')!r}).")
        s = _mapping(obj.get("settings"), "settings")
        budgets = tuple(_budget(b, f"settings.budgets[{i}]")
                        for i, b in enumerate(_list(s.get("budgets"), "settings.budgets")))
        methods = tuple(_text(m, "settings.methods")
                        for m in _list(s.get("methods"), "settings.methods"))
        for method in methods:
            if method not in METHODS:
                raise ValueError(f"settings.methods: unknown method {method!r}.")
        settings = SweepSettings(
            budgets=budgets, methods=methods, repeats=_int(s.get("repeats"), "settings.repeats"),
            per_class=_bool(s.get("per_class"), "settings.per_class"),
            seed=_int(s.get("seed"), "settings.seed"),
            references=_bool(s.get("references", True), "settings.references"))
        results = _mapping(obj.get("results"), "results")
        runs = [run for method in methods
                for run in _runs_of(results.get(method, []), method, f"results.{method}")]
        reference_runs: list[MethodResult] = []
        features = None
        if obj.get("references") is not None:
            refs = _mapping(obj["references"], "references")
            features = refs.get("features")
            if features is not None:
                features = _text(features, "references.features")
            for method, value in _mapping(refs.get("results", {}), "references.results").items():
                if method not in FEATURE_METHODS:
                    raise ValueError(f"references.results: unknown method {method!r}.")
                reference_runs += _runs_of(value, method, f"references.results.{method}")
        labelled = None
        if obj.get("labelled") is not None:
            labelled = _label_budget(_mapping(obj["labelled"], "labelled"))
        seconds = obj.get("seconds", 0.0)
        return cls(settings, runs, reference_runs, features, labelled,
                   float(_number(seconds, "seconds")))


def _round(value: float) -> float:
    return round(value, 4)


# ------------------------------------------------------------------------- reading back
def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object.")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list.")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected a string.")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{where}: expected true or false.")
    return value


def _int(value: Any, where: str, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{where}: expected a whole number ≥ {low}.")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value):
        raise ValueError(f"{where}: expected a number.")
    return float(value)


def _budget(value: Any, where: str) -> int:
    if value == "all":
        return ALL_LABELS
    return _int(value, where)


def _runs_of(value: Any, method: str, where: str) -> list[MethodResult]:
    runs = []
    for i, entry in enumerate(_list(value, where)):
        here = f"{where}[{i}]"
        e = _mapping(entry, here)
        budget = _budget(e.get("budget"), f"{here}.budget")
        n_labels = _int(e.get("labels"), f"{here}.labels", 1)
        accuracies = [_number(a, f"{here}.runs") for a in _list(e.get("runs"), f"{here}.runs")]
        n = len(accuracies)
        seeds = [_int(s, f"{here}.seeds") for s in _list(e.get("seeds", list(range(n))),
                                                         f"{here}.seeds")]
        seconds = [_number(s, f"{here}.seconds")
                   for s in _list(e.get("seconds", [0.0] * n), f"{here}.seconds")]
        kept = _list(e.get("predictions", [[]] * n), f"{here}.predictions")
        if not len(seeds) == len(seconds) == len(kept) == n:
            raise ValueError(f"{here}: runs, seeds, seconds and predictions differ in length.")
        for accuracy, seed, s, p in zip(accuracies, seeds, seconds, kept, strict=True):
            if not 0 <= accuracy <= 1:
                raise ValueError(f"{here}.runs: an accuracy outside 0…1.")
            predicted = [_int(c, f"{here}.predictions") for c in _list(p, f"{here}.predictions")]
            runs.append(MethodResult(method, n_labels, seed, accuracy, s,
                                     np.asarray(predicted, np.int64), budget))
    return runs


def _label_budget(b: dict[str, Any]) -> LabelBudget:
    def ints(key: str) -> tuple[int, ...] | None:
        value = b.get(key)
        if value is None:
            return None
        return tuple(_int(v, f"labelled.{key}") for v in _list(value, f"labelled.{key}"))

    return LabelBudget(size=_int(b.get("size", 0), "labelled.size"),
                       per_class=_bool(b.get("per_class", False), "labelled.per_class"),
                       seed=_int(b.get("seed", 0), "labelled.seed"),
                       items=ints("items"), item_labels=ints("item_labels"))


__all__ = ["MAX_REPEATS", "SCHEMA_VERSION", "SweepResult", "SweepSettings"]
