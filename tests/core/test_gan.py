from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data import Dataset
from latentlab.core.evaluation.gan import (
    LabelClassifier,
    category_accuracy,
    generated_mode_coverage,
)
from latentlab.core.evaluation.metrics import hungarian_accuracy, mode_coverage
from latentlab.core.files.images import save_png, tile_images
from latentlab.core.models import GAN, InfoGAN, build_model
from latentlab.core.models.gan import discriminator_loss, generator_loss
from latentlab.core.models.generator_codes import GeneratorCode, traversal_inputs
from latentlab.core.training.events import EpochEnded, Snapshot, TrainingFailed, TrainingFinished
from latentlab.core.training.loop import _evenly_spaced, train
from latentlab.core.training.views import LiveItems, infer_all

from ..conftest import blobs_dataset

GAN_SHAPES = {"mlp": [(1, 8, 8), (3, 32, 32)], "conv": [(1, 28, 28), (3, 32, 32)]}


@pytest.mark.parametrize("family", ["gan", "infogan"])
@pytest.mark.parametrize("architecture", ["mlp", "conv"])
def test_shapes_and_a_few_training_steps(family: str, architecture: str) -> None:
    for shape in GAN_SHAPES[architecture]:
        cfg = ModelConfig(family=family, architecture=architecture, hidden=(32, 16), noise_dim=8,
                          n_categories=3, n_continuous=2)
        model = build_model(cfg, shape, seed=0)
        assert isinstance(model, GAN)
        z = model.sample_inputs(4)
        assert z.shape == (4, model.input_dim)
        images = model.decode(z)
        assert images.shape == (4, *shape)
        assert images.min() >= 0 and images.max() <= 1  # the views' range, not Tanh's
        x = torch.rand(6, *shape)
        optimizers = model.make_optimizers(TrainConfig())
        before = [p.detach().clone() for p in model.parameters()]
        terms = model.train_step(x, optimizers)
        assert set(terms) == set(model.loss_terms) and all(map(math.isfinite, terms.values()))
        assert all(0 <= terms[k] <= 1 for k in ("d_real", "d_fake"))
        changed = [not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True)]
        assert all(changed), "every parameter (D, G and Q) takes part in a step"
        held_out = model.losses(x)
        assert set(held_out) == set(model.loss_terms)
        if family == "infogan":
            assert model.embed(x).shape == (6, 2)
            assert model.predict_category(x).shape == (6,)
        else:
            with pytest.raises(TypeError, match="no encoder"):
                model.embed(x)


def test_discriminator_and_generator_losses_follow_their_formulas() -> None:
    real = torch.tensor([2.0, -1.0, 0.5])
    fake = torch.tensor([-3.0, 0.0, 1.5])
    d_real, d_fake = torch.sigmoid(real), torch.sigmoid(fake)
    expected_d = -torch.log(d_real).mean() - torch.log(1 - d_fake).mean()
    assert torch.allclose(discriminator_loss(real, fake), expected_d)
    # Saturating: minimise log(1 − D(G(z))); non-saturating: minimise −log D(G(z)).
    assert torch.allclose(generator_loss(fake, "saturating"), torch.log(1 - d_fake).mean())
    assert torch.allclose(generator_loss(fake, "non_saturating"), -torch.log(d_fake).mean())
    with pytest.raises(ValueError, match="Unknown generator loss"):
        generator_loss(fake, "wgan_clip")  # the 2-D lab's, not the image GANs'


def test_saturating_loss_gradient_vanishes_where_d_rejects_samples() -> None:
    """The reason for the heuristic: when D(G(z)) ≈ 0 the saturating gradient is tiny."""
    logits = torch.tensor([-8.0], requires_grad=True)
    (sat,) = torch.autograd.grad(generator_loss(logits, "saturating"), logits)
    logits = torch.tensor([-8.0], requires_grad=True)
    (non_sat,) = torch.autograd.grad(generator_loss(logits, "non_saturating"), logits)
    assert abs(sat.item()) < 1e-3 < abs(non_sat.item())


class PlantedGenerator(nn.Module):
    """Draws a horizontal bar whose row is the categorical code: the code is planted in x."""

    def __init__(self, noise_dim: int, n_categories: int) -> None:
        super().__init__()
        self.codes = slice(noise_dim, noise_dim + n_categories)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        category = z[:, self.codes].argmax(1)
        images = torch.full((len(z), 1, 8, 8), -1.0)
        for i, k in enumerate(category.tolist()):
            images[i, 0, 2 * k : 2 * k + 2] = 1.0
        return images + 0.05 * torch.randn_like(images)

    def mean(self, z: torch.Tensor) -> torch.Tensor:
        return (self(z) + 1) / 2


