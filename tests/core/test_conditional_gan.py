"""The class-conditional GAN: its inputs, the projection discriminator on hand-made features,
training on labelled batches, and data it refuses (no labels, another class count)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data.builtin import load_builtin
from latentlab.core.data.dataset import Dataset
from latentlab.core.evaluation.model import EvaluationSettings, evaluate_model
from latentlab.core.files.checkpoint import CheckpointMeta, load_checkpoint, save_checkpoint
from latentlab.core.models import ConditionalGAN, build_model
from latentlab.core.models.generator_codes import GeneratorCode
from latentlab.core.training.events import TrainingFinished
from latentlab.core.training.loop import train
from tests.cli_helpers import TINY, one_error_line, run

from ..conftest import blobs_dataset

torch.set_num_threads(1)
CFG = ModelConfig(family="cgan", hidden=(32, 16), noise_dim=6, n_categories=3)


def _model(cfg: ModelConfig = CFG, side: int = 8) -> ConditionalGAN:
    model = build_model(cfg, (1, side, side), seed=0)
    assert isinstance(model, ConditionalGAN)
    return model


def test_inputs_carry_the_class_beside_the_noise() -> None:
    model = _model()
    noise = torch.randn(4, 6)
    classes = torch.tensor([0, 2, 1, 2])
    z = model.generator_input(noise, classes)
    assert z.shape == (4, 6 + 3) and torch.equal(z[:, 6:].argmax(1), classes)
    back_noise, back_classes, continuous = model.split_input(z)
    assert torch.equal(back_noise, noise) and torch.equal(back_classes, classes)
    assert continuous.shape == (4, 0)
    drawn = model.sample_inputs(300, torch.Generator().manual_seed(0))
    assert set(drawn[:, 6:].argmax(1).tolist()) == {0, 1, 2}
    asked = model.class_inputs(torch.full((5,), 1), torch.Generator().manual_seed(0))
    assert (asked[:, 6:].argmax(1) == 1).all()


def test_the_sample_grid_has_a_row_per_class_and_shared_noise_per_column() -> None:
    inputs, rows, cols = _model().grid_inputs(seed=0)
    assert (rows, cols) == (3, 8) and inputs.shape == (24, 9)
    grid = inputs.view(rows, cols, -1)
    assert torch.equal(grid[:, :, 6:].argmax(2), torch.arange(3)[:, None].expand(3, 8))
    assert torch.equal(grid[0, :, :6], grid[2, :, :6])  # the same noise down each column


def test_the_generator_code_steers_the_class() -> None:
    model = _model()
    code = GeneratorCode.from_prior(model, torch.Generator().manual_seed(0))
    assert code.noise.shape == (6,) and code.continuous.shape == (0,)
    inputs = replace(code, category=2).inputs(model)
    assert inputs.shape == (1, 9) and int(inputs[0, 6:].argmax()) == 2
    assert code.map_code(model).shape == (2,)  # the map: a slice of the noise, as for a GAN


def test_the_projection_adds_the_class_embedding_times_ds_features() -> None:
    model = _model().eval()
    x = torch.rand(5, 1, 8, 8) * 2 - 1
    labels = torch.tensor([0, 1, 2, 1, 0])
    with torch.no_grad():
        model.class_embedding.weight.copy_(torch.arange(3 * 16, dtype=torch.float32)
                                           .view(3, 16) / 100)
        plain, features = model.discriminate(x)
        conditional, same = model.discriminate(x, labels)
    expected = plain + (model.class_embedding.weight[labels] * features).sum(1)
    torch.testing.assert_close(conditional, expected)
    assert torch.equal(features, same)


@pytest.mark.parametrize("architecture", ["mlp", "conv"])
def test_training_on_labelled_batches_moves_every_part(architecture: str) -> None:
    cfg = replace(CFG, architecture=architecture, r1=1.0)
    data = blobs_dataset(n=40, side=28)
    model = _model(cfg, side=28)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    events = list(train(model, data, TrainConfig(epochs=1, batch_size=16, device="cpu")))
    assert isinstance(events[-1], TrainingFinished) and events[-1].reason == "completed"
    still = {name for name, p in model.named_parameters() if torch.equal(before[name], p)}
    assert not still, still
    x = torch.from_numpy(data.x[:8])
    terms = model.losses(x, torch.from_numpy(data.labels[:8]))
    assert all(math.isfinite(float(v.detach())) for v in terms.values())
    with pytest.raises(ValueError, match="labelled batches"):
        model.losses(x)


def test_data_without_labels_or_with_another_class_count_is_refused() -> None:
    data = blobs_dataset(n=20)
    unlabelled = Dataset("plain pixels", data.x, None, (), data.is_test)
    with pytest.raises(ValueError, match=r"plain pixels: A conditional GAN .* no labels"):
        list(train(_model(side=16), unlabelled, TrainConfig(epochs=1, device="cpu")))
    five = replace(CFG, n_categories=5)
    problem = _model(five, side=16).data_problem(data)
    assert problem is not None and "3 classes" in problem and "set for 5" in problem


def test_bad_settings_are_named() -> None:
    assert any(p.startswith("Classes:") for p in replace(CFG, n_categories=1).validate())
    assert any(p.startswith("Unrolled D steps:") for p in replace(CFG, unrolled=2).validate())


def test_a_checkpoint_round_trips(tmp_path) -> None:
    model = _model()
    path = tmp_path / "cgan.safetensors"
    meta = CheckpointMeta(model=CFG, train=TrainConfig(), input_shape=(1, 8, 8), epoch=1,
                          data={"name": "blobs"})
    save_checkpoint(path, model, meta)
    loaded = load_checkpoint(path)
    assert isinstance(loaded.model, ConditionalGAN)
    assert "a conditional GAN (MLP, noise 6, 3 classes)" in loaded.meta.describe()
    for (name, p), q in zip(model.state_dict().items(), loaded.model.state_dict().values(),
                            strict=True):
        assert torch.equal(p, q), name


def test_cli_takes_the_class_count_from_the_data_and_refuses_unlabelled_data(
        capsys, tmp_path) -> None:
    code, _, err = run(capsys, "train", "--data", "digits", "--model", "cgan", "--epochs", "1",
                       *TINY, "--out", str(tmp_path / "cgan"), "--quiet")
    assert code == 0, err
    meta = load_checkpoint(tmp_path / "cgan" / "checkpoint.safetensors").meta
    assert meta.model.n_categories == 10
    pixels = tmp_path / "plain.npy"
    np.save(pixels, np.random.default_rng(0).random((30, 8, 8)).astype(np.float32))
    code, _, err = run(capsys, "train", "--data", str(pixels), "--model", "cgan", "--epochs",
                       "1", *TINY, "--out", str(tmp_path / "none"), "--quiet")
    assert code == 2
    one_error_line(err, "plain", "no labels")


def test_evaluate_reads_the_samples_as_the_class_asked_for(capsys, tmp_path) -> None:
    """A conditional GAN whose generator ignores its noise and draws class k as a real image of
    class k scores 1.0; its JSON keeps the GAN keys and adds conditional_accuracy."""
    digits = load_builtin("digits")
    cfg = ModelConfig(family="cgan", hidden=(16,), noise_dim=2, n_categories=10)
    model = build_model(cfg, digits.input_shape, seed=0)
    means = torch.stack([torch.from_numpy(digits.x[digits.labels == k].mean(0))
                         for k in range(10)])

    class ClassMeans(torch.nn.Module):
        def mean(self, z: torch.Tensor) -> torch.Tensor:
            return means[z[:, 2:].argmax(1)]

    model.decoder = ClassMeans()
    settings = EvaluationSettings(mode_samples=200, quality_samples=200, trust_items=100)
    scores = evaluate_model(model, digits, settings)["infogan"]
    assert scores["conditional_accuracy"] > 0.9 and scores["classes_covered"] == 10
    assert scores["category_accuracy"] is None
