"""What every latent-variable model offers the trainer and the views."""

from __future__ import annotations

import torch
from torch import nn

from latentlab.config import ModelConfig


class LatentModel(nn.Module):
    """A model with a code space: ``embed`` maps inputs to codes, ``decode`` codes to inputs.

    ``decoder`` is the only part the GUI needs for live decoding; snapshots copy just its weights.
    Losses are returned as a dict whose ``"loss"`` entry is optimised and whose other entries
    (reconstruction, KL, …) are reported; all are means over the batch of per-item sums.
    """

    decoder: nn.Module
    loss_terms: tuple[str, ...] = ("loss",)

    def __init__(self, cfg: ModelConfig, input_shape: tuple[int, int, int]) -> None:
        super().__init__()
        self.cfg = cfg
        self.input_shape = input_shape

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Deterministic codes used for maps (the posterior mean for a VAE)."""
        raise NotImplementedError

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Codes → inputs (images in the data's range)."""
        return self.decoder.mean(z)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.embed(x))

    def prior_sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor | None:
        """Codes drawn from the model's prior, or None when the model has no prior."""
        return None


def sum_per_item(t: torch.Tensor) -> torch.Tensor:
    """Sum over every dimension but the batch: per-item totals."""
    return t.flatten(1).sum(1)
