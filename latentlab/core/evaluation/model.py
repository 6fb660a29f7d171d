"""The lecture's comparison as numbers: a model's 2-D map and reconstructions against PCA's.

``evaluate_model`` scores a trained model on a dataset's held-out split and returns a JSON-ready
dict (the command line prints it; a metrics panel can show it):

- **maps**: the model's map (the codes for a 2-D code, else the PCA of the codes, as the GUI
  shows it) and the linear baseline (PCA of the pixels; LSA of TF-IDF for text). Each gets the
  k-NN accuracy of its coordinates (fit on the train split, scored on the test split) and the
  trustworthiness of its neighbourhoods (on the test split, subsampled when large).
- **reconstruction_sse_per_image**: sum of squared errors over the pixels (or word
  probabilities), mean over the test split, for the model and for PCA (LSA) with as many
  components as the model has code dimensions.
- **infogan** (GANs): Q's categorical code scored against the labels (Hungarian matching) and
  the mode coverage of generated samples, judged by a small classifier of the labels.
- **sample_quality** (every model that generates; None-valued with a note for pix2pix, which
  translates): the Fréchet distance between generated images and the test split in that
  classifier's penultimate-layer features (``frechet``), beside the distance of the train
  split's real images as a floor.
- **translation** (pix2pix; None for the others): the L1 error of its translations of the test
  split's task inputs, and how the classifier reads them (``translation``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from latentlab.config import CONDITIONAL_FAMILIES
from latentlab.core.data.dataset import Dataset
from latentlab.core.evaluation.gan import (
    LabelClassifier,
    category_accuracy,
    conditional_accuracy,
    generated_mode_coverage,
)
from latentlab.core.evaluation.metrics import (
    knn_accuracy,
    reconstruction_sse,
    subsample,
    trustworthiness,
)
from latentlab.core.maps.linear import PCA, LatentMap, RandomizedPCA, TfidfLSA
from latentlab.core.models.base import LatentModel
from latentlab.core.models.conditional import ConditionalGAN
from latentlab.core.models.conditional_vae import ConditionalVAE
from latentlab.core.models.cyclegan import CycleGAN
from latentlab.core.models.gan import GAN, InfoGAN
from latentlab.core.models.pix2pix import Pix2Pix
from latentlab.core.training.views import encoder_labels, infer_all

SCHEMA_VERSION = 1
KNN_KS = (1, 5)
#: Above this many input dimensions the eigen-decomposition PCA gets slow: use a randomized SVD.
_EIGH_MAX_DIMS = 4096
_BATCH = 1024


@dataclass(frozen=True)
class EvaluationSettings:
    #: Neighbours for trustworthiness (scikit-learn's default).
    trust_neighbors: int = 5
    #: Trustworthiness compares all pairwise distances: above this many test items, a seeded
    #: subsample of them is scored (the result says so).
    trust_items: int = 2000
    #: Generated samples classified for mode coverage (GANs).
    mode_samples: int = 10_000
    #: Epochs of the label classifier that judges generated samples.
    classifier_epochs: int = 8
    #: Generated samples whose features the Fréchet distance compares with the test split's.
    quality_samples: int = 5_000
    seed: int = 0


def linear_baseline(data: Dataset, n_components: int, seed: int = 0) -> tuple[Any, str]:
    """The linear counterpart of a model with ``n_components`` code dimensions, unfitted, and
    its name: LSA of TF-IDF for text, PCA of the pixels for images."""
    if data.kind == "text":
        return TfidfLSA(n_components, seed=seed), "LSA of TF-IDF"
    dims = int(np.prod(data.input_shape))
    if dims > _EIGH_MAX_DIMS:
        return RandomizedPCA(n_components, seed), "PCA of pixels"
    return PCA(n_components), "PCA of pixels"


def code_dim(model: LatentModel) -> int | None:
    """Dimensions of the codes a model's map shows (None for a GAN without an encoder)."""
    if not model.has_encoder:
        return None
    if isinstance(model, InfoGAN):
        return model.cfg.n_continuous
    return model.cfg.latent_dim


def latent_map_method(model: LatentModel) -> str:
    dim = code_dim(model)
    prefix = "Q's continuous codes" if isinstance(model, InfoGAN) else "codes"
    if dim is not None and dim > 2:
        return f"PCA of {prefix}"
    return prefix


