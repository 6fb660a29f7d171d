"""The conditional VAE (Sohn, Lee & Yan 2015; Kingma et al. 2014's M2 with the label given):
q(z|x, y) and p(x|z, y), the class given to encoder and decoder as a one-hot.

Since the decoder is told the class, the code need not carry it: the map of a conditional VAE's
codes shows style (slant, thickness) with the classes mixed, and any code decodes as any class —
the same style, another digit. The decoder's input is [z, one-hot(y)], as a conditional GAN's
generator's is [noise, one-hot(y)]; ``class_inputs`` builds it for the classes asked for.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from latentlab.config import ModelConfig
from latentlab.core.data.dataset import Dataset
from latentlab.core.models.form_values import labels_problem
from latentlab.core.models.layers import ConvEncoder, build_decoder_body, mlp
from latentlab.core.models.vae import VAE, kl_to_standard_normal, reconstruction_nll

#: The live sample grid: one row per class (at most this many), the same codes in every row.
GRID_ROWS, GRID_COLUMNS = 10, 8


class ConditionalEncoder(nn.Module):
    """(x, one-hot y) → 2·latent values. A fully connected body reads the class beside the
    flattened input; a convolutional one as K constant planes beside the image's channels (so
    every filter can use it), which costs K·16 weights a filter rather than K·H·W inputs."""

    def __init__(self, cfg: ModelConfig, input_shape: tuple[int, int, int], out: int) -> None:
        super().__init__()
        c, h, w = input_shape
        k = cfg.n_categories
        self.dropout = nn.Dropout(cfg.input_dropout) if cfg.input_dropout > 0 else nn.Identity()
        self.conv = cfg.architecture == "conv"
        if self.conv:
            self.body: nn.Module = ConvEncoder((c + k, h, w), cfg.conv_channels, out,
                                               cfg.batch_norm)
        else:
            sizes = [math.prod(input_shape) + k,
                     *(cfg.hidden if cfg.architecture == "mlp" else ()), out]
            self.body = mlp(sizes, batch_norm=cfg.batch_norm)

    def forward(self, x: torch.Tensor, one_hot: torch.Tensor) -> torch.Tensor:
        x = self.dropout(x)
        if self.conv:
            planes = one_hot[:, :, None, None].expand(-1, -1, *x.shape[2:])
            return self.body(torch.cat([x, planes], dim=1))
        return self.body(torch.cat([x.flatten(1), one_hot], dim=1))


class ConditionalVAE(VAE):
    """``cfg.n_categories`` is the number of classes (the dataset's)."""

    has_category_input = True
    #: The trainer passes each batch's class labels (and refuses data without them).
    needs_labels = True

    def __init__(self, cfg: ModelConfig, input_shape: tuple[int, int, int]) -> None:
        super().__init__(cfg, input_shape)
        # The side input is the class, so a text model scores each document's word
        # probabilities (every document weighs the same), not its counts.
        self.scores_word_counts = False

    def _build_encoder(self, cfg: ModelConfig, input_shape: tuple[int, int, int]) -> nn.Module:
        return ConditionalEncoder(cfg, input_shape, 2 * cfg.latent_dim)

    def _build_decoder_body(self, cfg: ModelConfig,
                            input_shape: tuple[int, int, int]) -> nn.Module:
        # The decoder's input is the code and the class: a decoder body for latent + K inputs.
        wider = dataclasses.replace(cfg, latent_dim=cfg.latent_dim + cfg.n_categories)
        return build_decoder_body(wider, input_shape)

    def one_hot(self, labels: torch.Tensor) -> torch.Tensor:
        return F.one_hot(labels.long(), self.cfg.n_categories).float()

    def decoder_input(self, z: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
        """[z, one-hot(class)]: what the decoder draws."""
        return torch.cat([z, self.one_hot(classes).to(z)], dim=1)

    def class_inputs(self, classes: torch.Tensor, generator: torch.Generator | None = None,
                     device: torch.device | str = "cpu") -> torch.Tensor:
        """Decoder inputs that ask for the given classes, codes from the prior N(0, I)."""
        z = torch.randn(len(classes), self.cfg.latent_dim, generator=generator)
        return self.decoder_input(z, classes.cpu()).to(device)

    def _labels(self, labels: torch.Tensor | None) -> torch.Tensor:
        if labels is None:
            raise ValueError("A conditional VAE encodes an item with its class: no labels given.")
        return labels

    def encode(self, x: torch.Tensor, labels: torch.Tensor | None = None
               ) -> tuple[torch.Tensor, torch.Tensor]:
        mu, log_var = self.encoder(x, self.one_hot(self._labels(labels))).chunk(2, dim=1)
        return mu, log_var

    def embed(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.encode(x, labels)[0]

    def infer_codes(self, x: torch.Tensor, labels: torch.Tensor | None = None
                    ) -> tuple[torch.Tensor, None]:
        return self.embed(x, labels), None

    def reconstruct(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        labels = self._labels(labels)
        return self.decode(self.decoder_input(self.embed(x, labels), labels))

    def losses(self, x: torch.Tensor,
               labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        labels = self._labels(labels)
        mu, log_var = self.encode(x, labels)
        out = self.decoder(self.decoder_input(self.reparameterize(mu, log_var), labels))
        recon = reconstruction_nll(out, x, self.cfg.likelihood, self.decoder)
        kl = kl_to_standard_normal(mu, log_var)
        return {"loss": (recon + self.cfg.beta * kl).mean(), "recon": recon.mean(), "kl": kl.mean()}

    def prior_sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decoder inputs from the prior: codes N(0, I), classes drawn uniformly."""
        classes = torch.randint(self.cfg.n_categories, (n,), generator=generator)
        return self.class_inputs(classes, generator)

    def grid_inputs(self, seed: int = 0) -> tuple[torch.Tensor, int, int]:
        """One row per class (at most 10), the same 8 prior codes in every column."""
        generator = torch.Generator().manual_seed(seed)
        rows, cols = min(self.cfg.n_categories, GRID_ROWS), GRID_COLUMNS
        z = torch.randn(cols, self.cfg.latent_dim, generator=generator).repeat(rows, 1)
        return self.decoder_input(z, torch.arange(rows).repeat_interleave(cols)), rows, cols

    def side_input(self, data: Dataset) -> np.ndarray | None:
        return None if data.labels is None else data.labels.astype(np.int64)

    def data_problem(self, data: Dataset) -> str | None:
        return labels_problem(data, self.cfg.n_categories, "cvae")
