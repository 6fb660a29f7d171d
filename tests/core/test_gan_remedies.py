"""The image GANs' other objectives and stabilisers: least squares, hinge, WGAN-GP, R1,
instance noise and minibatch discrimination."""

from __future__ import annotations

import math

import pytest
import torch

from latentlab.cli.parser import build_parser
from latentlab.cli.train import _configs
from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.files.checkpoint_meta import _settings
from latentlab.core.models import build_model
from latentlab.core.models.gan_layers import MinibatchDiscrimination
from latentlab.core.models.gan_objectives import (
    INSTANCE_NOISE_STEPS,
    discriminator_loss,
    generator_loss,
    gradient_penalty,
    instance_noise_sigma,
    r1_penalty,
)

from ..conftest import blobs_dataset

torch.set_num_threads(1)
REAL = torch.tensor([2.0, -0.5, 0.0])
FAKE = torch.tensor([-1.5, 0.5, 3.0])


def test_least_squares_hinge_and_wgan_losses_on_hand_made_logits() -> None:
    ls = 0.5 * ((REAL - 1) ** 2).mean() + 0.5 * (FAKE**2).mean()
    assert torch.allclose(discriminator_loss(REAL, FAKE, "least_squares"), ls)
    assert torch.allclose(generator_loss(FAKE, "least_squares"), 0.5 * ((FAKE - 1) ** 2).mean())
    # Hinge: max(0, 1 − r) = (0, 1.5, 1), max(0, 1 + f) = (0, 1.5, 4).
    assert torch.allclose(discriminator_loss(REAL, FAKE, "hinge"),
                          torch.tensor(2.5 / 3 + 5.5 / 3))
    assert torch.allclose(generator_loss(FAKE, "hinge"), -FAKE.mean())
    assert torch.allclose(discriminator_loss(REAL, FAKE, "wgan_gp"), FAKE.mean() - REAL.mean())
    assert torch.allclose(generator_loss(FAKE, "wgan_gp"), -FAKE.mean())
    with pytest.raises(ValueError, match="Unknown generator loss"):
        discriminator_loss(REAL, FAKE, "wgan_clip")


def test_r1_and_gradient_penalty_on_a_linear_critic() -> None:
    w = torch.tensor([[[3.0, 4.0]]])  # ‖∇D‖ = 5 everywhere for D(x) = Σ w·x

    def critic(x: torch.Tensor) -> torch.Tensor:
        return (x * w).flatten(1).sum(1)

    real, fake = torch.randn(4, 1, 1, 2), torch.randn(4, 1, 1, 2)
    assert torch.allclose(r1_penalty(critic, real, gamma=2.0), torch.tensor(25.0))  # γ/2·25
    assert torch.allclose(gradient_penalty(critic, real, fake), torch.tensor(10.0 * 16))


