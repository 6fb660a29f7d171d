"""The semi-supervised methods: what a pretrained encoder's codes are worth with N labels.

The lecture's recipe is ``finetune``: learn features without labels (the autoencoder on many
images), then train a classifier with the few labels, starting from those features. The other
methods place it: ``scratch`` is the same network without the pretraining, ``linear`` and
``knn`` use the frozen codes as they are, and ``propagation`` also uses the unlabelled items —
labels spread along a neighbour graph of every item's codes.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from latentlab.core.data.dataset import Dataset
from latentlab.core.semisup import features as feat
from latentlab.core.semisup.budget import SemisupError, check_seed, class_indices

if TYPE_CHECKING:  # torch loads with a run, not with the settings' vocabulary
    from latentlab.core.models.base import LatentModel

#: Method key → title, in the order they are shown.
METHODS: dict[str, str] = {
    "scratch": "Same network from scratch",
    "linear": "Logistic regression on the codes",
    "knn": "k-NN on the codes",
    "finetune": "Pretrained encoder, fine-tuned",
    "propagation": "Label propagation over the codes",
}
#: The methods that only read the codes (and, as references, the baseline's features), with
#: their titles without the features.
FEATURE_METHODS: dict[str, str] = {
    "linear": "Logistic regression", "knn": "k-NN", "propagation": "Label propagation"}


class SweepCancelled(Exception):
    """A sweep or a method run stopped through its ``cancel`` event; nothing was returned."""


@dataclass(frozen=True, eq=False)  # holds an array: compared by identity
class MethodResult:
    """One method trained with one set of labels and scored on the test split."""

    method: str
    n_labels: int
    seed: int
    accuracy: float
    seconds: float
    #: The predicted class of every ``dataset.test_indices`` item, in that order (empty when
    #: read back from a file that did not keep them).
    predictions: np.ndarray
    #: The sweep budget the run belongs to (a ``SweepSettings.budgets`` entry), when in a sweep.
    budget: int | None = None


def check_method(method: str) -> None:
    if method not in METHODS:
        raise SemisupError(f"Methods: unknown method {method!r} (choose from "
                           f"{', '.join(METHODS)}).")


def check_model(model: LatentModel) -> None:
    """SemisupError for a model whose inputs have no codes (a plain GAN), or need their class
    to have one (a conditional VAE)."""
    if not model.has_encoder:
        raise SemisupError("Model: a plain GAN has no encoder: real items have no codes to "
                           "learn from.")
    if model.needs_labels:
        raise SemisupError("Model: a conditional VAE encodes each item with its class, and "
                           "the unlabelled items have none; use an autoencoder or a VAE.")


def test_rows(dataset: Dataset) -> np.ndarray:
    """The items scored: the test split; SemisupError when it is empty."""
    rows = dataset.test_indices
    if len(rows) == 0:
        raise SemisupError(f"Test split: {dataset.name} has no test items to score on.")
    return rows


def all_codes(model: LatentModel, dataset: Dataset) -> np.ndarray:
    """The codes of every item (train and test), as float64: computed once per sweep."""
    from latentlab.core.evaluation.model import model_codes

    check_model(model)
    codes, _ = model_codes(model, dataset)
    codes = np.asarray(codes, np.float64).reshape(dataset.n, -1)
    if not np.isfinite(codes).all():
        raise SemisupError("Model: its codes hold NaN or infinite values.")
    return codes


def run_method(method: str, model: LatentModel, dataset: Dataset, labelled: np.ndarray,
               labels: np.ndarray, *, seed: int = 0, codes: np.ndarray | None = None,
               cancel: threading.Event | None = None,
               graph: feat.Graph | None = None) -> MethodResult:
    """Train ``method`` with the labelled items ``labelled`` (dataset indices, train split)
    and their classes ``labels``; score it on the test split.

    ``codes``: the model's codes of all items, when already computed (a sweep computes them
    once); ``graph``: the propagation graph of those codes, likewise. ``seed`` seeds what is
    random (a network's weights and batches). Raises SemisupError for an unknown method, a
    model without an encoder or data without labels; SweepCancelled when ``cancel`` is set.
    """
    check_method(method)
    check_model(model)
    check_seed(seed)
    _, k = class_indices(dataset)
    rows = test_rows(dataset)
    labelled = np.asarray(labelled, np.int64)
    labels = np.asarray(labels, np.int64)
    if len(labelled) == 0 or len(labelled) != len(labels):
        raise SemisupError(f"Labelled items: {len(labelled):,} items with {len(labels):,} "
                           "labels.")
    if labelled.min() < 0 or labelled.max() >= dataset.n or dataset.is_test[labelled].any():
        raise SemisupError("Labelled items: only train items of the dataset can be labelled.")
    if labels.min() < 0 or labels.max() >= k:
        raise SemisupError(f"Item labels: classes lie in 0…{k - 1}.")
    from latentlab.core.semisup.networks import Cancelled, train_network

    start = time.perf_counter()
    try:
        if method in FEATURE_METHODS:
            if codes is None:
                codes = all_codes(model, dataset)
            predictions = predict_from_features(method, codes, labelled, labels, rows, k,
                                                graph=graph, cancel=cancel)
        else:
            predictions = train_network(model, dataset.x, labelled, labels, rows, k,
                                        pretrained=method == "finetune", seed=seed,
                                        cancel=cancel)
    except Cancelled:
        raise SweepCancelled() from None
    if cancel is not None and cancel.is_set():
        raise SweepCancelled()
    return scored(method, dataset, rows, predictions, len(labelled), seed,
                  time.perf_counter() - start)


def predict_from_features(method: str, features: np.ndarray, labelled: np.ndarray,
                          labels: np.ndarray, rows: np.ndarray, n_classes: int, *,
                          graph: feat.Graph | None = None,
                          cancel: threading.Event | None = None) -> np.ndarray:
    """``linear``, ``knn`` or ``propagation`` on fixed features of all items."""
    if method == "linear":
        return feat.logistic_predict(feat.standardised(features), labelled, labels, rows,
                                     n_classes)
    if method == "knn":
        return feat.knn_predict(features, labelled, labels, rows, n_classes)
    if graph is None:
        graph = feat.Graph.of(features)
    return feat.propagation_predict(graph, labelled, labels, rows, n_classes, cancel)


def scored(method: str, dataset: Dataset, rows: np.ndarray, predictions: np.ndarray,
           n_labels: int, seed: int, seconds: float, budget: int | None = None
           ) -> MethodResult:
    assert dataset.labels is not None
    accuracy = float(np.mean(predictions == dataset.labels[rows]))
    return MethodResult(method, n_labels, seed, accuracy, seconds, predictions, budget)


__all__ = [
    "FEATURE_METHODS",
    "METHODS",
    "MethodResult",
    "SweepCancelled",
    "all_codes",
    "check_model",
    "predict_from_features",
    "run_method",
]
