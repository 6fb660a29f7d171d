"""The Fréchet distance against scipy and the closed form, and the sample quality that
``evaluate_model`` reports for each kind of generator."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.linalg
import torch

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data import Dataset
from latentlab.core.evaluation.frechet import (
    CODE_GAUSSIAN,
    PRIOR,
    code_gaussian_sampler,
    frechet_distance,
    gaussian_stats,
    sample_quality,
    sample_quality_problem,
)
from latentlab.core.evaluation.gan import LabelClassifier, generated_mode_coverage
from latentlab.core.evaluation.model import EvaluationSettings, evaluate_model
from latentlab.core.models import build_model
from latentlab.core.training.loop import train

torch.set_num_threads(1)

OLD_KEYS = {"schema", "model", "data", "maps", "reconstruction_sse_per_image", "infogan",
            "settings"}
QUALITY_KEYS = {"frechet_distance", "frechet_distance_train_vs_test", "reference", "samples",
                "real_items", "features", "classifier_accuracy", "sampling",
                "conditional_accuracy"}
SETTINGS = EvaluationSettings(trust_items=40, mode_samples=300, classifier_epochs=2,
                              quality_samples=300)


def random_cov(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.normal(size=(d, 2 * d))
    return a @ a.T / (2 * d)


def scipy_frechet(mu1, cov1, mu2, cov2) -> float:
    """The textbook formula, with scipy's general matrix square root."""
    cross = scipy.linalg.sqrtm(cov1 @ cov2).real
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(cov1 + cov2 - 2 * cross))


def test_frechet_distance_of_diagonal_gaussians_has_the_closed_form() -> None:
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.5])
    a, b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    expected = np.sum((np.sqrt(a) - np.sqrt(b)) ** 2) + np.sum((mu1 - mu2) ** 2)
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected)
    assert expected == pytest.approx(4 + 1 + 0 + 1 + 6.25)


def test_frechet_distance_matches_scipy_is_symmetric_and_zero_on_itself() -> None:
    rng = np.random.default_rng(0)
    d = 6
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    cov1, cov2 = random_cov(rng, d), random_cov(rng, d)
    distance = frechet_distance(mu1, cov1, mu2, cov2)
    assert distance == pytest.approx(scipy_frechet(mu1, cov1, mu2, cov2), rel=1e-8)
    assert frechet_distance(mu2, cov2, mu1, cov1) == pytest.approx(distance, rel=1e-10)
    assert frechet_distance(mu1, cov1, mu1, cov1) == pytest.approx(0.0, abs=1e-9)
    # A singular covariance (fewer items than dimensions, as with a small test split) is fine:
    # against a point mass the distance is ‖Δμ‖² + Tr(Σ).
    point = np.zeros((d, d))
    assert frechet_distance(mu1, point, mu2, cov2) == pytest.approx(
        np.sum((mu1 - mu2) ** 2) + np.trace(cov2))
    assert np.isnan(frechet_distance(mu1, cov1 * np.nan, mu2, cov2))
    with pytest.raises(ValueError, match="do not describe one space"):
        frechet_distance(mu1, cov1, mu2[:3], cov2[:3, :3])


def test_gaussian_stats_of_a_known_sample() -> None:
    corners = np.array([[0, 0], [2, 0], [0, 2], [2, 2]], np.float32)
    mu, cov = gaussian_stats(corners)
    np.testing.assert_allclose(mu, [1, 1])
    np.testing.assert_allclose(cov, np.diag([4 / 3, 4 / 3]))  # unbiased: n − 1 = 3
    mu, cov = gaussian_stats(np.arange(4.0)[:, None, None])  # items of any shape, flattened
    assert mu.shape == (1,) and cov.shape == (1, 1) and cov[0, 0] == pytest.approx(5 / 3)


def test_the_code_gaussian_draws_what_it_was_fitted_to() -> None:
    rng = np.random.default_rng(1)
    codes = rng.multivariate_normal([3, -1], [[2, 0.8], [0.8, 0.5]], size=4000)
    draw = code_gaussian_sampler(codes)
    z = draw(4000, torch.Generator().manual_seed(0))
    assert z.dtype == torch.float32 and z.shape == (4000, 2)
    mu, cov = gaussian_stats(z.numpy())
    np.testing.assert_allclose(mu, codes.mean(0), atol=0.06)
    np.testing.assert_allclose(cov, np.cov(codes, rowvar=False), atol=0.08)
    assert torch.equal(draw(5, torch.Generator().manual_seed(3)),
                       draw(5, torch.Generator().manual_seed(3)))  # seeded


