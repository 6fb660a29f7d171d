"""Numbers that compare models: neighbourhoods of a map (kNN accuracy, trustworthiness),
reconstruction error, clustering accuracy and the class balance of generated samples."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A class counts as covered when it receives at least this share of a uniform allocation
#: (10 % of n/K samples): a stray misclassified sample or two does not make a mode.
COVERAGE_SHARE = 0.1


def contingency(predicted: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """counts[i, j] = items with predicted cluster i and true label j."""
    predicted, labels = np.asarray(predicted, np.int64), np.asarray(labels, np.int64)
    if predicted.shape != labels.shape:
        raise ValueError(f"{len(predicted)} predictions for {len(labels)} labels.")
    counts = np.zeros((predicted.max() + 1, labels.max() + 1), dtype=np.int64)
    np.add.at(counts, (predicted, labels), 1)
    return counts


def hungarian_accuracy(predicted: np.ndarray, labels: np.ndarray) -> float:
    """Accuracy of an unsupervised clustering under its best one-to-one cluster→label matching.

    The matching maximises the items whose matched label is right (Hungarian algorithm); extra
    clusters beyond the number of labels match nothing and count as errors.
    """
    if len(labels) == 0:
        raise ValueError("No items to score.")
    from scipy.optimize import linear_sum_assignment  # ~0.4 s import: lazily, not at start-up

    counts = contingency(predicted, labels)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return float(counts[rows, cols].sum() / len(labels))


@dataclass(frozen=True)
class ModeCoverage:
    histogram: np.ndarray  # generated samples per class
    classes_covered: int
    class_kl: float  # KL(histogram ‖ uniform), in nats; 0 when perfectly balanced

    def to_dict(self) -> dict[str, object]:
        return {"classes_covered": self.classes_covered, "class_kl": self.class_kl,
                "histogram": self.histogram.tolist()}


def mode_coverage(predicted_classes: np.ndarray, n_classes: int) -> ModeCoverage:
    """How many classes a generator produces, and how far its class mix is from uniform."""
    histogram = np.bincount(np.asarray(predicted_classes, np.int64), minlength=n_classes)
    n = histogram.sum()
    if n == 0:
        raise ValueError("No samples to score.")
    p = histogram / n
    nonzero = p > 0
    kl = float(np.sum(p[nonzero] * np.log(p[nonzero] * n_classes)))
    covered = int(np.sum(histogram >= COVERAGE_SHARE * n / n_classes))
    return ModeCoverage(histogram, covered, kl)


def knn_accuracy(train_xy: np.ndarray, train_labels: np.ndarray, test_xy: np.ndarray,
                 test_labels: np.ndarray, k: int) -> float:
    """Accuracy of a k-nearest-neighbour vote: fit on the train points, score on the test points.

    Euclidean distances; each test point takes the most common label among its ``k`` nearest
    train points (a tie goes to the smallest label, as scikit-learn's KNeighborsClassifier does).
    """
    train_xy = np.asarray(train_xy, np.float64).reshape(len(train_xy), -1)
    test_xy = np.asarray(test_xy, np.float64).reshape(len(test_xy), -1)
    train_labels = np.asarray(train_labels, np.int64)
    test_labels = np.asarray(test_labels, np.int64)
    if len(train_xy) != len(train_labels) or len(test_xy) != len(test_labels):
        raise ValueError("kNN: one label per point is needed.")
    if len(test_xy) == 0:
        raise ValueError("kNN: no test points to score.")
    if not 1 <= k <= len(train_xy):
        raise ValueError(f"kNN: k must lie in 1…{len(train_xy)} (got {k}).")
    from scipy.spatial import cKDTree  # lazily, as above

    _, neighbours = cKDTree(train_xy).query(test_xy, k=k)
    votes = train_labels[np.asarray(neighbours).reshape(len(test_xy), k)]
    n_classes = int(max(train_labels.max(), test_labels.max())) + 1
    counts = np.zeros((len(test_xy), n_classes), np.int64)
    np.add.at(counts, (np.repeat(np.arange(len(test_xy)), k), votes.ravel()), 1)
    return float(np.mean(counts.argmax(1) == test_labels))


def subsample(n: int, max_items: int, seed: int = 0) -> np.ndarray:
    """Indices of at most ``max_items`` of ``n`` items: all of them, or a seeded sorted sample."""
    if n <= max_items:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, max_items, replace=False))


def trustworthiness(x_high: np.ndarray, x_low: np.ndarray, n_neighbors: int = 5) -> float:
    """How far a map keeps each point's nearest neighbours (1 = all kept; Venna & Kaski 2001).

    scikit-learn's ``sklearn.manifold.trustworthiness`` (Euclidean); it builds all pairwise
    distances, so callers pass a subsample of a few thousand points at most.
    """
    from sklearn.manifold import trustworthiness as sk_trustworthiness  # ~1 s import: lazily

    x_high = np.asarray(x_high, np.float64).reshape(len(x_high), -1)
    x_low = np.asarray(x_low, np.float64).reshape(len(x_low), -1)
    if len(x_high) != len(x_low):
        raise ValueError(f"trustworthiness: {len(x_high)} points against {len(x_low)} on the map.")
    if n_neighbors >= len(x_high) / 2:
        raise ValueError(f"trustworthiness: {n_neighbors} neighbours need more than "
                         f"{2 * n_neighbors} points (got {len(x_high)}).")
    return float(sk_trustworthiness(x_high, x_low, n_neighbors=n_neighbors))


def reconstruction_sse(x: np.ndarray, x_hat: np.ndarray) -> float:
    """Sum of squared errors over each item's pixels (or words), averaged over the items."""
    x = np.asarray(x, np.float64).reshape(len(x), -1)
    x_hat = np.asarray(x_hat, np.float64).reshape(len(x_hat), -1)
    if x.shape != x_hat.shape:
        raise ValueError(f"reconstruction: shapes {x.shape} and {x_hat.shape} differ.")
    if len(x) == 0:
        raise ValueError("reconstruction: no items to score.")
    return float(((x - x_hat) ** 2).sum(1).mean())
