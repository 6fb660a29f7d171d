"""Which kind a model is, asked without importing torch while there is no model.

The model classes import torch, and the window opens before torch is loaded: these checks answer
False for ``None`` at once and look the class up only when a model exists (torch is then loaded).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeGuard

if TYPE_CHECKING:
    from latentlab.core.models import GAN, ConditionalVAE, InfoGAN, ProGAN


def is_gan(model: object) -> TypeGuard[GAN]:
    """A GAN, InfoGAN, conditional or progressive GAN (anything with a generator code)."""
    if model is None:
        return False
    from latentlab.core.models import GAN

    return isinstance(model, GAN)


def is_infogan(model: object) -> TypeGuard[InfoGAN]:
    if model is None:
        return False
    from latentlab.core.models import InfoGAN

    return isinstance(model, InfoGAN)


def is_conditional_vae(model: object) -> TypeGuard[ConditionalVAE]:
    if model is None:
        return False
    from latentlab.core.models import ConditionalVAE

    return isinstance(model, ConditionalVAE)


def is_progan(model: object) -> TypeGuard[ProGAN]:
    if model is None:
        return False
    from latentlab.core.models import ProGAN

    return isinstance(model, ProGAN)
