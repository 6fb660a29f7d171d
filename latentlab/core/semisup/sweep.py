"""A sweep: every method with every label budget, repeated with other picks and seeds.

The model's codes are computed once (and the propagation graph built once) and shared by every
run; only the network methods touch the model again, each on its own copy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from latentlab.core.data.dataset import Dataset
from latentlab.core.semisup import features as feat
from latentlab.core.semisup.budget import (
    LabelBudget,
    budget_name,
    class_indices,
    pick_labelled,
)
from latentlab.core.semisup.methods import (
    FEATURE_METHODS,
    METHODS,
    MethodResult,
    SweepCancelled,
    all_codes,
    check_model,
    predict_from_features,
    run_method,
    scored,
    test_rows,
)
from latentlab.core.semisup.results import REFERENCE_COMPONENTS, SweepResult, SweepSettings

if TYPE_CHECKING:  # torch loads with a sweep, not with the package
    from latentlab.core.models.base import LatentModel

Progress = Callable[[int, int, str], None]


def reference_features(dataset: Dataset, seed: int = 0) -> tuple[np.ndarray, str]:
    """The linear baseline's features of every item — PCA of the pixels (LSA of TF-IDF for
    text) with up to 50 components, fitted on the train split — and their name."""
    flat = dataset.images().reshape(dataset.n, -1)
    train = flat[dataset.train_indices]
    k = max(1, min(REFERENCE_COMPONENTS, flat.shape[1], len(train) - 1))
    from latentlab.core.evaluation.model import linear_baseline

    baseline, name = linear_baseline(dataset, k, seed)
    baseline.fit(train)
    return np.asarray(baseline.transform(flat), np.float64), f"{name}, {k} components"


def _picks(dataset: Dataset, settings: SweepSettings, budget: LabelBudget | None
           ) -> list[tuple[int, int, np.ndarray, np.ndarray]]:
    """(budget, seed, labelled items, their labels) of every run, budgets outermost."""
    if budget is not None:
        labelled, labels = pick_labelled(dataset, budget)
        key = len(labelled) if budget.items is not None else budget.size
        return [(key, settings.seed + r, labelled, labels) for r in range(settings.repeats)]
    out = []
    for size in settings.budgets:
        for r in range(settings.repeats):
            seed = settings.seed + r
            labelled, labels = pick_labelled(dataset, LabelBudget(size, settings.per_class, seed))
            out.append((size, seed, labelled, labels))
    return out


def run_sweep(model: LatentModel, dataset: Dataset, settings: SweepSettings, *,
              progress: Progress | None = None, cancel: threading.Event | None = None,
              budget: LabelBudget | None = None) -> SweepResult:
    """Run ``settings.methods`` for every budget and repeat; score each on the test split.

    ``budget`` replaces ``settings.budgets`` with one budget of exactly the items it picks
    (a user's items and hand labels, or one seeded pick): every repeat uses those labels, only
    the methods' seeds change. ``progress(done, total, what)`` is called before each step.
    Raises SemisupError (a setting that cannot work, checked before anything runs) or
    SweepCancelled when ``cancel`` is set.
    """
    start = time.perf_counter()
    check_model(model)
    if budget is not None:
        hand = pick_labelled(dataset, budget)[0]  # checks the picks first
        size = len(hand) if budget.items is not None else budget.size
        per_class = budget.per_class and budget.items is None
        settings = replace(settings, budgets=(size,), per_class=per_class)
    settings.validate(dataset, budgets=budget is None)
    _, k = class_indices(dataset)
    rows = test_rows(dataset)
    picks = _picks(dataset, settings, budget)
    references = tuple(FEATURE_METHODS) if settings.references else ()
    total = 1 + len(picks) * (len(settings.methods) + len(references)) + bool(references)
    done = 0

    def step(what: str) -> None:
        nonlocal done
        if cancel is not None and cancel.is_set():
            raise SweepCancelled()
        if progress is not None:
            progress(done, total, what)
        done += 1

    step(f"codes of {dataset.n:,} items")
    codes = all_codes(model, dataset)
    graph = feat.Graph.of(codes) if "propagation" in settings.methods else None
    runs: list[MethodResult] = []
    for size, seed, labelled, labels in picks:
        for method in settings.methods:
            step(_what(METHODS[method], size, settings, seed))
            result = run_method(method, model, dataset, labelled, labels, seed=seed,
                                codes=codes, cancel=cancel, graph=graph)
            runs.append(replace(result, budget=size))
    reference_runs: list[MethodResult] = []
    name = None
    if references:
        step("the baseline's features")
        base, name = reference_features(dataset, settings.seed)
        base_graph = feat.Graph.of(base)
        for size, seed, labelled, labels in picks:
            for method in references:
                step(_what(f"{FEATURE_METHODS[method]} on {name}", size, settings, seed))
                began = time.perf_counter()
                predicted = predict_from_features(method, base, labelled, labels, rows, k,
                                                  graph=base_graph, cancel=cancel)
                if cancel is not None and cancel.is_set():
                    raise SweepCancelled()
                reference_runs.append(scored(method, dataset, rows, predicted, len(labelled),
                                             seed, time.perf_counter() - began, size))
    if progress is not None:
        progress(total, total, "done")
    return SweepResult(settings, runs, reference_runs, name, budget,
                       time.perf_counter() - start)


def _what(title: str, size: int, settings: SweepSettings, seed: int) -> str:
    repeat = seed - settings.seed + 1
    return f"{title} · {budget_name(size, settings.per_class)} · repeat {repeat}/" \
           f"{settings.repeats}"


__all__ = ["reference_features", "run_sweep"]
