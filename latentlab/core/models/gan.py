"""GANs (Goodfellow et al. 2014) and InfoGAN (Chen et al. 2016), whose Q head turns the
discriminator into an encoder for a few interpretable codes.

The objective is the binary cross-entropy (saturating or non-saturating generator loss), least
squares, hinge or WGAN-GP (``gan_objectives``); R1, instance noise, minibatch discrimination and
an unrolled discriminator (``gan_unrolled``) can be added to any of them. InfoGAN's information
term is added to whichever G loss is chosen.

Images live in [0, 1] everywhere else in latentlab; the adversarial pair works in [−1, 1] (a Tanh
output, as the DCGAN guidelines advise), so real batches are rescaled on the way in and generated
images on the way out (``Generator.mean``).
"""

from __future__ import annotations

import math
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.models.base import LatentModel, StepLosses, detached, to_device
from latentlab.core.models.gan_layers import Generator, build_discriminator, build_q_head
from latentlab.core.models.gan_objectives import (
    INSTANCE_NOISE_STEPS,
    add_instance_noise,
    d_reading,
    discriminator_loss,
    generator_loss,
    gradient_penalty,
    instance_noise_sigma,
    r1_penalty,
)
from latentlab.core.models.gan_unrolled import unrolled_critic

#: The continuous codes' Gaussian term is down-weighted so it does not swamp the categorical one
#: (Chen et al. use a smaller λ for continuous codes).
CONTINUOUS_INFO_WEIGHT = 0.1
#: Adam's β₁ = 0.5 steadies adversarial training (Radford et al.).
ADAM_BETAS = (0.5, 0.999)
#: What an unrolled D looks ahead from: the real batch and D's optimiser.
Lookahead = tuple[torch.Tensor, torch.optim.Optimizer]


def to_tanh_range(x: torch.Tensor) -> torch.Tensor:
    return x * 2 - 1