def model_device(model: LatentModel) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def model_codes(model: LatentModel, data: Dataset, indices: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray | None]:
    """Codes of ``data``'s items at ``indices`` (all by default; a conditional VAE encodes each
    with its class) and Q's categories for an InfoGAN (else None)."""
    model.eval()
    indices = np.arange(data.n) if indices is None else indices
    device = model_device(model)
    labels = encoder_labels(model, data, indices)
    return infer_all(model, torch.from_numpy(data.images(indices)).to(device),
                     None if labels is None else torch.from_numpy(labels).to(device), _BATCH)


@torch.no_grad()
def model_reconstructions(model: LatentModel, data: Dataset, indices: np.ndarray) -> np.ndarray:
    """Reconstructions of ``data``'s items at ``indices`` (numpy, in the items' shape)."""
    model.eval()
    device = model_device(model)
    labels = encoder_labels(model, data, indices)
    parts = []
    for i in range(0, len(indices), _BATCH):
        rows = indices[i : i + _BATCH]
        y = None if labels is None else torch.from_numpy(labels[i : i + _BATCH]).to(device)
        x = torch.from_numpy(data.images(rows)).to(device)
        parts.append(model.reconstruct(x, y).cpu().numpy())
    return np.concatenate(parts)


def fit_latent_map(model: LatentModel, train_codes: np.ndarray) -> LatentMap:
    """The map the GUI shows for these codes, its PCA (for codes above 2-D) fitted on the train
    split's codes."""
    latent_map = LatentMap(train_codes.shape[1])
    latent_map.refit(train_codes)
    return latent_map


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _score_map(method: str, train_xy: np.ndarray, test_xy: np.ndarray,
               train_labels: np.ndarray | None, test_labels: np.ndarray | None,
               x_test: np.ndarray, trust_rows: np.ndarray, settings: EvaluationSettings
               ) -> dict[str, Any]:
    scores: dict[str, Any] = {"method": method}
    for k in KNN_KS:
        if train_labels is None or test_labels is None or len(train_xy) < k:
            scores[f"knn{k}"] = None
        else:
            scores[f"knn{k}"] = knn_accuracy(train_xy, train_labels, test_xy, test_labels, k)
    if len(trust_rows) > 2 * settings.trust_neighbors:
        scores["trustworthiness"] = _finite(trustworthiness(
            x_test[trust_rows], test_xy[trust_rows], settings.trust_neighbors))
    else:
        scores["trustworthiness"] = None
    return scores


def score_map(method: str, coords: np.ndarray, items: np.ndarray, data: Dataset,
              settings: EvaluationSettings | None = None) -> dict[str, Any]:
    """Score a map already made of the dataset's ``items`` (one per row of ``coords``), such as
    a UMAP or t-SNE fitted on train and test items together (t-SNE cannot place new items):
    k-NN fit on the train items' coordinates and scored on the test items', trustworthiness of
    the test items' coordinates against their inputs. ValueError if the map has no test item."""
    settings = settings or EvaluationSettings()
    items = np.asarray(items, np.int64)
    coords = np.asarray(coords, np.float64).reshape(len(items), 2)
    is_test = data.is_test[items]
    test_items, train_items = items[is_test], items[~is_test]
    if len(test_items) == 0:
        raise ValueError(f"{data.name}: the map has no test item to score.")
    labels = data.labels
    x_test = data.images(test_items).reshape(len(test_items), -1)
    trust_rows = subsample(len(test_items), settings.trust_items, settings.seed)
    scores = _score_map(method, coords[~is_test], coords[is_test],
                        None if labels is None else labels[train_items],
                        None if labels is None else labels[test_items], x_test, trust_rows,
                        settings)
    scores.update(train_items=len(train_items), test_items=len(test_items),
                  trustworthiness_items=len(trust_rows))
    return scores


