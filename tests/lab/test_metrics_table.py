"""The metrics table's rows built from an ``evaluate_model`` result."""

from __future__ import annotations

from typing import Any

from latentlab.lab.metrics_table import rows_from_evaluation


def result(quality: dict[str, Any]) -> dict[str, Any]:
    pca = {"method": "PCA of pixels", "knn1": 0.5, "knn5": 0.6, "trustworthiness": 0.8}
    codes = {"method": "codes", "knn1": 0.7, "knn5": 0.75, "trustworthiness": 0.9}
    return {"maps": {"latent": codes, "pca": pca}, "infogan": None, "sample_quality": quality,
            "reconstruction_sse_per_image": {"model": 20.0, "pca": 30.0, "pca_components": 2}}


def test_the_model_row_carries_the_sample_fd_and_its_floor() -> None:
    quality = {"frechet_distance": 12.5, "frechet_distance_train_vs_test": 0.9, "samples": 5000,
               "sampling": "prior"}
    baseline, model = rows_from_evaluation(result(quality), "VAE")
    assert baseline.sample_fd is None and model.sample_fd == 12.5
    assert model.note == ("sample FD: 5,000 samples (prior); real train images score 0.900, "
                          "the floor")


def test_without_a_sample_fd_the_note_says_why() -> None:
    quality = {"frechet_distance": None, "frechet_distance_train_vs_test": None,
               "note": "news has no labels: the classifier is trained on them"}
    _, model = rows_from_evaluation(result(quality), "AE")
    assert model.sample_fd is None
    assert model.note == "no sample FD: news has no labels: the classifier is trained on them"
