"""Deterministic autoencoders: MLP, convolutional, and linear (which spans the PCA subspace)."""

from __future__ import annotations

import torch

from latentlab.config import ModelConfig
from latentlab.core.models.base import LatentModel, multinomial_nll, sum_per_item
from latentlab.core.models.layers import Decoder, build_decoder_body, build_encoder


class Autoencoder(LatentModel):
    """x → z = f(x) → x̂ = g(z), trained on the sum of squared errors per image.

    For word distributions (``likelihood="multinomial"``) the decoder outputs a distribution over
    the vocabulary and the loss is the multinomial NLL of the document's word counts (given the
    documents' lengths; else the cross-entropy with its word probabilities).
    """

    loss_terms = ("loss",)

    def __init__(self, cfg: ModelConfig, input_shape: tuple[int, int, int]) -> None:
        super().__init__(cfg, input_shape)
        self.multinomial = cfg.likelihood == "multinomial"
        self.scores_word_counts = self.multinomial
        # A linear autoencoder keeps an identity output so that it reduces to PCA.
        link = "softmax" if self.multinomial else (
            "identity" if cfg.architecture == "linear" else "sigmoid")
        self.encoder = build_encoder(cfg, input_shape, cfg.latent_dim)
        self.decoder = Decoder(build_decoder_body(cfg, input_shape), input_shape, link)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encoder(x))

    def reconstruction(self, x: torch.Tensor,
                       lengths: torch.Tensor | None = None) -> torch.Tensor:
        """The per-item loss: SSE for images, the multinomial NLL for word distributions."""
        if self.multinomial:
            return multinomial_nll(self.decoder(self.encoder(x)), x, lengths)
        return sum_per_item((self(x) - x) ** 2)

    def losses(self, x: torch.Tensor,
               lengths: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        return {"loss": self.reconstruction(x, lengths).mean()}
