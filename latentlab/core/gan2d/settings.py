"""Gan2dConfig: every setting of the 2-D GAN lab, and its validation (one readable problem per
field, naming the field as the lab shows it)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from latentlab.core.gan2d.data import TOY_DATA
from latentlab.core.gan2d.nets import ACTIVATIONS
from latentlab.core.gan2d.objectives import LOSSES

NOISES = ("gaussian", "uniform")
OPTIMIZERS = ("adam", "sgd")
UPDATES = ("alternating", "simultaneous")
#: Bounds that keep one step interactive on a laptop CPU.
MAX_WIDTH, MAX_LAYERS, MAX_BATCH, MAX_UNROLLED, MAX_PACK = 1024, 8, 8192, 50, 16


@dataclass(frozen=True)
class Gan2dConfig:
    data: str = "ring"
    seed: int = 0
    noise_dim: int = 2
    noise: str = "gaussian"  # or "uniform" on [−1, 1]
    g_hidden: tuple[int, ...] = (128, 128)
    d_hidden: tuple[int, ...] = (128, 128)
    activation: str = "relu"  # relu | leaky_relu | tanh | elu
    loss: str = "non_saturating"  # saturating | non_saturating | least_squares | hinge | wgan_*
    r1: float = 0.0  # R1 penalty weight γ (0 = off)
    gp_weight: float = 10.0  # WGAN-GP λ
    clip: float = 0.01  # WGAN weight clipping c
    instance_noise: float = 0.0  # σ at the start, annealed linearly to 0 over anneal_steps
    anneal_steps: int = 10000
    pack: int = 1  # PacGAN: D sees `pack` samples concatenated (1 = off)
    minibatch_features: int = 0  # minibatch discrimination kernels B (0 = off)
    unrolled: int = 0  # k unrolled D steps in G's objective (0 = off)
    d_steps: int = 1
    g_optimizer: str = "adam"  # or "sgd"
    d_optimizer: str = "adam"
    g_lr: float = 1e-3
    d_lr: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    updates: str = "alternating"  # or "simultaneous"
    batch_size: int = 256
    #: Decay of an exponential moving average of G's weights, which the views and the metrics
    #: draw from (0 = off, G itself): it smooths out G's oscillation around the modes.
    g_average: float = 0.0

    def validate(self) -> list[str]:
        """Every problem, one per field, each naming the field; empty when the config is fine."""
        problems: list[str] = []

        def choice(label: str, value: object, options: tuple[str, ...]) -> None:
            if value not in options:
                problems.append(f"{label}: {value!r} is not one of {', '.join(options)}.")

        def integer(label: str, value: object, low: int, high: int) -> None:
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                problems.append(f"{label}: must be a whole number from {low} to {high} "
                                f"(got {value!r}).")

        def number(label: str, value: object, low: float, high: float,
                   low_open: bool = False) -> None:
            ok = (isinstance(value, int | float) and not isinstance(value, bool)
                  and math.isfinite(value) and (value > low if low_open else value >= low)
                  and value <= high)
            if not ok:
                bound = f"above {low:g}" if low_open else f"from {low:g}"
                problems.append(f"{label}: must be a number {bound} to {high:g} (got {value!r}).")

        def layers(label: str, value: object) -> None:
            ok = (isinstance(value, tuple | list) and 1 <= len(value) <= MAX_LAYERS
                  and all(isinstance(w, int) and not isinstance(w, bool)
                          and 1 <= w <= MAX_WIDTH for w in value))
            if not ok:
                problems.append(f"{label}: 1 to {MAX_LAYERS} layers of 1 to {MAX_WIDTH} units "
                                f"(got {value!r}).")

        choice("Data", self.data, TOY_DATA)
        integer("Seed", self.seed, 0, 2**63 - 1)
        integer("Noise dimensions", self.noise_dim, 1, 256)
        choice("Noise", self.noise, NOISES)
        layers("Generator layers", self.g_hidden)
        layers("Discriminator layers", self.d_hidden)
        choice("Activation", self.activation, tuple(ACTIVATIONS))
        choice("Loss", self.loss, LOSSES)
        number("R1 weight γ", self.r1, 0, 1e4)
        number("Gradient penalty λ", self.gp_weight, 0, 1e4)
        number("Weight clip c", self.clip, 0, 100, low_open=True)
        number("Instance noise σ", self.instance_noise, 0, 100)
        integer("Anneal steps", self.anneal_steps, 1, 10**9)
        integer("Packing", self.pack, 1, MAX_PACK)
        integer("Minibatch features", self.minibatch_features, 0, 256)
        integer("Unrolled steps k", self.unrolled, 0, MAX_UNROLLED)
        integer("D steps", self.d_steps, 1, 100)
        choice("G optimizer", self.g_optimizer, OPTIMIZERS)
        choice("D optimizer", self.d_optimizer, OPTIMIZERS)
        number("G learning rate", self.g_lr, 0, 10, low_open=True)
        number("D learning rate", self.d_lr, 0, 10, low_open=True)
        betas_ok = (isinstance(self.betas, tuple | list) and len(self.betas) == 2
                    and all(isinstance(b, int | float) and not isinstance(b, bool)
                            and 0 <= b < 1 for b in self.betas))
        if not betas_ok:
            problems.append(f"Adam betas: two numbers in [0, 1) (got {self.betas!r}).")
        choice("Updates", self.updates, UPDATES)
        integer("Batch size", self.batch_size, 2, MAX_BATCH)
        number("G average decay", self.g_average, 0, 0.99999)
        pack_ok = isinstance(self.pack, int) and isinstance(self.batch_size, int)
        if pack_ok and 1 <= self.pack <= MAX_PACK and 2 <= self.batch_size < 2 * self.pack:
            problems.append(f"Batch size: at least {2 * self.pack} for packing {self.pack}, so "
                            f"D sees two packed inputs.")
        return problems

    @property
    def critic_output(self) -> bool:
        """True when D's output is a raw score rather than a probability."""
        return self.loss not in ("saturating", "non_saturating")
