"""Scoring an unpaired translator (CycleGAN) on each domain's test items.

- ``cycle_l1_a`` / ``cycle_l1_b``: mean absolute error per pixel (images in [0, 1]) of
  F(G(a)) against a and G(F(b)) against b — does the round trip bring an item back? — and
  ``identity_l1``: G(b) against b and F(a) against a.
- **Label preservation**, when both domains have labels: a classifier of B's labels, trained on
  B's train items (``gan.LabelClassifier``), reads A's test items translated to B
  (``label_preservation``) and as they are (``no_adaptation``: the baseline without
  translation), over the classes B has; ``classifier_accuracy_on_b`` is its accuracy on B's
  own test items. Does a translated "7" still read as a 7, and better than an untranslated one?
- ``frechet_distance``: translated A items against B's test items in that classifier's
  penultimate-layer features (lower: the translations look like B's items as a whole).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from latentlab.core.data.dataset import Dataset
from latentlab.core.data.domains import domain_rows
from latentlab.core.evaluation.frechet import frechet_distance, gaussian_stats
from latentlab.core.evaluation.gan import LabelClassifier
from latentlab.core.evaluation.model import model_device
from latentlab.core.models.cyclegan import DOMAIN_A, DOMAIN_B, CycleGAN

_BATCH = 512


@torch.no_grad()
def translate_all(model: CycleGAN, x: np.ndarray, direction: str) -> torch.Tensor:
    """``x`` translated in ``direction`` (eval mode), on the model's device, in [0, 1]."""
    model.eval()
    device = model_device(model)
    return torch.cat([model.translate(torch.from_numpy(x[i : i + _BATCH]).to(device), direction)
                      for i in range(0, len(x), _BATCH)])


def _mean_abs_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().mean(dtype=torch.float64))


def domain_dataset(data: Dataset, domain: int) -> Dataset:
    """One domain's items, with their split and labels, as a dataset of their own."""
    rows = domain_rows(data, domain)
    side = "A" if domain == DOMAIN_A else "B"
    return Dataset(name=f"{data.name} (domain {side})", x=np.ascontiguousarray(data.x[rows]),
                   labels=None if data.labels is None else data.labels[rows],
                   class_names=data.class_names, is_test=data.is_test[rows])


def label_preservation(model: CycleGAN, data: Dataset, translated_a: torch.Tensor,
                       classifier_epochs: int = 8, seed: int = 0) -> dict[str, Any]:
    """The B classifier's reading of A's test items, translated and not (module docstring)."""
    scores: dict[str, Any] = {"label_preservation": None, "no_adaptation": None,
                              "classifier_accuracy_on_b": None, "frechet_distance": None,
                              "scored_items": 0}
    if data.labels is None:
        scores["note"] = f"{data.name}: the domains have no labels to preserve"
        return scores
    b = domain_dataset(data, DOMAIN_B)
    if len(b.train_indices) < 2 or len(b.test_indices) < 2:
        scores["note"] = f"{data.name}: domain B needs train and test items for its classifier"
        return scores
    a_test = domain_rows(data, DOMAIN_A, test=True)
    b_classes = np.unique(b.labels)
    shared = np.isin(data.labels[a_test], b_classes)
    if not shared.any():
        scores["note"] = f"{data.name}: domain A's test items have none of domain B's classes"
        return scores
    classifier = LabelClassifier.fit(b, epochs=classifier_epochs, seed=seed,
                                     device=model_device(model))
    truth = data.labels[a_test][shared]
    device = model_device(model)
    original = torch.from_numpy(data.images(a_test[shared])).to(device)
    scores.update(
        label_preservation=float(np.mean(classifier.predict(translated_a[shared]) == truth)),
        no_adaptation=float(np.mean(classifier.predict(original) == truth)),
        classifier_accuracy_on_b=classifier.test_accuracy, scored_items=int(shared.sum()))
    real_b = torch.from_numpy(b.images(b.test_indices)).to(device)
    scores["frechet_distance"] = frechet_distance(
        *gaussian_stats(classifier.features(translated_a)),
        *gaussian_stats(classifier.features(real_b)))
    return scores


def cycle_scores(model: CycleGAN, data: Dataset, classifier_epochs: int = 8,
                 seed: int = 0) -> dict[str, Any]:
    """Every score of the module docstring on ``data``'s test items of each domain."""
    if data.domains is None:
        raise ValueError(f"{data.name}: a CycleGAN is scored on a dataset of two domains.")
    a = data.images(domain_rows(data, DOMAIN_A, test=True))
    b = data.images(domain_rows(data, DOMAIN_B, test=True))
    if len(a) == 0 or len(b) == 0:
        raise ValueError(f"{data.name}: each domain needs test items to score on.")
    device = model_device(model)
    real_a, real_b = torch.from_numpy(a).to(device), torch.from_numpy(b).to(device)
    a_to_b, b_to_a = translate_all(model, a, "a_to_b"), translate_all(model, b, "b_to_a")
    back_a = translate_all(model, a_to_b.cpu().numpy(), "b_to_a")
    back_b = translate_all(model, b_to_a.cpu().numpy(), "a_to_b")
    identity = (_mean_abs_error(translate_all(model, b, "a_to_b"), real_b)
                + _mean_abs_error(translate_all(model, a, "b_to_a"), real_a)) / 2
    return {"items_a": len(a), "items_b": len(b),
            "cycle_l1_a": _mean_abs_error(back_a, real_a),
            "cycle_l1_b": _mean_abs_error(back_b, real_b),
            "identity_l1": identity,
            **label_preservation(model, data, a_to_b, classifier_epochs, seed)}


__all__ = ["cycle_scores", "domain_dataset", "label_preservation", "translate_all"]
