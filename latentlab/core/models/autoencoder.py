"""Deterministic autoencoders: MLP, convolutional, and linear (which spans the PCA subspace)."""

from __future__ import annotations

import torch

from latentlab.config import ModelConfig
from latentlab.core.models.base import LatentModel, multinomial_nll, sum_per_item
from latentlab.core.models.layers import Decoder, build_decoder_body, build_encoder


class Autoencoder(LatentModel):
    """x → z = f(x) → x̂ = g(z), trained on the sum of squared errors per image.

    For word distributions (``likelihood="multinomial"``) the decoder outputs a distribution over
    the vocabulary and the loss is its cross-entropy with the document's word probabilities.
    """

    loss_terms = ("loss",)

    def __init__(self, cfg: ModelConfig, input_shape: tuple[int, int, int]) -> None:
        super().__init__(cfg, input_shape)
        self.multinomial = cfg.likelihood == "multinomial"
        # A linear autoencoder keeps an identity output so that it reduces to PCA.
        link = "softmax" if self.multinomial else (
            "identity" if cfg.architecture == "linear" else "sigmoid")
        self.encoder = build_encoder(cfg, input_shape, cfg.latent_dim)
        self.decoder = Decoder(build_decoder_body(cfg, input_shape), input_shape, link)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encoder(x))

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.multinomial:
            return {"loss": multinomial_nll(self.decoder(self.encoder(x)), x).mean()}
        sse = sum_per_item((self(x) - x) ** 2).mean()
        return {"loss": sse}
