from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence

from latentlab.config import ConfigError, ModelConfig
from latentlab.core.models import VAE, Autoencoder, build_model
from latentlab.core.models.vae import kl_to_standard_normal

SHAPES = [(1, 8, 8), (1, 28, 28), (3, 32, 32), (1, 15, 17)]


@pytest.mark.parametrize("family", ["ae", "vae"])
@pytest.mark.parametrize("architecture", ["mlp", "conv", "linear"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("latent", [1, 2, 7])
def test_shapes(family: str, architecture: str, shape: tuple[int, int, int], latent: int) -> None:
    cfg = ModelConfig(family=family, architecture=architecture, hidden=(32, 16), latent_dim=latent,
                      conv_channels=(8, 16))
    if architecture == "conv" and min(shape[1:]) < 16:
        with pytest.raises(ConfigError):
            build_model(cfg, shape)
        return
    model = build_model(cfg, shape, seed=0)
    x = torch.rand(5, *shape)
    assert model.embed(x).shape == (5, latent)
    assert model.decode(torch.randn(3, latent)).shape == (3, *shape)
    assert model.reconstruct(x).shape == (5, *shape)
    losses = model.losses(x)
    assert set(losses) == set(model.loss_terms)
    assert all(v.ndim == 0 and torch.isfinite(v) for v in losses.values())


def test_seed_makes_initial_weights_reproducible() -> None:
    a = build_model(ModelConfig(), (1, 8, 8), seed=3)
    b = build_model(ModelConfig(), (1, 8, 8), seed=3)
    c = build_model(ModelConfig(), (1, 8, 8), seed=4)
    pa, pb, pc = (torch.cat([p.flatten() for p in m.parameters()]) for m in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)


def test_autoencoder_loss_is_sum_of_squared_errors_per_image() -> None:
    model = build_model(ModelConfig(), (1, 8, 8), seed=0)
    assert isinstance(model, Autoencoder)
    x = torch.rand(4, 1, 8, 8)
    expected = ((model(x) - x) ** 2).sum(dim=(1, 2, 3)).mean()
    assert torch.allclose(model.losses(x)["loss"], expected)


def test_linear_autoencoder_has_no_nonlinearity() -> None:
    model = build_model(ModelConfig(architecture="linear", latent_dim=3), (1, 8, 8), seed=0)
    z1, z2 = torch.randn(1, 3), torch.randn(1, 3)
    # A linear (affine) decoder: decode(a·z1 + (1−a)·z2) = a·decode(z1) + (1−a)·decode(z2).
    mix = model.decode(0.3 * z1 + 0.7 * z2)
    assert torch.allclose(mix, 0.3 * model.decode(z1) + 0.7 * model.decode(z2), atol=1e-5)


def test_kl_matches_torch_distributions() -> None:
    mu, log_var = torch.randn(6, 4), torch.randn(6, 4)
    q = Normal(mu, torch.exp(0.5 * log_var))
    p = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    expected = kl_divergence(q, p).sum(1)
    assert torch.allclose(kl_to_standard_normal(mu, log_var), expected, atol=1e-5)


def test_vae_loss_is_reconstruction_plus_beta_kl() -> None:
    x = torch.rand(8, 1, 8, 8)
    for beta in (0.0, 1.0, 4.0):
        model = build_model(ModelConfig(family="vae", beta=beta), (1, 8, 8), seed=0)
        torch.manual_seed(1)
        terms = model.losses(x)
        assert torch.allclose(terms["loss"], terms["recon"] + beta * terms["kl"], atol=1e-4)


def test_bernoulli_reconstruction_is_binary_cross_entropy() -> None:
    model = build_model(ModelConfig(family="vae"), (1, 8, 8), seed=0)
    assert isinstance(model, VAE)
    x = torch.rand(3, 1, 8, 8)
    mu, log_var = model.encode(x)
    torch.manual_seed(0)
    z = model.reparameterize(mu, log_var)
    expected = F.binary_cross_entropy(model.decode(z), x, reduction="none").sum((1, 2, 3))
    torch.manual_seed(0)
    out, _, _ = model(x)
    got = F.binary_cross_entropy_with_logits(out, x, reduction="none").sum((1, 2, 3))
    assert torch.allclose(got, expected, atol=1e-4)


def test_gaussian_decoder_nll_matches_normal_log_prob() -> None:
    model = build_model(ModelConfig(family="vae", likelihood="gaussian"), (1, 8, 8), seed=0)
    x = torch.rand(2, 1, 8, 8)
    out = model.decoder(torch.randn(2, 2))
    from latentlab.core.models.vae import reconstruction_nll

    sigma = torch.exp(0.5 * model.decoder.log_var)
    expected = -Normal(torch.sigmoid(out), sigma).log_prob(x).sum((1, 2, 3))
    got = reconstruction_nll(out, x, "gaussian", model.decoder)
    assert torch.allclose(got, expected, atol=1e-4)


def test_reparameterisation_is_differentiable_and_has_the_right_spread() -> None:
    mu = torch.zeros(20000, 1, requires_grad=True)
    log_var = torch.full((20000, 1), math.log(4.0), requires_grad=True)
    torch.manual_seed(0)
    z = VAE.reparameterize(mu, log_var)
    assert abs(z.std().item() - 2.0) < 0.05
    z.sum().backward()
    assert mu.grad is not None and log_var.grad is not None


def test_prior_sample_only_for_the_vae() -> None:
    gen = torch.Generator().manual_seed(0)
    assert build_model(ModelConfig(), (1, 8, 8)).prior_sample(2, gen) is None
    z = build_model(ModelConfig(family="vae", latent_dim=3), (1, 8, 8)).prior_sample(2, gen)
    assert z.shape == (2, 3)


@pytest.mark.parametrize("family", ["ae", "vae"])
def test_multinomial_decoder_outputs_word_distributions(family: str) -> None:
    shape = (1, 1, 12)  # a text corpus: N×1×1×V word probabilities
    cfg = ModelConfig(family=family, hidden=(8,), likelihood="multinomial")
    model = build_model(cfg, shape, seed=0)
    x = torch.rand(5, *shape)
    x = x / x.sum(dim=3, keepdim=True)
    decoded = model.decode(torch.randn(4, 2))
    assert torch.allclose(decoded.sum(dim=(1, 2, 3)), torch.ones(4))
    out = model.decoder(model.embed(x))
    cross_entropy = -(x.flatten(1) * torch.log_softmax(out.flatten(1), 1)).sum(1).mean()
    if family == "ae":
        assert torch.allclose(model.losses(x)["loss"], cross_entropy)
    assert "multinomial is for word distributions" in cfg.validate((1, 8, 8))[0]
    assert cfg.validate(shape) == []