@pytest.fixture(scope="module")
def trained_models(tiny_digits: Dataset) -> dict[str, torch.nn.Module]:
    models = {}
    for family in ("ae", "vae", "gan"):
        model = build_model(ModelConfig(family=family, hidden=(32,), noise_dim=4),
                            tiny_digits.input_shape, seed=0)
        for _ in train(model, tiny_digits, TrainConfig(epochs=2, device="cpu")):
            pass
        models[family] = model.eval()
    return models


@pytest.mark.parametrize(("family", "sampling"), [("ae", CODE_GAUSSIAN), ("vae", PRIOR),
                                                  ("gan", PRIOR)])
def test_evaluation_reports_the_sample_quality_of_each_generator(
        trained_models, tiny_digits: Dataset, family: str, sampling: str) -> None:
    result = evaluate_model(trained_models[family], tiny_digits, SETTINGS)
    json.dumps(result, allow_nan=False)
    assert set(result) == OLD_KEYS | {"sample_quality", "translation", "cycle"}
    assert result["schema"] == 1 and result["cycle"] is None
    quality = result["sample_quality"]
    assert set(quality) == QUALITY_KEYS
    assert np.isfinite(quality["frechet_distance"]) and quality["frechet_distance"] >= 0
    assert 0 <= quality["frechet_distance_train_vs_test"] < quality["frechet_distance"]
    assert quality["sampling"] == sampling and quality["samples"] == 300
    assert quality["real_items"] == len(tiny_digits.test_indices) == 60
    assert quality["reference"] == "test split"
    assert quality["features"] == "label classifier, penultimate layer (256 units)"
    assert 0 < quality["classifier_accuracy"] <= 1
    if family == "gan":
        # The shared classifier gives the GAN scores they had with a classifier of their own.
        gan = result["infogan"]
        assert set(gan) == {"category_accuracy", "classes_covered", "class_kl",
                            "classifier_accuracy", "conditional_accuracy", "samples",
                            "n_classes"}
        own = LabelClassifier.fit(tiny_digits, epochs=2)
        coverage = generated_mode_coverage(trained_models["gan"], own, 10, 300)
        assert (gan["classes_covered"], gan["class_kl"]) == (coverage.classes_covered,
                                                              coverage.class_kl)
        assert gan["classifier_accuracy"] == quality["classifier_accuracy"] == own.test_accuracy


def test_sample_quality_is_seeded(trained_models, tiny_digits: Dataset) -> None:
    classifier = LabelClassifier.fit(tiny_digits, epochs=1)
    vae = trained_models["vae"]
    first = sample_quality(vae, tiny_digits, classifier, n_samples=50, seed=4)
    assert sample_quality(vae, tiny_digits, classifier, n_samples=50, seed=4) == first
    assert sample_quality(vae, tiny_digits, classifier, n_samples=50, seed=5) != first
    features = classifier.features(torch.from_numpy(tiny_digits.x[:3]))
    assert features.shape == (3, classifier.feature_dim) and np.all(features >= 0)  # ReLU


def test_data_without_labels_or_text_has_no_sample_quality(trained_models,
                                                           tiny_digits: Dataset) -> None:
    unlabelled = Dataset("no labels", tiny_digits.x, None, (), tiny_digits.is_test)
    result = evaluate_model(trained_models["ae"], unlabelled, SETTINGS)
    quality = result["sample_quality"]
    assert quality["frechet_distance"] is None and quality["sampling"] is None
    assert quality["note"].startswith("no labels has no labels")
    assert result["infogan"] is None and result["maps"]["latent"]["knn1"] is None
    words = np.full((4, 1, 1, 3), 1 / 3, np.float32)
    text = Dataset("tiny text", words, np.array([0, 1, 0, 1]), ("a", "b"),
                   np.array([False, False, True, True]), vocabulary=("x", "y", "z"))
    assert sample_quality_problem(text).startswith("tiny text is text")
    with pytest.raises(ValueError, match="tiny text is text"):
        sample_quality(trained_models["ae"], text, LabelClassifier.fit(text, epochs=1))
