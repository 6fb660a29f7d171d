"""Deterministic autoencoders: MLP, convolutional, and linear (which spans the PCA subspace)."""

from __future__ import annotations

import torch

from latentlab.config import ModelConfig
from latentlab.core.models.base import LatentModel, sum_per_item
from latentlab.core.models.layers import Decoder, build_decoder_body, build_encoder


class Autoencoder(LatentModel):
    """x → z = f(x) → x̂ = g(z), trained on the sum of squared errors per image."""

    loss_terms = ("loss",)

    def __init__(self, cfg: ModelConfig, input_shape: tuple[int, int, int]) -> None:
        super().__init__(cfg, input_shape)
        # A linear autoencoder keeps an identity output so that it reduces to PCA.
        sigmoid = cfg.architecture != "linear"
        self.encoder = build_encoder(cfg, input_shape, cfg.latent_dim)
        self.decoder = Decoder(build_decoder_body(cfg, input_shape), input_shape, sigmoid)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encoder(x))

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        sse = sum_per_item((self(x) - x) ** 2).mean()
        return {"loss": sse}
