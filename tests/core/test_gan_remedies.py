"""The image GANs' other objectives and stabilisers: least squares, hinge, WGAN-GP, R1,
instance noise, minibatch discrimination and the unrolled discriminator."""

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
from latentlab.core.training.loop import train

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
            {"r1": 10.0}, {"instance_noise": 0.3}, {"minibatch_features": 8}, {"unrolled": 2}]


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
    ("minibatch_features", 10**6, "Minibatch features"), ("unrolled", -1, "Unrolled D steps"),
    ("unrolled", 21, "Unrolled D steps")])
def test_bad_remedy_settings_are_refused_by_name(field: str, value: float, label: str) -> None:
    problems = ModelConfig(family="gan", **{field: value}).validate()
    assert len(problems) == 1 and problems[0].startswith(label + ":")


def test_a_checkpoint_without_the_new_fields_still_loads() -> None:
    old = ModelConfig(family="infogan").to_dict()
    for name in ("r1", "instance_noise", "minibatch_features", "unrolled"):
        del old[name]
    old["gan_loss"] = "saturating"
    cfg = _settings(ModelConfig, old, "model settings", "latentlab 0.1")
    assert (cfg.r1, cfg.instance_noise, cfg.minibatch_features, cfg.unrolled) == (0.0, 0.0, 0, 0)
    assert cfg.gan_loss == "saturating" and cfg.validate() == []
    # The plain D head keeps its weight names, so older weights load too.
    names = build_model(cfg, (1, 8, 8), seed=0).state_dict()
    assert "critic.weight" in names


def test_cli_flags_reach_the_config() -> None:
    args = build_parser().parse_args(
        ["train", "--data", "digits", "--model", "gan", "--gan-loss", "hinge", "--r1", "5",
         "--instance-noise", "0.2", "--minibatch-features", "16", "--unrolled", "3", "--out",
         "x"])
    model, _ = _configs(args)
    assert (model.gan_loss, model.r1, model.instance_noise, model.minibatch_features,
            model.unrolled) == ("hinge", 5.0, 0.2, 16, 3)
    for loss in ("least_squares", "wgan_gp"):
        args = build_parser().parse_args(["train", "--data", "d", "--model", "infogan",
                                          "--gan-loss", loss, "--out", "x"])
        assert _configs(args)[0].gan_loss == loss


def test_instance_noise_anneals_over_the_whole_run() -> None:
    """The trainer tells the model the run's length: σ reaches 0 at its last D step."""
    model = build_model(ModelConfig(family="gan", hidden=(16,), noise_dim=4,
                                    instance_noise=0.5, d_steps=2), (1, 8, 8), seed=0)
    data = blobs_dataset(n=40, side=8)
    events = list(train(model, data, TrainConfig(epochs=3, batch_size=16, device="cpu")))
    assert events
    assert model.noise_anneal_d_steps == 3 * 2 * 2  # epochs × batches per epoch × D steps
    assert model.d_steps_done == model.noise_anneal_d_steps
    assert model._noise_sigma(training=True) == 0.0


def test_unrolled_gs_loss_is_against_d_after_k_adam_steps_by_hand() -> None:
    """With k = 1, G's step equals the step of G's loss against D moved by one Adam step on
    the same batch (written out here with torch.func); D and its batch-norm statistics are
    untouched by the look-ahead."""
    cfg = ModelConfig(family="gan", architecture="mlp", hidden=(16, 8), noise_dim=4,
                      unrolled=1)
    model = build_model(cfg, (1, 8, 8), seed=0)
    x = torch.from_numpy(blobs_dataset(n=16, side=8).x)
    d_opt, g_opt = model.make_optimizers(TrainConfig())
    torch.manual_seed(1)
    model.train_step(x, [d_opt, g_opt])  # Adam's moments now hold something
    d_params = dict(model.features.named_parameters()) | {
        f"c.{k}": v for k, v in model.critic.named_parameters()}
    d_before = {k: v.detach().clone() for k, v in d_params.items()}
    buffers = {k: v.clone() for k, v in model.named_buffers()}
    real = x * 2 - 1

    state = torch.random.get_rng_state()
    noise = model.sample_inputs(len(x))
    torch.random.set_rng_state(state)
    fake_params = {k: v.detach().clone().requires_grad_(True)
                   for k, v in model.decoder.named_parameters()}
    fake = torch.func.functional_call(model.decoder, fake_params, (noise,))
    names = list(d_before)
    owners = [*model.features.parameters(), *model.critic.parameters()]
    group = d_opt.param_groups[0]
    beta1, beta2 = group["betas"]
    weights = [d_before[n].clone().requires_grad_(True) for n in names]

    def logits(ws: list, images: torch.Tensor) -> torch.Tensor:
        own = dict(zip(names, ws, strict=True))
        feats = torch.func.functional_call(
            model.features, {k: v for k, v in own.items() if not k.startswith("c.")},
            (images,))
        return torch.func.functional_call(
            model.critic, {k[2:]: v for k, v in own.items() if k.startswith("c.")},
            (feats,)).squeeze(1)

    d_loss = discriminator_loss(logits(weights, real), logits(weights, fake), cfg.gan_loss)
    grads = torch.autograd.grad(d_loss, weights, create_graph=True)
    moved = []
    for w, g, p in zip(weights, grads, owners, strict=True):
        st = d_opt.state[p]
        t = float(st["step"]) + 1
        m = beta1 * st["exp_avg"] + (1 - beta1) * g
        v = beta2 * st["exp_avg_sq"] + (1 - beta2) * g.detach() ** 2
        moved.append(w - group["lr"] * (m / (1 - beta1**t))
                     / ((v / (1 - beta2**t)).sqrt() + group["eps"]))
    expected = torch.autograd.grad(generator_loss(logits(moved, fake), cfg.gan_loss),
                                   list(fake_params.values()))

    # The model's own G step on that noise: its D steps are skipped to compare like with like.
    torch.random.set_rng_state(state)
    g_terms = model._g_terms(len(x), x.device, training=True, lookahead=(real, d_opt))
    got = torch.autograd.grad(g_terms["g_total"], list(model.decoder.parameters()))
    for a, b in zip(got, expected, strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-4)
    for k, v in d_params.items():
        assert torch.equal(v, d_before[k]), "looking ahead never moves D itself"
    for k, v in model.named_buffers():
        assert torch.equal(v, buffers[k])
