"""Variational autoencoder (Kingma & Welling 2014) with a β-weighted KL term."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from latentlab.config import ModelConfig
from latentlab.core.models.base import LatentModel, multinomial_nll, sum_per_item
from latentlab.core.models.layers import Decoder, build_decoder_body, build_encoder

# Keep the Gaussian decoder's variance from collapsing onto pixels that never change (σ ≥ ~0.05).
_MIN_LOG_VAR = -6.0


class VAE(LatentModel):
    """q(z|x) = N(μ(x), σ²(x)), p(z) = N(0, I), p(x|z) Bernoulli or Gaussian.

    loss = reconstruction (−log p(x|z), summed over pixels) + β · KL(q(z|x) ‖ p(z)).
    """

    loss_terms = ("loss", "recon", "kl")

    def __init__(self, cfg: ModelConfig, input_shape: tuple[int, int, int]) -> None:
        super().__init__(cfg, input_shape)
        # A linear Gaussian VAE keeps an identity link (probabilistic PCA); word distributions a
        # softmax; all else a sigmoid.
        if cfg.likelihood == "multinomial":
            link = "softmax"
        else:
            link = ("identity" if cfg.likelihood == "gaussian" and cfg.architecture == "linear"
                    else "sigmoid")
        self.scores_word_counts = cfg.likelihood == "multinomial"
        self.encoder = self._build_encoder(cfg, input_shape)
        self.decoder = Decoder(self._build_decoder_body(cfg, input_shape), input_shape, link,
                               cfg.likelihood == "gaussian")

    def _build_encoder(self, cfg: ModelConfig, input_shape: tuple[int, int, int]) -> nn.Module:
        """The encoder: μ and log σ² of q(z | x), 2·latent values."""
        return build_encoder(cfg, input_shape, 2 * cfg.latent_dim)

    def _build_decoder_body(self, cfg: ModelConfig,
                            input_shape: tuple[int, int, int]) -> nn.Module:
        return build_decoder_body(cfg, input_shape)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, log_var = self.encoder(x).chunk(2, dim=1)
        return mu, log_var

    @staticmethod
    def reparameterize(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
        """z = μ + σ·ε with ε ~ N(0, I): the sample stays differentiable in μ and σ."""
        return mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.encode(x)[0]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, log_var = self.encode(x)
        return self.decoder(self.reparameterize(mu, log_var)), mu, log_var

    def losses(self, x: torch.Tensor,
               lengths: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        out, mu, log_var = self(x)
        recon = reconstruction_nll(out, x, self.cfg.likelihood, self.decoder, lengths)
        kl = kl_to_standard_normal(mu, log_var)
        return {"loss": (recon + self.cfg.beta * kl).mean(), "recon": recon.mean(), "kl": kl.mean()}

    def prior_sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.randn(n, self.cfg.latent_dim, generator=generator)


def kl_to_standard_normal(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, I)) per item = ½ Σ (μ² + σ² − log σ² − 1)."""
    return 0.5 * (mu.pow(2) + log_var.exp() - log_var - 1).sum(1)


def reconstruction_nll(out: torch.Tensor, x: torch.Tensor, likelihood: str,
                       decoder: Decoder, lengths: torch.Tensor | None = None) -> torch.Tensor:
    """−log p(x|z) per item. ``out`` is the decoder's pre-activation output; ``lengths`` (text)
    turns word probabilities back into counts for the multinomial."""
    if likelihood == "multinomial":
        return multinomial_nll(out, x, lengths)
    if likelihood == "bernoulli":
        # Cross-entropy on logits is the Bernoulli likelihood for pixel intensities in [0, 1].
        return sum_per_item(F.binary_cross_entropy_with_logits(out, x, reduction="none"))
    mean = decoder.link(out)
    log_var = decoder.log_var.clamp(min=_MIN_LOG_VAR)
    nll = 0.5 * ((x - mean) ** 2 / log_var.exp() + log_var + math.log(2 * math.pi))
    return sum_per_item(nll)
