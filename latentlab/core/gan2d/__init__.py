"""The 2-D GAN dynamics lab's core: toy data, the two players, every objective and stabiliser,
and a trainer that steps them and shows what they do. No Qt."""

from latentlab.core.gan2d.data import TOY_DATA, Gan2dError, ToyData, make_toy_data
from latentlab.core.gan2d.nets import Discriminator, Generator, MinibatchDiscrimination
from latentlab.core.gan2d.objectives import (
    LOSSES,
    PROBABILITY_LOSSES,
    d_loss_fake,
    d_loss_real,
    g_loss,
    gradient_penalty,
    r1_penalty,
)
from latentlab.core.gan2d.settings import Gan2dConfig
from latentlab.core.gan2d.trainer import Gan2dTrainer, StepStats

__all__ = [
    "LOSSES",
    "PROBABILITY_LOSSES",
    "TOY_DATA",
    "Discriminator",
    "Gan2dConfig",
    "Gan2dError",
    "Gan2dTrainer",
    "Generator",
    "MinibatchDiscrimination",
    "StepStats",
    "ToyData",
    "d_loss_fake",
    "d_loss_real",
    "g_loss",
    "gradient_penalty",
    "make_toy_data",
    "r1_penalty",
]