def test_q_recovers_a_planted_categorical_code() -> None:
    torch.manual_seed(0)
    cfg = ModelConfig(family="infogan", hidden=(64, 32), noise_dim=4, n_categories=4,
                      n_continuous=1)
    model = build_model(cfg, (1, 8, 8), seed=0)
    assert isinstance(model, InfoGAN)
    # The planted generator has no weights: only Q (and D) learn.
    model.decoder = PlantedGenerator(cfg.noise_dim, cfg.n_categories)
    optimizers = model.make_optimizers(TrainConfig())
    x = torch.rand(32, 1, 8, 8)
    infos = [model.train_step(x, optimizers)["info"] for _ in range(150)]
    assert infos[-1] > 0.9 * math.log(4) > infos[0]  # the bound rises towards ln K
    model.eval()
    inputs = model.sample_inputs(200, torch.Generator().manual_seed(1))
    _, planted, _ = model.split_input(inputs)
    with torch.no_grad():
        predicted = model.predict_category(model.decode(inputs))
    assert torch.equal(predicted, planted)


def test_hungarian_accuracy_matches_relabelled_clusters() -> None:
    labels = np.array([0, 0, 1, 1, 2, 2, 2])
    assert hungarian_accuracy(np.array([2, 2, 0, 0, 1, 1, 1]), labels) == 1.0
    assert hungarian_accuracy(np.array([2, 2, 0, 0, 1, 1, 0]), labels) == pytest.approx(6 / 7)
    # More clusters than labels: the extra cluster matches nothing.
    assert hungarian_accuracy(np.array([0, 0, 1, 1, 2, 2, 3]), labels) == pytest.approx(6 / 7)


def test_mode_coverage_counts_classes_and_kl_from_uniform() -> None:
    balanced = mode_coverage(np.repeat(np.arange(10), 100), 10)
    assert balanced.classes_covered == 10 and balanced.class_kl == pytest.approx(0.0)
    collapsed = mode_coverage(np.zeros(1000, int), 10)
    assert collapsed.classes_covered == 1 and collapsed.class_kl == pytest.approx(math.log(10))
    two = mode_coverage(np.array([0] * 500 + [1] * 500 + [2] * 3), 10)
    assert two.classes_covered == 2  # three stray samples do not make a mode


def test_gan_trains_in_the_loop_with_live_samples_and_info_codes(digits: Dataset) -> None:
    cfg = ModelConfig(family="infogan", hidden=(64, 32), noise_dim=8)
    model = build_model(cfg, digits.input_shape, seed=0)
    live = LiveItems(np.arange(50), np.arange(8))
    events = list(train(model, digits, TrainConfig(epochs=2, snapshot_interval_s=1e-9), None,
                        live))
    assert isinstance(events[-1], TrainingFinished)
    epochs = [e for e in events if isinstance(e, EpochEnded)]
    assert set(epochs[-1].train) == set(InfoGAN.loss_terms) == set(epochs[-1].test)
    # The categorical code is scored live against the labels on the held-out items.
    held_out = _evenly_spaced(digits.test_indices, TrainConfig().eval_items)
    model.eval()
    categories = infer_all(model, torch.from_numpy(digits.x[held_out]))[1]
    assert epochs[-1].scores == {
        "category_accuracy": hungarian_accuracy(categories, digits.labels[held_out])}
    last = [e for e in events if isinstance(e, Snapshot)][-1]
    assert last.samples is not None and last.samples.shape == (80, 1, 8, 8)  # 10 rows × 8
    assert last.map_codes is not None and last.map_codes.shape == (50, 2)
    assert last.map_categories is not None and last.map_categories.max() < 10
    assert last.recon is None  # a GAN does not reconstruct


def test_plain_gan_snapshot_has_samples_but_no_codes(digits: Dataset) -> None:
    model = build_model(ModelConfig(family="gan", hidden=(32,), noise_dim=4), digits.input_shape,
                        seed=0)
    events = list(train(model, digits, TrainConfig(epochs=1), None,
                        LiveItems(np.arange(50), np.arange(8))))
    last = [e for e in events if isinstance(e, Snapshot)][-1]
    assert last.samples is not None and last.samples.shape == (64, 1, 8, 8)
    assert last.map_codes is None and last.recon is None


class ExplodingGAN(GAN):
    """A GAN whose generator step turns its weights to NaN after a few steps."""

    def train_step(self, x, optimizers):
        terms = super().train_step(x, optimizers)
        self.steps = getattr(self, "steps", 0) + 1
        if self.steps >= 5:
            with torch.no_grad():
                next(self.decoder.parameters()).fill_(float("nan"))
            terms["g_loss"] = torch.tensor(float("nan"))
        return terms


