"""What every latent-variable model offers the trainer and the views."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from latentlab.config import ModelConfig, TrainConfig

if TYPE_CHECKING:
    from latentlab.core.data.dataset import Dataset

#: A training step's loss terms: detached 0-d tensors on the training device. Reading them
#: (``float``, ``.tolist()``) waits for the device, so the trainer reads many steps at once.
StepLosses = dict[str, torch.Tensor]


def to_device(t: torch.Tensor, device: torch.device | str) -> torch.Tensor:
    """A host tensor (noise from the CPU's generator: the same draws on every device) on
    ``device`` without a host sync: a copy from pageable memory to a GPU waits for the copy
    to finish, one from pinned memory is queued like a kernel."""
    if torch.device(device).type != "cuda":
        return t.to(device)
    return t.pin_memory().to(device, non_blocking=True)


def detached(terms: dict[str, torch.Tensor], names: Iterable[str]) -> StepLosses:
    """``terms``' entries ``names``, detached from the graph and left on the device."""
    return {name: terms[name].detach() for name in names}


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
    #: Whether ``infer_codes`` also sorts items into categories (InfoGAN's categorical code).
    predicts_categories: bool = False
    #: Whether the losses take each document's length (a multinomial over word counts); the
    #: trainer then passes ``lengths`` with every batch of a text dataset.
    scores_word_counts: bool = False
    #: Whether it trains on each item's class label (a conditional model).
    needs_labels: bool = False

    def __init__(self, cfg: ModelConfig, input_shape: tuple[int, int, int]) -> None:
        super().__init__()
        self.cfg = cfg
        self.input_shape = input_shape
        #: (device type, dtype) of mixed precision in training steps; None: fp32.
        self.mixed_precision: tuple[str, torch.dtype] | None = None

    def autocast(self) -> contextlib.AbstractContextManager[object]:
        """Where a training step computes its forward passes and losses: under autocast when
        the trainer asked for mixed precision (``mixed_precision``), else plain fp32. Backward
        passes and optimiser steps stay outside, as torch.autocast asks."""
        if self.mixed_precision is None:
            return contextlib.nullcontext()
        device_type, dtype = self.mixed_precision
        return torch.autocast(device_type, dtype=dtype)

    def losses(self, x: torch.Tensor,
               lengths: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def side_input(self, data: Dataset) -> np.ndarray | None:
        """What the trainer hands ``train_step`` and ``losses`` with each batch besides the
        items, sliced like them: documents' lengths for a model that scores word counts, class
        labels for a conditional model; None for most."""
        if self.scores_word_counts and data.lengths is not None:
            return data.lengths.astype(np.float32)
        return None

    def data_problem(self, data: Dataset) -> str | None:
        """Why this model cannot train on ``data`` (None: it can), beyond its settings."""
        return None

    def prepare_training(self, x_train: torch.Tensor, side: torch.Tensor | None = None) -> None:
        """Called once by the trainer before the first step with the whole train split (on the
        training device) and its side input: a model that needs more than batches (a
        neighbour graph, each domain's items) builds it."""

    def plan_steps(self, total_steps: int) -> None:
        """Called once by the trainer before the first step with the run's length in steps:
        a model whose schedule spans the run (annealed instance noise) sets it here."""

    def make_optimizers(self, cfg: TrainConfig) -> list[torch.optim.Optimizer]:
        if cfg.weight_decay > 0:
            return [torch.optim.AdamW(self.parameters(), lr=cfg.learning_rate,
                                      weight_decay=cfg.weight_decay)]
        return [torch.optim.Adam(self.parameters(), lr=cfg.learning_rate)]

    def train_step(self, x: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                   lengths: torch.Tensor | None = None) -> StepLosses:
        """One optimisation step on a batch; returns the loss terms before the step, on the
        device (no wait for it). The trainer checks them for NaN when it reads them and rolls
        the weights back then (``core.training.loop``)."""
        with self.autocast():
            terms = self.training_losses(x, lengths)
        (optimizer,) = optimizers
        optimizer.zero_grad(set_to_none=True)
        terms["loss"].backward()
        optimizer.step()
        return detached(terms, terms)

    def training_losses(self, x: torch.Tensor,
                        lengths: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """The terms a training step optimises; the held-out curve uses ``losses``. The same
        for most models; one that trains on more than the batch (a graph) overrides this."""
        return self.losses(x) if lengths is None else self.losses(x, lengths)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Deterministic codes used for maps (the posterior mean for a VAE)."""
        raise NotImplementedError

    def infer_codes(self, x: torch.Tensor, labels: torch.Tensor | None = None
                    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Codes and, for models that also cluster (InfoGAN), a category per item. A model that
        ``needs_labels`` encodes an item with its class (``labels``); the others ignore them."""
        return self.embed(x), None

    def grid_inputs(self, seed: int = 0) -> tuple[torch.Tensor, int, int] | None:
        """A fixed batch of decoder inputs for a live sample grid, as (inputs, rows, columns)."""
        return None

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Codes → inputs (images in the data's range)."""
        return self.decoder.mean(z)

    def reconstruct(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Items → codes → items (``labels`` as for ``infer_codes``)."""
        return self.decode(self.embed(x))

    def prior_sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor | None:
        """Codes drawn from the model's prior, or None when the model has no prior."""
        return None


def sum_per_item(t: torch.Tensor) -> torch.Tensor:
    """Sum over every dimension but the batch: per-item totals."""
    return t.flatten(1).sum(1)


def multinomial_nll(out: torch.Tensor, x: torch.Tensor,
                    lengths: torch.Tensor | None = None) -> torch.Tensor:
    """−log p(document) per item under a multinomial over its words, p = softmax(out).

    x holds word probabilities; with the documents' ``lengths`` L the counts are n_w = L·x_w
    and the NLL is −Σ_w n_w log p_w (the multinomial coefficient, constant in the weights, is
    left out): a long document is more evidence than a short one. Without lengths, the
    cross-entropy −Σ_w x_w log p_w (every document weighs the same).
    """
    cross_entropy = -(x.flatten(1) * torch.log_softmax(out.flatten(1), dim=1)).sum(1)
    return cross_entropy if lengths is None else cross_entropy * lengths
