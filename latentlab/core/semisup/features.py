"""Classifiers on fixed features (a model's codes, or the inputs): logistic regression, k-NN,
and label propagation over a k-NN graph of every item (Zhou et al. 2004).

Each takes the features of *all* dataset items, the labelled rows and their classes, and
returns a predicted class for each row asked about. k-NN and propagation use Euclidean
distances between the features as they are (as the maps do); the logistic regression gets them
standardised (each dimension to zero mean and unit variance over all items, no labels
involved), so that its penalty weighs every dimension alike. Standardising for the distances
too was no better on autoencoder codes and worse on PCA features, whose small, noisy
components it would blow up.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy import sparse

#: Neighbours of each item in the propagation graph (scikit-learn's LabelSpreading default).
GRAPH_NEIGHBORS = 7
#: How much of an item's label comes from its neighbours (the rest from its own label); near 1
#: lets labels travel far along the graph, as the few labels of a small budget must (Zhou et
#: al.'s value).
PROPAGATION_ALPHA = 0.99
#: Propagation iterations (fewer when nothing changes any more): what is left to move after
#: them is under α^400 ≈ 2 % of the first step's change, and the largest entry of an item's
#: row — its class — has long stopped changing.
PROPAGATION_STEPS = 400
#: Inverse regularisation strength of the logistic regression on standardised features.
LOGISTIC_C = 1.0


def standardised(features: np.ndarray) -> np.ndarray:
    """Each column to zero mean, unit variance (a constant column stays zero), as float64."""
    x = np.asarray(features, np.float64).reshape(len(features), -1)
    std = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(std > 1e-12, std, 1.0)


def logistic_predict(features: np.ndarray, labelled: np.ndarray, labels: np.ndarray,
                     rows: np.ndarray, n_classes: int) -> np.ndarray:
    """Multinomial logistic regression (L2, scikit-learn's lbfgs) fitted on the labelled
    rows; a budget with a single class predicts that class."""
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    classes = np.unique(labels)
    if len(classes) == 1:
        return np.full(len(rows), classes[0], np.int64)
    model = LogisticRegression(C=LOGISTIC_C, max_iter=500, tol=1e-4)
    # A problem this small gains nothing from BLAS threads, and on a busy machine their
    # spinning made a 0.1 s fit take seconds.
    with threadpool_limits(limits=1, user_api="blas"):
        model.fit(features[labelled], labels)
        return model.predict(features[rows]).astype(np.int64)


def knn_k(n_labels: int, n_classes: int) -> int:
    """Neighbours that vote: 1 while each class has a handful of labels, then more (up to
    10), as a vote only helps once there are several labels of a class near every item."""
    return int(np.clip(n_labels // (10 * max(n_classes, 1)), 1, 10))


def knn_predict(features: np.ndarray, labelled: np.ndarray, labels: np.ndarray,
                rows: np.ndarray, n_classes: int) -> np.ndarray:
    """A vote of the k nearest labelled items (Euclidean), weighted by 1/distance; k from
    ``knn_k``. A tie goes to the smallest class."""
    from scipy.spatial import cKDTree  # scipy is imported when used: the window starts sooner

    k = min(knn_k(len(labelled), n_classes), len(labelled))
    tree = cKDTree(features[labelled])
    dist, nearest = tree.query(features[rows], k=k)
    dist, nearest = dist.reshape(len(rows), k), nearest.reshape(len(rows), k)
    weights = 1.0 / np.maximum(dist, 1e-12)
    votes = np.zeros((len(rows), n_classes))
    np.add.at(votes, (np.repeat(np.arange(len(rows)), k), labels[nearest].ravel()),
              weights.ravel())
    return votes.argmax(axis=1).astype(np.int64)


@dataclass(frozen=True)
class Graph:
    """The normalised affinity S = D^-1/2 W D^-1/2 of a symmetric k-NN graph of all items.

    Edges are weighted w_ij = exp(−d_ij² / (σ_i σ_j)), σ_i the distance from item i to its
    k-th neighbour (Zelnik-Manor & Perona's local scaling): a dense region's close neighbours
    and a sparse region's far ones weigh alike, and no kernel width is to be chosen.
    """

    affinity: sparse.csr_matrix

    @classmethod
    def of(cls, features: np.ndarray, neighbors: int = GRAPH_NEIGHBORS) -> Graph:
        from scipy import sparse
        from scipy.spatial import cKDTree

        n = len(features)
        k = min(neighbors, n - 1)
        if k < 1:
            return cls(sparse.csr_matrix((n, n)))
        # Exact neighbours (a KD-tree; fine for codes of tens of dimensions).
        dist, nearest = cKDTree(features).query(features, k=k + 1)
        rows = np.repeat(np.arange(n), k)
        cols = nearest[:, 1:].ravel()  # the item itself comes first
        sigma = np.maximum(dist[:, -1], 1e-12)
        weights = np.exp(-dist[:, 1:].ravel() ** 2 / (sigma[rows] * sigma[cols]))
        w = sparse.csr_matrix((weights, (rows, cols)), shape=(n, n))
        w = w.maximum(w.T)  # a neighbour either way is an edge
        degree = np.asarray(w.sum(axis=1)).ravel()
        scale = sparse.diags(1.0 / np.sqrt(np.maximum(degree, 1e-300)))
        return cls((scale @ w @ scale).tocsr())


def propagation_predict(graph: Graph, labelled: np.ndarray, labels: np.ndarray,
                        rows: np.ndarray, n_classes: int,
                        cancel: threading.Event | None = None) -> np.ndarray:
    """Label spreading: F ← α S F + (1 − α) Y until it settles; each item takes the class of
    its largest F. Y holds each class's labels divided by their count, so that a class with
    more labels does not spread further for that alone."""
    n = graph.affinity.shape[0]
    y = np.zeros((n, n_classes))
    y[labelled, labels] = 1.0
    y /= np.maximum(y.sum(axis=0, keepdims=True), 1.0)
    f = y.copy()
    for step in range(PROPAGATION_STEPS):
        if cancel is not None and step % 50 == 0 and cancel.is_set():
            break
        updated = PROPAGATION_ALPHA * (graph.affinity @ f) + (1 - PROPAGATION_ALPHA) * y
        change = np.abs(updated - f).max()
        f = updated
        if change < 1e-9 * max(float(f.max()), 1e-300):
            break
    return f[rows].argmax(axis=1).astype(np.int64)


__all__ = [
    "GRAPH_NEIGHBORS",
    "Graph",
    "knn_k",
    "knn_predict",
    "logistic_predict",
    "propagation_predict",
    "standardised",
]
