"""Model families: one file each, only nn.Modules and their losses.

The names below are imported on first use (PEP 562), not with the package: the window opens
before torch is loaded, and plain values such as ``latentlab.core.models.form_values`` need no
torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from latentlab.core.models.autoencoder import Autoencoder
    from latentlab.core.models.base import LatentModel
    from latentlab.core.models.conditional import ConditionalGAN
    from latentlab.core.models.conditional_vae import ConditionalVAE
    from latentlab.core.models.gan import GAN, InfoGAN
    from latentlab.core.models.pix2pix import Pix2Pix
    from latentlab.core.models.progan import ProGAN
    from latentlab.core.models.registry import MODEL_CLASSES, build_model
    from latentlab.core.models.umap_autoencoder import UmapAutoencoder
    from latentlab.core.models.vae import VAE

_MODULES = {"Autoencoder": "autoencoder", "LatentModel": "base", "ConditionalGAN": "conditional",
            "ConditionalVAE": "conditional_vae", "GAN": "gan", "InfoGAN": "gan",
            "Pix2Pix": "pix2pix", "ProGAN": "progan", "MODEL_CLASSES": "registry",
            "build_model": "registry", "UmapAutoencoder": "umap_autoencoder", "VAE": "vae"}

__all__ = ["GAN", "MODEL_CLASSES", "VAE", "Autoencoder", "ConditionalGAN", "ConditionalVAE",
           "InfoGAN",
           "LatentModel", "Pix2Pix", "ProGAN", "UmapAutoencoder", "build_model"]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # looked up once
    return value
