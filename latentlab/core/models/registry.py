"""Model families by name: build any of them from a ModelConfig and an input shape."""

from __future__ import annotations

import torch

from latentlab.config import ConfigError, ModelConfig
from latentlab.core.models.autoencoder import Autoencoder
from latentlab.core.models.base import LatentModel
from latentlab.core.models.gan import GAN, InfoGAN
from latentlab.core.models.umap_autoencoder import UmapAutoencoder
from latentlab.core.models.vae import VAE

MODEL_CLASSES: dict[str, type[LatentModel]] = {
    "ae": Autoencoder, "vae": VAE, "umap_ae": UmapAutoencoder, "gan": GAN, "infogan": InfoGAN,
}


def build_model(cfg: ModelConfig, input_shape: tuple[int, int, int],
                seed: int | None = None) -> LatentModel:
    """Validate ``cfg`` against the data and build the model (raises ConfigError).

    With a ``seed`` the initial weights are reproducible.
    """
    problems = cfg.validate(input_shape)
    if problems:
        raise ConfigError(problems)
    if seed is not None:
        torch.manual_seed(seed)
    return MODEL_CLASSES[cfg.family](cfg, input_shape)
