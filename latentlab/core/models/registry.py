"""Model families by name: build any of them from a ModelConfig and an input shape."""

from __future__ import annotations

import torch

from latentlab.config import ConfigError, ModelConfig
from latentlab.core.files.safe_io import memory_budget, size_text
from latentlab.core.models.autoencoder import Autoencoder
from latentlab.core.models.base import LatentModel
from latentlab.core.models.conditional import ConditionalGAN
from latentlab.core.models.conditional_vae import ConditionalVAE
from latentlab.core.models.cyclegan import CycleGAN
from latentlab.core.models.gan import GAN, InfoGAN
from latentlab.core.models.pix2pix import Pix2Pix
from latentlab.core.models.progan import ProGAN
from latentlab.core.models.umap_autoencoder import UmapAutoencoder
from latentlab.core.models.vae import VAE

MODEL_CLASSES: dict[str, type[LatentModel]] = {
    "ae": Autoencoder, "vae": VAE, "umap_ae": UmapAutoencoder, "gan": GAN, "infogan": InfoGAN,
    "cgan": ConditionalGAN, "cvae": ConditionalVAE, "pix2pix": Pix2Pix, "cyclegan": CycleGAN,
    "progan": ProGAN,
}


def build_model(cfg: ModelConfig, input_shape: tuple[int, int, int],
                seed: int | None = None, batch_size: int | None = None) -> LatentModel:
    """Validate ``cfg`` against the data and build the model (raises ConfigError).

    With a ``seed`` the initial weights are reproducible. With a ``batch_size`` the model is
    first sized on no memory and refused when training it would exceed the memory budget.
    """
    problems = cfg.validate(input_shape)
    if problems:
        raise ConfigError(problems)
    if batch_size is not None:
        needed = training_memory(cfg, input_shape, batch_size)
        budget = memory_budget()
        if needed > budget:
            raise ConfigError([f"Model size: training it would need about {size_text(needed)} "
                               f"of memory, over the budget of {size_text(budget)}; use "
                               "fewer or narrower layers, or a smaller batch."])
    if seed is not None:
        torch.manual_seed(seed)
    return MODEL_CLASSES[cfg.family](cfg, input_shape)


def training_memory(cfg: ModelConfig, input_shape: tuple[int, int, int],
                    batch_size: int) -> int:
    """Roughly the bytes training needs: weights, gradients and Adam's two moments (four
    float32 copies of the parameters), and a batch's activations with their gradients, each
    layer's output counted at full input resolution (an upper bound for strided layers)."""
    with torch.device("meta"):
        model = MODEL_CLASSES[cfg.family](cfg, input_shape)
    parameters = sum(p.numel() for p in model.parameters())
    _, h, w = input_shape
    per_item = sum(
        m.out_features if isinstance(m, torch.nn.Linear)
        else m.out_channels * h * w if isinstance(m, torch.nn.modules.conv._ConvNd) else 0
        for m in model.modules())
    return 4 * (4 * parameters + 3 * batch_size * per_item)
