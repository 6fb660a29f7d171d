"""Sample quality as one number: the Fréchet distance between real and generated images.

The FID of Heusel et al. (2017) with a small network in place of Inception: both sets of images
go through the label classifier that judges mode coverage (``gan.LabelClassifier``), a Gaussian
is fitted to each set's penultimate-layer features, and the distance between the two Gaussians
is reported. Lower is better; real train images against the real test images give the floor a
perfect generator would reach with as many items.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from latentlab.core.data.dataset import Dataset
from latentlab.core.evaluation.gan import _BATCH, LabelClassifier
from latentlab.core.evaluation.model import model_codes, model_device
from latentlab.core.models.base import LatentModel

#: Decoder inputs for ``n`` samples drawn with ``generator`` (on the CPU).
CodeSampler = Callable[[int, torch.Generator], torch.Tensor]
PRIOR = "prior"
CODE_GAUSSIAN = "Gaussian fitted to the train codes"


@dataclass(frozen=True)
class SampleQuality:
    """The Fréchet distance of generated images to the test split, and its floor: the train
    split's first ``real_items`` images against the same test split."""

    frechet_distance: float
    train_vs_test: float
    sampling: str  # PRIOR or CODE_GAUSSIAN
    samples: int
    real_items: int
    feature_dim: int


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (unbiased, rows are items) of N×D ``features``, in float64."""
    features = np.asarray(features, np.float64).reshape(len(features), -1)
    return features.mean(0), np.atleast_2d(np.cov(features, rowvar=False))


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """The symmetric square root of a positive semi-definite matrix (rounding's tiny negative
    eigenvalues clipped to 0)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray,
                     cov2: np.ndarray) -> float:
    """‖μ1 − μ2‖² + Tr(Σ1 + Σ2 − 2(Σ1Σ2)^½), the Fréchet (2-Wasserstein) distance squared
    between two Gaussians.

    Tr((Σ1Σ2)^½) equals Tr((√Σ1 Σ2 √Σ1)^½), whose argument is symmetric: its eigenvalues are
    real and non-negative, so no complex square root (scipy's ``sqrtm`` of the non-symmetric
    product) has to be rounded back to the reals. NaN when a statistic is not finite.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    cov1, cov2 = np.atleast_2d(cov1).astype(np.float64), np.atleast_2d(cov2).astype(np.float64)
    if mu1.shape != mu2.shape or cov1.shape != cov2.shape or cov1.shape != (len(mu1),) * 2:
        raise ValueError(f"Fréchet distance: means {mu1.shape} and {mu2.shape} and covariances "
                         f"{cov1.shape} and {cov2.shape} do not describe one space.")
    if not all(np.isfinite(a).all() for a in (mu1, cov1, mu2, cov2)):
        return math.nan  # a diverged generator's NaN images: no distance (eigh would fail)
    root1 = _psd_sqrt(cov1)
    product = root1 @ cov2 @ root1
    cross = np.sqrt(np.clip(np.linalg.eigvalsh((product + product.T) / 2), 0, None)).sum()
    distance = float(np.sum((mu1 - mu2) ** 2) + np.trace(cov1) + np.trace(cov2) - 2 * cross)
    return max(distance, 0.0)  # rounding can leave −1e-12 for equal Gaussians


def sample_quality_problem(data: Dataset) -> str | None:
    """Why the distance cannot be measured on ``data``, or None."""
    if data.kind == "text":
        return (f"{data.name} is text: the label classifier's features are those of images, "
                "so generated documents are not scored")
    if data.labels is None:
        return (f"{data.name} has no labels: the classifier whose features the distance "
                "compares is trained on them")
    if min(len(data.train_indices), len(data.test_indices)) < 2:
        return f"{data.name}: a covariance needs at least two train and two test items"
    return None


def code_gaussian_sampler(codes: np.ndarray) -> CodeSampler:
    """Draws from N(μ, Σ) fitted to ``codes``: an autoencoder has no prior, and this is the
    simplest density that covers where its codes lie."""
    mean, cov = gaussian_stats(codes)
    # Σ^½ rather than a Cholesky factor: collapsed codes have a singular covariance.
    root, mean_t = torch.from_numpy(_psd_sqrt(cov)), torch.from_numpy(mean)

    def draw(n: int, generator: torch.Generator) -> torch.Tensor:
        noise = torch.randn(n, len(mean), generator=generator, dtype=torch.float64)
        return (mean_t + noise @ root).float()

    return draw


def model_sampler(model: LatentModel, data: Dataset,
                  train_codes: np.ndarray | None = None) -> tuple[CodeSampler, str]:
    """How ``model`` generates — its prior (VAE, GAN, InfoGAN), else a Gaussian fitted to the
    train split's codes (``train_codes`` when already computed) — and what that is called."""
    # A throwaway generator: probing must not move the global random state.
    if model.prior_sample(1, torch.Generator()) is not None:
        return model.prior_sample, PRIOR
    if train_codes is None:
        train_codes, _ = model_codes(model, data, data.train_indices)
    return code_gaussian_sampler(train_codes), CODE_GAUSSIAN


@torch.no_grad()
def generated_features(model: LatentModel, classifier: LabelClassifier, sampler: CodeSampler,
                       n_samples: int, seed: int = 0) -> np.ndarray:
    """The classifier's features of ``n_samples`` images decoded from ``sampler``'s draws."""
    model.eval()
    device = model_device(model)
    generator = torch.Generator().manual_seed(seed)
    parts = [classifier.features(model.decode(
                 sampler(min(_BATCH, n_samples - i), generator).to(device)))
             for i in range(0, n_samples, _BATCH)]
    return np.concatenate(parts)


def sample_quality(model: LatentModel, data: Dataset, classifier: LabelClassifier,
                   n_samples: int = 5_000, seed: int = 0,
                   train_codes: np.ndarray | None = None) -> SampleQuality:
    """Draw ``n_samples`` images from ``model`` and measure their Fréchet distance to the test
    split in ``classifier``'s features (fitted on ``data``). ValueError naming the dataset when
    it cannot be measured (``sample_quality_problem``)."""
    problem = sample_quality_problem(data)
    if problem is not None:
        raise ValueError(problem)
    if n_samples < 2:
        raise ValueError(f"{data.name}: a covariance needs at least two generated samples.")
    device = model_device(model)
    test = data.test_indices
    train = data.train_indices[: len(test)]

    def real_stats(indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = torch.from_numpy(data.images(indices)).to(device)
        return gaussian_stats(classifier.features(x))

    test_stats = real_stats(test)
    sampler, sampling = model_sampler(model, data, train_codes)
    fake = generated_features(model, classifier, sampler, n_samples, seed)
    return SampleQuality(
        frechet_distance=frechet_distance(*gaussian_stats(fake), *test_stats),
        train_vs_test=frechet_distance(*real_stats(train), *test_stats),
        sampling=sampling, samples=n_samples, real_items=len(test),
        feature_dim=classifier.feature_dim)


__all__ = [
    "SampleQuality",
    "code_gaussian_sampler",
    "frechet_distance",
    "gaussian_stats",
    "generated_features",
    "model_sampler",
    "sample_quality",
    "sample_quality_problem",
]