def test_gan_divergence_stops_and_keeps_the_last_good_weights(digits: Dataset,
                                                              monkeypatch) -> None:
    import latentlab.core.training.loop as training

    monkeypatch.setattr(training, "GOOD_WEIGHTS_INTERVAL_S", 0.0)
    torch.manual_seed(0)
    model = ExplodingGAN(ModelConfig(family="gan", hidden=(16,), noise_dim=4), digits.input_shape)
    events = list(train(model, digits, TrainConfig(epochs=2, snapshot_interval_s=1e-9)))
    failed = events[-1]
    assert isinstance(failed, TrainingFailed) and "NaN" in failed.message
    assert "kept the weights from step 4" in failed.message
    assert all(torch.isfinite(v).all() for v in model.state_dict().values())


def test_generator_code_and_traversal_grid() -> None:
    cfg = ModelConfig(family="infogan", hidden=(16,), noise_dim=3, n_categories=4,
                      n_continuous=2)
    model = build_model(cfg, (1, 8, 8), seed=0)
    assert isinstance(model, InfoGAN)
    code = GeneratorCode.from_prior(model, torch.Generator().manual_seed(0))
    assert code.noise.shape == (3,) and 0 <= code.category < 4 and code.continuous.shape == (2,)
    moved = code.with_map_code(model, np.array([1.5, -0.5]))
    assert np.allclose(moved.map_code(model), [1.5, -0.5]) and moved.category == code.category
    noise, category, continuous = model.split_input(moved.inputs(model))
    assert np.allclose(noise[0].numpy(), code.noise) and category.item() == code.category
    assert np.allclose(continuous[0].numpy(), [1.5, -0.5])
    values = np.linspace(-2, 2, 5)
    inputs, rows, cols = traversal_inputs(model, moved, 1, values)
    assert (rows, cols) == (4, 5)
    noise, category, continuous = model.split_input(inputs)
    assert category.tolist() == [k for k in range(4) for _ in range(5)]
    assert np.allclose(continuous[:, 1].numpy(), np.tile(values, 4))
    assert np.allclose(continuous[:, 0].numpy(), 1.5) and torch.all(noise == noise[0])
    with pytest.raises(ValueError, match="No continuous code 3"):
        traversal_inputs(model, moved, 2, values)
    # A plain GAN's map is a slice through its first two noise dimensions.
    gan = build_model(ModelConfig(family="gan", hidden=(16,), noise_dim=5), (1, 8, 8), seed=0)
    slice_code = GeneratorCode.from_prior(gan).with_map_code(gan, np.array([0.25, -1.0]))
    assert np.allclose(slice_code.inputs(gan)[0, :2].numpy(), [0.25, -1.0])


def test_noise_scale_shrinks_the_noise_g_sees_and_split_input_undoes_it() -> None:
    cfg = ModelConfig(family="infogan", hidden=(16,), noise_dim=3, n_categories=4,
                      n_continuous=2, noise_scale=0.25)
    model = build_model(cfg, (1, 8, 8), seed=0)
    assert isinstance(model, InfoGAN)
    noise, category, continuous = torch.randn(5, 3), torch.arange(5) % 4, torch.rand(5, 2)
    inputs = model.generator_input(noise, category, continuous)
    assert torch.allclose(inputs[:, :3], 0.25 * noise)
    assert torch.equal(inputs[:, 3:7], torch.eye(4)[category])
    back = model.split_input(inputs)
    assert torch.allclose(back[0], noise) and torch.equal(back[1], category)
    assert torch.allclose(back[2], continuous)
    for bad in (0.0, -1.0, math.nan):
        assert any(p.startswith("Noise scale: must be positive")
                   for p in ModelConfig(family="infogan", noise_scale=bad).validate())


def test_tiled_grid_and_png_export(tmp_path) -> None:
    from PIL import Image

    images = np.random.default_rng(0).random((6, 1, 4, 5), dtype=np.float32)
    grid = tile_images(images, rows=2, cols=3, pad=1)
    assert grid.shape == (1, 2 * 5 - 1, 3 * 6 - 1)
    np.testing.assert_array_equal(grid[:, 5:9, 6:11], images[4])
    path = save_png(grid, tmp_path / "grid.png", scale=2)
    with Image.open(path) as picture:
        assert picture.size == (2 * 17, 2 * 9)
    with pytest.raises(OSError, match="cannot be written"):
        save_png(grid, tmp_path / "missing-folder" / "grid.png")


def test_category_accuracy_and_mode_coverage_run_on_real_models() -> None:
    data = blobs_dataset(n=60, side=8)
    model = build_model(ModelConfig(family="infogan", hidden=(16,), noise_dim=4, n_categories=3),
                        data.input_shape, seed=0)
    accuracy = category_accuracy(model, data)
    assert 0 < accuracy <= 1
    classifier = LabelClassifier.fit(data, epochs=1)
    coverage = generated_mode_coverage(model, classifier, 3, n_samples=300)
    assert coverage.histogram.sum() == 300 and 1 <= coverage.classes_covered <= 3
