"""Which train items are labelled: a budget of labels, picked at random (seeded) or by hand."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentlab.config_train import MAX_SEED
from latentlab.core.data.dataset import Dataset


class SemisupError(ValueError):
    """A setting that cannot work with this data; the message names the setting."""


#: A budget meaning "every labelled train item".
ALL_LABELS = 0


@dataclass(frozen=True)
class LabelBudget:
    """How many train items keep their label, and which.

    ``size`` counts labels per class (``per_class``) or in all; ``ALL_LABELS`` keeps every
    label. ``items`` names the labelled train items exactly (a user's picks; ``size`` and
    ``per_class`` are then ignored), with their classes in ``item_labels`` when given by hand
    (None: the dataset's labels).
    """

    size: int = 10
    per_class: bool = True
    seed: int = 0
    items: tuple[int, ...] | None = None
    item_labels: tuple[int, ...] | None = None


def budget_name(size: int, per_class: bool) -> str:
    """A budget in words: "10 per class", "100 labels", "all labels"."""
    if size == ALL_LABELS:
        return "all labels"
    return f"{size:,} per class" if per_class else f"{size:,} labels"


def check_seed(seed: int, setting: str = "Seed") -> None:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) \
            or not 0 <= seed <= MAX_SEED:
        raise SemisupError(f"{setting}: a whole number in 0…{MAX_SEED:,} (got {seed!r}).")


def class_indices(dataset: Dataset) -> tuple[np.ndarray, int]:
    """The train items' labels and the number of classes; SemisupError without labels."""
    if dataset.labels is None or not dataset.class_names:
        raise SemisupError(f"Labels: {dataset.name} has no labels to learn from or score "
                           "against.")
    return dataset.labels[dataset.train_indices], len(dataset.class_names)


def check_budget(dataset: Dataset, size: int, per_class: bool) -> None:
    """SemisupError naming the setting when ``size`` cannot be picked from ``dataset``."""
    train_labels, k = class_indices(dataset)
    setting = "Labels per class" if per_class else "Labels"
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 0:
        raise SemisupError(f"{setting}: a whole number ≥ 1, or all (got {size!r}).")
    if len(train_labels) == 0:
        raise SemisupError(f"Labels: {dataset.name} has no train items to label.")
    if size == ALL_LABELS:
        return
    counts = np.bincount(train_labels, minlength=k)
    if per_class:
        short = np.flatnonzero(counts < size)
        if len(short):
            c = int(short[0])
            raise SemisupError(
                f"{setting}: {size:,} is above the {counts[c]:,} train items of class "
                f"{dataset.class_names[c]!r}.")
        return
    if size < k:
        raise SemisupError(f"{setting}: {size:,} is below the number of classes ({k}); every "
                           "class needs a label.")
    if size > len(train_labels):
        raise SemisupError(f"{setting}: {size:,} is above the {len(train_labels):,} labelled "
                           "train items.")
    empty = np.flatnonzero(counts == 0)
    if len(empty):
        raise SemisupError(f"{setting}: class {dataset.class_names[int(empty[0])]!r} has no "
                           "train item to label.")


def pick_labelled(dataset: Dataset, budget: LabelBudget) -> tuple[np.ndarray, np.ndarray]:
    """(dataset indices of the labelled train items, ascending; their class indices).

    A random pick is seeded, and nested: for one seed, a larger budget keeps the items of a
    smaller one (each class's items — or all train items — are drawn in one seeded order and
    the first ones taken), so a learning curve varies only in how many labels it has. A budget
    in all first takes one item of each class, so that no class is left without a label.
    """
    check_seed(budget.seed, "Label seed")
    if budget.items is not None:
        return _hand_picked(dataset, budget)
    check_budget(dataset, budget.size, budget.per_class)
    train = dataset.train_indices
    train_labels, k = class_indices(dataset)
    if budget.size == ALL_LABELS:
        return train.copy(), train_labels.copy()
    rng = np.random.default_rng(budget.seed)
    if budget.per_class:
        picked = np.concatenate([rng.permutation(train[train_labels == c])[: budget.size]
                                 for c in range(k)])
    else:
        order = rng.permutation(len(train))
        first = np.unique(train_labels[order], return_index=True)[1]  # one per class
        rest = np.setdiff1d(np.arange(len(order)), first, assume_unique=True)
        picked = train[order[np.concatenate([first, rest[: budget.size - len(first)]])]]
    picked = np.sort(picked)
    return picked, dataset.labels[picked].astype(np.int64)


def _hand_picked(dataset: Dataset, budget: LabelBudget) -> tuple[np.ndarray, np.ndarray]:
    assert budget.items is not None
    _, k = class_indices(dataset)
    items = np.asarray(budget.items, dtype=np.int64).reshape(-1)
    if len(items) == 0:
        raise SemisupError("Labelled items: none picked.")
    outside = items[(items < 0) | (items >= dataset.n)]
    if len(outside):
        raise SemisupError(f"Labelled items: item {int(outside[0])} is not in {dataset.name} "
                           f"(0…{dataset.n - 1}).")
    tested = items[dataset.is_test[items]]
    if len(tested):
        raise SemisupError(f"Labelled items: item {int(tested[0])} is in the test split; only "
                           "train items can be labelled.")
    if len(np.unique(items)) != len(items):
        raise SemisupError("Labelled items: an item is picked twice.")
    if budget.item_labels is None:
        labels = dataset.labels[items].astype(np.int64)
    else:
        labels = np.asarray(budget.item_labels, dtype=np.int64).reshape(-1)
        if len(labels) != len(items):
            raise SemisupError(f"Item labels: {len(labels):,} labels for {len(items):,} "
                               "labelled items.")
        wrong = labels[(labels < 0) | (labels >= k)]
        if len(wrong):
            raise SemisupError(f"Item labels: {int(wrong[0])} is not a class (0…{k - 1}).")
    order = np.argsort(items, kind="stable")
    return items[order], labels[order]


__all__ = ["ALL_LABELS", "LabelBudget", "SemisupError", "budget_name", "check_budget",
           "pick_labelled"]