def _describe_model(model: LatentModel) -> dict[str, Any]:
    cfg = model.cfg
    described: dict[str, Any] = {
        "family": cfg.family,
        "architecture": cfg.architecture,
        "code_dim": code_dim(model),
        "parameters": int(sum(p.numel() for p in model.parameters())),
    }
    if isinstance(model, Pix2Pix):
        described.update(architecture="U-Net generator, PatchGAN discriminator",
                         task=cfg.task, l1_weight=cfg.l1_weight, adversarial=cfg.adversarial)
    elif not cfg.is_gan:
        described["latent_dim"] = cfg.latent_dim
    if cfg.family in ("vae", "cvae") or cfg.likelihood == "multinomial":
        described["likelihood"] = cfg.likelihood  # an image AE's loss is the SSE
    if cfg.family in ("vae", "cvae"):
        described["beta"] = cfg.beta
    if cfg.is_gan:
        described["noise_dim"] = cfg.noise_dim
    if cfg.family in ("infogan", *CONDITIONAL_FAMILIES):
        described["n_categories"] = cfg.n_categories
        described["n_continuous"] = cfg.n_continuous
    return described


def _describe_data(data: Dataset) -> dict[str, Any]:
    return {
        "name": data.name,
        "kind": data.kind,
        "input_shape": list(data.input_shape),
        "n_train": len(data.train_indices),
        "n_test": len(data.test_indices),
        "n_classes": len(data.class_names) if data.labels is not None else None,
    }


def _label_classifier(model: LatentModel, data: Dataset,
                      settings: EvaluationSettings) -> LabelClassifier | None:
    """The classifier of the labels that judges generated images, fitted once for the GAN
    scores, the sample quality and the translation scores; None when none uses it."""
    from latentlab.core.evaluation.frechet import sample_quality_problem

    if data.labels is None or isinstance(model, CycleGAN) or (
            not isinstance(model, GAN | Pix2Pix) and sample_quality_problem(data) is not None):
        return None  # a CycleGAN's classifier is domain B's own (``evaluation.cycle``)
    return LabelClassifier.fit(data, epochs=settings.classifier_epochs, seed=settings.seed,
                               device=model_device(model))


def _gan_scores(model: GAN, data: Dataset, classifier: LabelClassifier | None,
                settings: EvaluationSettings) -> dict[str, Any]:
    scores: dict[str, Any] = {"category_accuracy": None, "classes_covered": None,
                              "class_kl": None, "classifier_accuracy": None,
                              "conditional_accuracy": None, "samples": settings.mode_samples}
    if classifier is None:  # fitted whenever the data has labels
        scores["note"] = "the dataset has no labels: nothing to score against"
        return scores
    if isinstance(model, InfoGAN):
        scores["category_accuracy"] = category_accuracy(model, data)
    if isinstance(model, ConditionalGAN):
        scores["conditional_accuracy"] = conditional_accuracy(model, classifier,
                                                              settings.mode_samples,
                                                              settings.seed)
    coverage = generated_mode_coverage(model, classifier, len(data.class_names),
                                       settings.mode_samples, settings.seed)
    scores.update(classes_covered=coverage.classes_covered, class_kl=coverage.class_kl,
                  classifier_accuracy=_finite(classifier.test_accuracy),
                  n_classes=len(data.class_names))
    return scores


def _sample_quality(model: LatentModel, data: Dataset, classifier: LabelClassifier | None,
                    train_codes: np.ndarray | None, settings: EvaluationSettings
                    ) -> dict[str, Any]:
    from latentlab.core.evaluation.frechet import sample_quality, sample_quality_problem

    scores: dict[str, Any] = {"frechet_distance": None, "frechet_distance_train_vs_test": None,
                              "reference": "test split", "samples": settings.quality_samples,
                              "real_items": len(data.test_indices), "features": None,
                              "classifier_accuracy": None, "sampling": None,
                              "conditional_accuracy": None}
    problem = ("pix2pix translates given images and draws none: see its translation scores"
               if isinstance(model, Pix2Pix) else
               "CycleGAN translates given images and draws none: see its cycle scores"
               if isinstance(model, CycleGAN) else sample_quality_problem(data))
    if problem is not None:
        scores["note"] = problem
        return scores
    assert classifier is not None  # fitted whenever there is no problem
    quality = sample_quality(model, data, classifier, settings.quality_samples, settings.seed,
                             train_codes)
    scores.update(frechet_distance=_finite(quality.frechet_distance),
                  frechet_distance_train_vs_test=_finite(quality.train_vs_test),
                  features=f"label classifier, penultimate layer ({quality.feature_dim} units)",
                  classifier_accuracy=_finite(classifier.test_accuracy),
                  sampling=quality.sampling)
    if isinstance(model, ConditionalVAE):  # a conditional GAN's is its GAN scores' (below)
        scores["conditional_accuracy"] = _finite(conditional_accuracy(
            model, classifier, settings.mode_samples, settings.seed))
    if scores["frechet_distance"] is None:
        scores["note"] = f"{data.name}: the generated images are not finite numbers"
    return scores


