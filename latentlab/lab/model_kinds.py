"""Which kind a model is, asked without importing torch while there is no model.

The model classes import torch, and the window opens before torch is loaded: these checks answer
False for ``None`` at once and look the class up only when a model exists (torch is then loaded).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeGuard

if TYPE_CHECKING:
    from latentlab.core.models import GAN, ConditionalVAE, InfoGAN, ProGAN


def _is(model: object, name: str) -> bool:
    if model is None:  # no model: nothing to import
        return False
    import latentlab.core.models as models

    return isinstance(model, getattr(models, name))


def is_gan(model: object) -> TypeGuard[GAN]:
    """A GAN, InfoGAN, conditional or progressive GAN (anything with a generator code)."""
    return _is(model, "GAN")


def is_infogan(model: object) -> TypeGuard[InfoGAN]:
    return _is(model, "InfoGAN")


def is_conditional_vae(model: object) -> TypeGuard[ConditionalVAE]:
    return _is(model, "ConditionalVAE")


def is_progan(model: object) -> TypeGuard[ProGAN]:
    return _is(model, "ProGAN")
