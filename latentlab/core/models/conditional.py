"""The class-conditional GAN (Mirza & Osindero 2014) with a projection discriminator (Miyato &
Koyama 2018): G(z, y) sees the class as a one-hot beside its noise; D(x, y) = ψ(φ(x)) +
⟨e_y, φ(x)⟩, an unconditional score plus the projection of D's features on a learned embedding
of the class — D asks both "is this real?" and "is this a real y?".

It trains on a labelled dataset: the trainer hands each batch's labels to ``train_step``, and
the fakes of a step carry the real batch's labels, so D always compares like with like.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from latentlab.config import ModelConfig
from latentlab.core.data.dataset import Dataset
from latentlab.core.models.base import to_device
from latentlab.core.models.form_values import labels_problem
from latentlab.core.models.gan import GAN, category_grid_inputs


class ConditionalGAN(GAN):
    """``cfg.n_categories`` is the number of classes (the dataset's)."""

    has_category_input = True
    #: The trainer passes each batch's class labels (and refuses data without them).
    needs_labels = True

    def __init__(self, cfg: ModelConfig, input_shape: tuple[int, int, int]) -> None:
        super().__init__(cfg, input_shape)
        # Given its weights, Embedding skips its own normal_ init, which on the meta device
        # (sizing a model before building it) imports torch's compiler: seconds at first use.
        self.class_embedding = nn.Embedding(
            cfg.n_categories, self.feature_dim,
            _weight=nn.init.xavier_uniform_(torch.empty(cfg.n_categories, self.feature_dim)))

    @property
    def input_dim(self) -> int:
        return self.cfg.noise_dim + self.cfg.n_categories

    def generator_input(self, noise: torch.Tensor, category: torch.Tensor,
                        continuous: torch.Tensor | None = None) -> torch.Tensor:
        """[noise, one-hot(class)] as G expects it (``continuous`` must be empty: a
        conditional GAN has no continuous codes)."""
        one_hot = F.one_hot(category.long(), self.cfg.n_categories).to(noise.dtype)
        return torch.cat([noise, one_hot], dim=1)

    def split_input(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Inverse of ``generator_input``: (noise, class, no continuous codes)."""
        n_noise = self.cfg.noise_dim
        return z[:, :n_noise], z[:, n_noise:].argmax(1), z.new_zeros(len(z), 0)

    def sample_inputs(self, n: int, generator: torch.Generator | None = None,
                      device: torch.device | str = "cpu") -> torch.Tensor:
        """Noise from the prior and classes drawn uniformly."""
        noise = self.sample_noise(n, generator)
        category = torch.randint(self.cfg.n_categories, (n,), generator=generator)
        return to_device(self.generator_input(noise, category), device)

    def class_inputs(self, classes: torch.Tensor, generator: torch.Generator | None = None,
                     device: torch.device | str = "cpu") -> torch.Tensor:
        """Inputs that ask for the given classes, with noise from the prior."""
        # The labels stay where they are: on a GPU, reading them back would stall every step.
        noise = self.sample_noise(len(classes), generator, device)
        return self.generator_input(noise, classes.to(device))

    def fake_inputs(self, n: int, device: torch.device | str,
                    labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is None:
            raise ValueError("A conditional GAN trains on labelled batches: no labels given.")
        return self.class_inputs(labels, device=device)

    def grid_inputs(self, seed: int = 0) -> tuple[torch.Tensor, int, int]:
        """One row per class (at most 10), the same 8 noise vectors in every column."""
        return category_grid_inputs(self, seed)

    def discriminate(self, x_tanh: torch.Tensor, labels: torch.Tensor | None = None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        logits, features = super().discriminate(x_tanh)
        if labels is not None:
            logits = logits + (self.class_embedding(labels) * features).sum(1)
        return logits, features

    def _discriminator_parameters(self) -> list[nn.Parameter]:
        return [*super()._discriminator_parameters(), *self.class_embedding.parameters()]

    def side_input(self, data: Dataset) -> np.ndarray | None:
        return None if data.labels is None else data.labels.astype(np.int64)

    def data_problem(self, data: Dataset) -> str | None:
        return labels_problem(data, self.cfg.n_categories, "cgan")


