"""Numbers that compare models: clustering accuracy and the class balance of generated samples."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

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