def evaluate_model(model: LatentModel, data: Dataset,
                   settings: EvaluationSettings | None = None) -> dict[str, Any]:
    """Score ``model`` on ``data``'s test split against the linear baseline (module docstring).

    Runs on the device the model is on. Raises ValueError when the data has no train or no test
    split. Keys whose metric does not apply (no labels; no encoder; a GAN's reconstruction) hold
    None.
    """
    from latentlab.core.evaluation.cycle import cycle_scores
    from latentlab.core.evaluation.translation import translation_scores

    settings = settings or EvaluationSettings()
    train_idx, test_idx = data.train_indices, data.test_indices
    if len(test_idx) == 0:
        raise ValueError(f"{data.name}: the dataset has no test split to score on.")
    if len(train_idx) < 2:
        raise ValueError(f"{data.name}: the train split needs at least two items.")
    x_train, x_test = data.images(train_idx), data.images(test_idx)
    flat_train, flat_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
    trust_rows = subsample(len(test_idx), settings.trust_items, settings.seed)

    baseline, baseline_name = linear_baseline(data, 2, settings.seed)
    baseline.fit(flat_train)
    labels = data.labels
    train_labels = None if labels is None else labels[train_idx]
    test_labels = None if labels is None else labels[test_idx]
    maps: dict[str, Any] = {
        "latent": None,
        "pca": _score_map(baseline_name, baseline.transform(flat_train),
                          baseline.transform(flat_test), train_labels, test_labels, flat_test,
                          trust_rows, settings),
    }
    train_codes = None
    if model.has_encoder:
        train_codes, _ = model_codes(model, data, train_idx)
        test_codes, _ = model_codes(model, data, test_idx)
        latent_map = fit_latent_map(model, train_codes)
        maps["latent"] = _score_map(latent_map_method(model), latent_map.transform(train_codes),
                                    latent_map.transform(test_codes), train_labels,
                                    test_labels, flat_test, trust_rows, settings)

    reconstruction = None
    if model.reconstructs:
        k = model.cfg.latent_dim
        linear, linear_name = linear_baseline(data, k, settings.seed)
        linear.fit(flat_train)
        reconstruction = {
            "model": reconstruction_sse(flat_test, model_reconstructions(model, data, test_idx)),
            "pca": reconstruction_sse(flat_test,
                                      linear.inverse_transform(linear.transform(flat_test))),
            "pca_method": linear_name,
            "pca_components": k,
        }

    classifier = _label_classifier(model, data, settings)
    gan_scores = (_gan_scores(model, data, classifier, settings) if isinstance(model, GAN)
                  else None)
    quality = _sample_quality(model, data, classifier, train_codes, settings)
    if gan_scores is not None and quality["frechet_distance"] is not None:
        quality["conditional_accuracy"] = gan_scores["conditional_accuracy"]
    return {
        "schema": SCHEMA_VERSION,
        "model": _describe_model(model),
        "data": _describe_data(data),
        "maps": maps,
        "reconstruction_sse_per_image": reconstruction,
        "infogan": gan_scores,
        "sample_quality": quality,
        "translation": (translation_scores(model, data, classifier)
                        if isinstance(model, Pix2Pix) else None),
        "cycle": cycle_scores(model, data) if isinstance(model, CycleGAN) else None,
        "settings": {
            "knn": "fit on the train split's map coordinates, scored on the test split",
            "trustworthiness_neighbors": settings.trust_neighbors,
            "trustworthiness_items": len(trust_rows),
            "trustworthiness_subsampled": bool(len(trust_rows) < len(test_idx)),
            "test_items": len(test_idx),
        },
    }


__all__ = [
    "SCHEMA_VERSION",
    "EvaluationSettings",
    "code_dim",
    "evaluate_model",
    "fit_latent_map",
    "latent_map_method",
    "linear_baseline",
    "model_codes",
    "model_reconstructions",
    "score_map",
]
