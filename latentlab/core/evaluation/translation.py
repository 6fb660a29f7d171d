"""Scoring a translator (pix2pix) on the test split: its task's pairs are made from each test
image (or, for the user's own pairs, are the test items and their B images), and its outputs
are compared with the targets.

- ``l1``: mean absolute error per pixel (images in [0, 1]) of output against target, beside
  ``l1_of_inputs``, the error of handing back the input unchanged.
- With labels, the label classifier that judges generated images (``gan.LabelClassifier``)
  reads the outputs: ``classifier_accuracy_on_outputs`` is the share it reads as their
  target's label (beside its accuracy on the targets themselves), and ``frechet_distance`` is
  the Fréchet distance between the outputs and the targets in its penultimate-layer features
  (``frechet``): does a translated "7" still read as a 7, and do the outputs as a whole look
  like real images?
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from latentlab.core.data.dataset import Dataset
from latentlab.core.evaluation.frechet import frechet_distance, gaussian_stats
from latentlab.core.evaluation.gan import LabelClassifier
from latentlab.core.evaluation.model import model_device
from latentlab.core.models.paired_tasks import make_pair
from latentlab.core.models.pix2pix import Pix2Pix

_BATCH = 512


@torch.no_grad()
def translate_items(model: Pix2Pix, x: np.ndarray, b_images: np.ndarray | None = None
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(inputs, outputs, targets) of ``model``'s task for images ``x`` (and their
    ``b_images``, for the task ``pairs``), on its device."""
    model.eval()
    device = model_device(model)
    inputs, outputs, targets = [], [], []
    for i in range(0, len(x), _BATCH):
        b = None if b_images is None else torch.from_numpy(b_images[i : i + _BATCH]).to(device)
        a, y = make_pair(model.cfg.task, torch.from_numpy(x[i : i + _BATCH]).to(device), b)
        inputs.append(a)
        outputs.append(model.translate(a))
        targets.append(y)
    return torch.cat(inputs), torch.cat(outputs), torch.cat(targets)


def _mean_abs_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().mean(dtype=torch.float64))


def translation_scores(model: Pix2Pix, data: Dataset,
                       classifier: LabelClassifier | None) -> dict[str, Any]:
    """The translation scores on ``data``'s test split (module docstring); ``classifier`` is
    the label classifier (None without labels: those scores are None, with a note)."""
    test = data.test_indices
    b_images = None if data.targets is None else data.targets[test]
    inputs, outputs, targets = translate_items(model, data.images(test), b_images)
    scores: dict[str, Any] = {
        "task": model.cfg.task, "items": len(test),
        "l1": _mean_abs_error(outputs, targets), "l1_of_inputs": _mean_abs_error(inputs, targets),
        "classifier_accuracy_on_outputs": None, "classifier_accuracy_on_targets": None,
        "frechet_distance": None, "features": None,
    }
    if classifier is None or data.labels is None:
        scores["note"] = f"{data.name} has no labels: the outputs are scored by L1 alone"
        return scores
    labels = data.labels[test]
    scores["classifier_accuracy_on_outputs"] = float(np.mean(classifier.predict(outputs)
                                                             == labels))
    scores["classifier_accuracy_on_targets"] = classifier.test_accuracy
    if len(test) >= 2:  # a covariance needs two items
        scores["frechet_distance"] = frechet_distance(
            *gaussian_stats(classifier.features(outputs)),
            *gaussian_stats(classifier.features(targets)))
        scores["features"] = (f"label classifier, penultimate layer "
                              f"({classifier.feature_dim} units)")
    return scores


__all__ = ["translate_items", "translation_scores"]
