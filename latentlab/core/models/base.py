"""What every latent-variable model offers the trainer and the views."""

from __future__ import annotations

import math

import torch
from torch import nn

from latentlab.config import ModelConfig, TrainConfig


class LatentModel(nn.Module):
    """A model with a code space: ``embed`` maps inputs to codes, ``decode`` codes to inputs.

    ``decoder`` is the only part the GUI needs for live decoding; snapshots copy just its weights.
    Losses are returned as a dict whose ``"loss"`` entry is optimised and whose other entries
    (reconstruction, KL, …) are reported; all are means over the batch of per-item sums.
    """

    decoder: nn.Module
    loss_terms: tuple[str, ...] = ("loss",)
    #: False for a plain GAN: real inputs have no place in its code space.
    has_encoder: bool = True
    #: Whether ``reconstruct`` means anything (autoencoders yes, GANs no).
    reconstructs: bool = True

    def __init__(self, cfg: ModelConfig, input_shape: tuple[int, int, int]) -> None:
        super().__init__()
        self.cfg = cfg
        self.input_shape = input_shape

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def make_optimizers(self, cfg: TrainConfig) -> list[torch.optim.Optimizer]:
        return [torch.optim.Adam(self.parameters(), lr=cfg.learning_rate)]

    def train_step(self, x: torch.Tensor,
                   optimizers: list[torch.optim.Optimizer]) -> dict[str, float]:
        """One optimisation step on a batch; returns the loss terms before the step.

        A non-finite loss is returned without stepping, so the weights stay as they were.
        """
        terms = self.losses(x)
        values = dict(zip(terms, torch.stack([t.detach() for t in terms.values()]).tolist(),
                          strict=True))
        if all(math.isfinite(v) for v in values.values()):
            (optimizer,) = optimizers
            optimizer.zero_grad(set_to_none=True)
            terms["loss"].backward()
            optimizer.step()
        return values

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Deterministic codes used for maps (the posterior mean for a VAE)."""
        raise NotImplementedError

    def infer_codes(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Codes and, for models that also cluster (InfoGAN), a category per item."""
        return self.embed(x), None

    def grid_inputs(self, seed: int = 0) -> tuple[torch.Tensor, int, int] | None:
        """A fixed batch of decoder inputs for a live sample grid, as (inputs, rows, columns)."""
        return None

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


def multinomial_nll(out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Cross-entropy −Σ_w x_w log softmax(out)_w per item: x holds word probabilities."""
    return -(x.flatten(1) * torch.log_softmax(out.flatten(1), dim=1)).sum(1)