def test_instance_noise_anneals_linearly_to_zero() -> None:
    assert instance_noise_sigma(0.4, 0) == 0.4
    assert math.isclose(instance_noise_sigma(0.4, INSTANCE_NOISE_STEPS // 2), 0.2)
    assert instance_noise_sigma(0.4, INSTANCE_NOISE_STEPS * 2) == 0.0


def test_minibatch_discrimination_sees_a_collapsed_batch() -> None:
    torch.manual_seed(0)
    layer = MinibatchDiscrimination(8, 5)
    varied, collapsed = layer(torch.randn(6, 8) * 3), layer(torch.zeros(6, 8))
    assert varied.shape == (6, 13)
    assert torch.allclose(collapsed[:, 8:], torch.full((6, 5), 5.0))  # 5 identical neighbours
    assert varied[:, 8:].mean() < collapsed[:, 8:].mean()


REMEDIES = [{"gan_loss": "least_squares"}, {"gan_loss": "hinge"}, {"gan_loss": "wgan_gp"},
            {"r1": 10.0}, {"instance_noise": 0.3}, {"minibatch_features": 8}]


@pytest.mark.parametrize("remedy", REMEDIES, ids=lambda r: "-".join(map(str, r.values())))
@pytest.mark.parametrize("family", ["gan", "infogan"])
@pytest.mark.parametrize("architecture", ["mlp", "conv"])
def test_a_few_training_steps_with_each_remedy(remedy: dict, family: str,
                                               architecture: str) -> None:
    cfg = ModelConfig(family=family, architecture=architecture, hidden=(32, 16), noise_dim=8,
                      n_categories=3, n_continuous=2, **remedy)
    assert cfg.validate((1, 28, 28)) == []
    x = torch.from_numpy(blobs_dataset(n=8, side=28).x)
    model = build_model(cfg, (1, 28, 28), seed=0)
    optimizers = model.make_optimizers(TrainConfig())
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    for _ in range(2):
        terms = model.train_step(x, optimizers)
        assert set(terms) == set(model.loss_terms) and all(map(math.isfinite, terms.values()))
    # A linear D loss (hinge inside its margin, WGAN) gives D's output bias −1 + 1 = 0.
    fixed = {"critic.bias"} if cfg.gan_loss in ("hinge", "wgan_gp") else set()
    still = {name for name, p in model.named_parameters() if torch.equal(before[name], p)}
    assert still <= fixed, "every parameter (D, G and Q) takes part in a step"
    assert model.d_steps_done == 2
    held_out = model.losses(x)  # without the penalties: no gradients needed
    with torch.no_grad():
        assert all(math.isfinite(v.item()) for v in model.losses(x).values())
    assert set(held_out) == set(model.loss_terms)
    if family == "infogan":
        assert "info" in terms and model.embed(x).shape == (8, 2)


@pytest.mark.parametrize(("field", "value", "label"), [
    ("r1", -1.0, "R1 penalty γ"), ("r1", float("nan"), "R1 penalty γ"),
    ("r1", 1e6, "R1 penalty γ"), ("instance_noise", -0.1, "Instance noise σ"),
    ("instance_noise", 1e3, "Instance noise σ"), ("minibatch_features", -2, "Minibatch features"),
    ("minibatch_features", 10**6, "Minibatch features")])
def test_bad_remedy_settings_are_refused_by_name(field: str, value: float, label: str) -> None:
    problems = ModelConfig(family="gan", **{field: value}).validate()
    assert len(problems) == 1 and problems[0].startswith(label + ":")


def test_a_checkpoint_without_the_new_fields_still_loads() -> None:
    old = ModelConfig(family="infogan").to_dict()
    for name in ("r1", "instance_noise", "minibatch_features"):
        del old[name]
    old["gan_loss"] = "saturating"
    cfg = _settings(ModelConfig, old, "model settings", "latentlab 0.1")
    assert (cfg.r1, cfg.instance_noise, cfg.minibatch_features) == (0.0, 0.0, 0)
    assert cfg.gan_loss == "saturating" and cfg.validate() == []
    # The plain D head keeps its weight names, so older weights load too.
    names = build_model(cfg, (1, 8, 8), seed=0).state_dict()
    assert "critic.weight" in names


def test_cli_flags_reach_the_config() -> None:
    args = build_parser().parse_args(
        ["train", "--data", "digits", "--model", "gan", "--gan-loss", "hinge", "--r1", "5",
         "--instance-noise", "0.2", "--minibatch-features", "16", "--out", "x"])
    model, _ = _configs(args)
    assert (model.gan_loss, model.r1, model.instance_noise, model.minibatch_features) == \
        ("hinge", 5.0, 0.2, 16)
    for loss in ("least_squares", "wgan_gp"):
        args = build_parser().parse_args(["train", "--data", "d", "--model", "infogan",
                                          "--gan-loss", loss, "--out", "x"])
        assert _configs(args)[0].gan_loss == loss