class GAN(LatentModel):
    """Generator G(z) against discriminator D(x); ``decoder`` is G so live views decode with it.

    A GAN has no encoder: its maps show a 2-D slice of the noise space, never real items.
    """

    loss_terms = ("d_loss", "g_loss", "d_real", "d_fake")
    has_encoder = False
    reconstructs = False
    #: Whether the generator's input holds a category (InfoGAN's code, a conditional GAN's
    #: class): ``generator_input``/``split_input`` then build and split it.
    has_category_input = False
    #: Whether it also holds continuous codes (InfoGAN's), which its map shows.
    has_continuous_codes = False

    def __init__(self, cfg: ModelConfig, input_shape: tuple[int, int, int]) -> None:
        super().__init__(cfg, input_shape)
        self._build_networks(cfg, input_shape)
        #: Discriminator steps taken so far, and over how many instance noise falls to 0 (the
        #: whole run once the trainer says how long it is).
        self.d_steps_done = 0
        self.noise_anneal_d_steps = INSTANCE_NOISE_STEPS

    def _build_networks(self, cfg: ModelConfig, input_shape: tuple[int, int, int]) -> None:
        """G (``decoder``) and D: its ``features``, ``critic`` and ``feature_dim``."""
        self.decoder = Generator(cfg, input_shape, self.input_dim)
        self.features, self.critic, self.feature_dim = build_discriminator(cfg, input_shape)

    @property
    def input_dim(self) -> int:
        """Length of the generator's input vector."""
        return self.cfg.noise_dim

    @property
    def code_dim(self) -> int:
        """Dimensions of the space the map shows: a slice of at most two noise dimensions."""
        return min(2, self.cfg.noise_dim)

    # ------------------------------------------------------------------ sampling
    def sample_noise(self, n: int, generator: torch.Generator | None = None,
                     device: torch.device | str = "cpu") -> torch.Tensor:
        return to_device(torch.randn(n, self.cfg.noise_dim, generator=generator), device)

    def sample_inputs(self, n: int, generator: torch.Generator | None = None,
                      device: torch.device | str = "cpu") -> torch.Tensor:
        """Generator inputs drawn from the prior (N(0, I) noise)."""
        return self.sample_noise(n, generator, device)

    def prior_sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.sample_inputs(n, generator)

    def grid_inputs(self, seed: int = 0) -> tuple[torch.Tensor, int, int]:
        """A fixed batch for the live sample grid: (inputs, rows, columns)."""
        generator = torch.Generator().manual_seed(seed)
        return self.sample_inputs(64, generator), 8, 8

    # ---------------------------------------------------------------- training
    def discriminate(self, x_tanh: torch.Tensor, labels: torch.Tensor | None = None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits, features) of D for images in [−1, 1]; ``labels`` are for a conditional D
        (a plain GAN's D judges images alone)."""
        features = self.features(x_tanh)
        return self.critic(features).squeeze(1), features

    def fake_inputs(self, n: int, device: torch.device | str,
                    labels: torch.Tensor | None = None) -> torch.Tensor:
        """Generator inputs for a training batch (a conditional GAN uses ``labels``)."""
        return self.sample_inputs(n, device=device)

    def _discriminator_parameters(self) -> list[nn.Parameter]:
        return [*self.features.parameters(), *self.critic.parameters()]

    def make_optimizers(self, cfg: TrainConfig) -> list[torch.optim.Optimizer]:
        return [
            torch.optim.Adam(self._discriminator_parameters(), lr=cfg.d_learning_rate,
                             betas=ADAM_BETAS),
            torch.optim.Adam(self._generator_side_parameters(), lr=cfg.learning_rate,
                             betas=ADAM_BETAS),
        ]

    def _generator_side_parameters(self) -> list[nn.Parameter]:
        return list(self.decoder.parameters())

    def plan_steps(self, total_steps: int) -> None:
        self.noise_anneal_d_steps = max(1, total_steps * self.cfg.d_steps)

    def _critic(self, x_tanh: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.discriminate(x_tanh, labels)[0]

    def _noise_sigma(self, training: bool) -> float:
        """Instance noise is a training aid: held-out losses see the images as they are."""
        if not training or self.cfg.instance_noise <= 0:
            return 0.0
        return instance_noise_sigma(self.cfg.instance_noise, self.d_steps_done,
                                    self.noise_anneal_d_steps)

    def _d_terms(self, real: torch.Tensor, training: bool = False,
                 labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """D's loss (``d_total`` adds the penalties, which need gradients: training only). A
        conditional GAN's fakes carry the real batch's ``labels``, so D compares like with like."""
        with torch.no_grad():
            fake = self.decoder(self.fake_inputs(len(real), real.device, labels))
        sigma = self._noise_sigma(training)
        real, fake = add_instance_noise(real, sigma), add_instance_noise(fake, sigma)
        real_logits, _ = self.discriminate(real, labels)
        fake_logits, _ = self.discriminate(fake, labels)
        kind = self.cfg.gan_loss
        d_loss = discriminator_loss(real_logits, fake_logits, kind)
        d_total = d_loss
        critic = partial(self._critic, labels=labels)
        if training and kind == "wgan_gp":
            d_total = d_total + gradient_penalty(critic, real, fake)
        if training and self.cfg.r1 > 0:
            d_total = d_total + r1_penalty(critic, real, self.cfg.r1)
        return {
            "d_loss": d_loss,
            "d_total": d_total,
            "d_real": d_reading(kind, real_logits).detach(),
            "d_fake": d_reading(kind, fake_logits).detach(),
        }

    def _discriminate_fake(self, fake: torch.Tensor, training: bool,
                           lookahead: Lookahead | None = None,
                           labels: torch.Tensor | None = None
                           ) -> tuple[torch.Tensor, torch.Tensor]:
        """(D's logits, D's features) on generated images; with ``lookahead``, the logits of D
        unrolled ``cfg.unrolled`` steps ahead (the features stay the current D's)."""
        sigma = self._noise_sigma(training)
        logits, features = self.discriminate(add_instance_noise(fake, sigma), labels)
        if lookahead is not None:
            real, d_opt = lookahead
            ahead = unrolled_critic(self.features, self.critic, real, fake, d_opt,
                                    self.cfg.unrolled, self.cfg.gan_loss, sigma)
            logits = ahead(add_instance_noise(fake, sigma))
        return logits, features

    def _g_terms(self, n: int, device: torch.device, training: bool = False,
                 lookahead: Lookahead | None = None,
                 labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """The generator's objective (``g_total`` is what its optimiser minimises)."""
        fake = self.decoder(self.fake_inputs(n, device, labels))
        fake_logits, _ = self._discriminate_fake(fake, training, lookahead, labels)
        g_loss = generator_loss(fake_logits, self.cfg.gan_loss)
        return {"g_loss": g_loss, "g_total": g_loss}

    def losses(self, x: torch.Tensor,
               labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Every reported term on a batch, without a step (for held-out curves)."""
        real = to_tanh_range(x)
        terms = {**self._d_terms(real, labels=labels),
                 **self._g_terms(len(x), x.device, labels=labels)}
        return {name: terms[name] for name in self.loss_terms}

    def train_step(self, x: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                   labels: torch.Tensor | None = None) -> StepLosses:
        """``d_steps`` discriminator updates, then one generator update, on one real batch
        (with its class ``labels`` for a conditional GAN); the terms stay on the device."""
        d_opt, g_opt = optimizers
        real = to_tanh_range(x)
        for _ in range(self.cfg.d_steps):
            with self.autocast():
                d_terms = self._d_terms(real, training=True, labels=labels)
            d_opt.zero_grad(set_to_none=True)
            d_terms["d_total"].backward()
            d_opt.step()
            self.d_steps_done += 1
        lookahead = (real, d_opt) if self.cfg.unrolled > 0 else None
        with self.autocast():
            g_terms = self._g_terms(len(x), x.device, training=True, lookahead=lookahead,
                                    labels=labels)
        g_opt.zero_grad(set_to_none=True)
        g_terms["g_total"].backward()
        g_opt.step()
        return detached({**d_terms, **g_terms}, self.loss_terms)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        raise TypeError("A GAN has no encoder: real inputs have no place in its noise space.")

    def reconstruct(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        raise TypeError("A GAN has no encoder, so it cannot reconstruct its inputs.")


class InfoGAN(GAN):
    """G(z, c) with c = one categorical code (K classes) + continuous codes uniform on [−1, 1].

    A Q head on D's features predicts c from G's samples; the generator and Q maximise the
    variational lower bound on the mutual information I(c; G(z, c)), weighted by λ. For the
    categorical code the bound is ln K − CE, reported as ``info`` (it rises towards ln K).
    Q is also an encoder: ``embed`` maps real images to their predicted continuous codes.
    """

    loss_terms = ("d_loss", "g_loss", "d_real", "d_fake", "info")
    predicts_categories = True
    has_encoder = True
    has_category_input = True
    has_continuous_codes = True

    def __init__(self, cfg: ModelConfig, input_shape: tuple[int, int, int]) -> None:
        super().__init__(cfg, input_shape)
        self.q_head = build_q_head(cfg, self.feature_dim, cfg.n_categories + cfg.n_continuous)

    @property
    def input_dim(self) -> int:
        return self.cfg.noise_dim + self.cfg.n_categories + self.cfg.n_continuous

    @property
    def code_dim(self) -> int:
        return self.cfg.n_continuous

    def generator_input(self, noise: torch.Tensor, category: torch.Tensor,
                        continuous: torch.Tensor) -> torch.Tensor:
        """[scaled noise, one-hot(category), continuous] as G expects it.

        A noise scale below 1 keeps 62 noise dimensions from drowning one one-hot code in G's
        first layer (ClusterGAN's small noise): G must use the category to reach the data's
        classes, and the category becomes the digit sooner."""
        one_hot = F.one_hot(category.long(), self.cfg.n_categories).to(noise.dtype)
        return torch.cat([noise * self.cfg.noise_scale, one_hot, continuous.to(noise.dtype)],
                         dim=1)

    def split_input(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Inverse of ``generator_input``: (noise, category index, continuous codes)."""
        k, n_noise = self.cfg.n_categories, self.cfg.noise_dim
        return (z[:, :n_noise] / self.cfg.noise_scale, z[:, n_noise : n_noise + k].argmax(1),
                z[:, n_noise + k :])

    def _sample_codes(self, n: int, generator: torch.Generator | None,
                      device: torch.device | str) -> tuple[torch.Tensor, ...]:
        noise = self.sample_noise(n, generator)
        category = torch.randint(self.cfg.n_categories, (n,), generator=generator)
        continuous = torch.rand(n, self.cfg.n_continuous, generator=generator) * 2 - 1
        return tuple(to_device(t, device) for t in (noise, category, continuous))

    def sample_inputs(self, n: int, generator: torch.Generator | None = None,
                      device: torch.device | str = "cpu") -> torch.Tensor:
        return self.generator_input(*self._sample_codes(n, generator, device))

    def grid_inputs(self, seed: int = 0) -> tuple[torch.Tensor, int, int]:
        return category_grid_inputs(self, seed)

    def _generator_side_parameters(self) -> list[nn.Parameter]:
        return [*self.decoder.parameters(), *self.q_head.parameters()]

    def _g_terms(self, n: int, device: torch.device, training: bool = False,
                 lookahead: Lookahead | None = None,
                 labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        noise, category, continuous = self._sample_codes(n, None, device)
        fake = self.decoder(self.generator_input(noise, category, continuous))
        fake_logits, features = self._discriminate_fake(fake, training, lookahead)
        g_loss = generator_loss(fake_logits, self.cfg.gan_loss)
        q = self.q_head(features)
        k = self.cfg.n_categories
        cross_entropy = F.cross_entropy(q[:, :k], category)
        # A unit-variance Gaussian Q(c|x) for the continuous codes: its NLL up to a constant.
        continuous_nll = 0.5 * (q[:, k:] - continuous).pow(2).sum(1).mean()
        info_loss = cross_entropy + CONTINUOUS_INFO_WEIGHT * continuous_nll
        return {
            "g_loss": g_loss,
            "g_total": g_loss + self.cfg.info_weight * info_loss,
            "info": (math.log(k) - cross_entropy).detach(),
        }

    def infer_codes(self, x: torch.Tensor, labels: torch.Tensor | None = None
                    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Real images → (Q's continuous codes, Q's most likely category) in one pass."""
        q = self.q_head(self.features(to_tanh_range(x)))
        k = self.cfg.n_categories
        return q[:, k:], q[:, :k].argmax(1)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Real images → Q's continuous codes (the map's coordinates)."""
        return self.infer_codes(x)[0]

    def predict_category(self, x: torch.Tensor) -> torch.Tensor:
        """Real images → Q's most likely category: an unsupervised clustering."""
        return self.infer_codes(x)[1]


def category_grid_inputs(model: GAN, seed: int = 0) -> tuple[torch.Tensor, int, int]:
    """One row per category (at most 10), the same 8 noise vectors in every row, continuous
    codes at 0: the live sample grid of a GAN with a category input (InfoGAN, conditional)."""
    generator = torch.Generator().manual_seed(seed)
    rows, cols = min(model.cfg.n_categories, 10), 8
    noise = model.sample_noise(cols, generator).repeat(rows, 1)
    category = torch.arange(rows).repeat_interleave(cols)
    continuous = torch.zeros(rows * cols, model.cfg.n_continuous if model.has_continuous_codes
                             else 0)
    return model.generator_input(noise, category, continuous), rows, cols
