"""CycleGAN (Zhu et al. 2017): translation between two domains of images without pairs.

Two generators, G: A → B and F: B → A, each against a discriminator of its target domain, and
the cycle-consistency that keeps an item's content on the way there and back:

    G, F minimise  GAN(D_B, G(a)) + GAN(D_A, F(b)) + λ·(‖F(G(a)) − a‖₁ + ‖G(F(b)) − b‖₁)
                   + λ_id·λ·(‖G(b) − b‖₁ + ‖F(a) − a‖₁)
    D_A, D_B minimise their least-squares loss on real items and on recent fakes

with the paper's choices: least squares (``cfg.gan_loss``), λ = 10 (``cfg.cycle_weight``),
the identity term at half of λ (``cfg.identity_weight`` = 0.5; 0 turns it off), instance
norm, Adam 2e-4 with β = (0.5, 0.999), and each D shown a history of 50 generated images
rather than only the latest (Shrivastava et al.'s pool), which damps the oscillation.

The data is one dataset holding both domains (``core.data.domains``): its ``domains`` array
says which each item belongs to, and the trainer hands it with each batch as the side input.
A batch is split by domain; a domain the batch happens to lack (a small last batch) is drawn at
random from that domain's train items. Images work in [−1, 1] as the GANs' do; the reported
``cycle`` and ``identity`` are mean absolute errors per pixel in [0, 1].
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data.dataset import Dataset
from latentlab.core.data.pixels import tensor_images
from latentlab.core.models.base import LatentModel, StepLosses, detached
from latentlab.core.models.cyclegan_nets import ImageDiscriminator, ResnetGenerator
from latentlab.core.models.gan import ADAM_BETAS, to_tanh_range
from latentlab.core.models.gan_objectives import discriminator_loss, generator_loss

Terms = dict[str, torch.Tensor]
#: The discriminators' history of generated images (the paper's 50).
POOL_SIZE = 50
DOMAIN_A, DOMAIN_B = 0, 1
DIRECTIONS = ("a_to_b", "b_to_a")


class FakePool:
    """The last POOL_SIZE generated images of a domain: each new fake either joins the pool
    (while it fills) or, half the time once full, swaps places with a random older one, which
    D sees instead."""

    def __init__(self, size: int = POOL_SIZE) -> None:
        self.size = size
        self.images: torch.Tensor | None = None

    def query(self, fakes: torch.Tensor) -> torch.Tensor:
        fakes = fakes.detach()
        if self.size == 0:
            return fakes
        out = fakes.clone()
        for i in range(len(fakes)):
            held = 0 if self.images is None else len(self.images)
            if held < self.size:
                self.images = fakes[i : i + 1].clone() if self.images is None else torch.cat(
                    [self.images, fakes[i : i + 1]])
            elif float(torch.rand(())) < 0.5:
                assert self.images is not None
                j = int(torch.randint(self.size, ()))
                out[i] = self.images[j]
                self.images[j] = fakes[i]
        return out


class CycleGAN(LatentModel):
    """``decoder`` holds both generators (``a_to_b``, ``b_to_a``: what a snapshot copies),
    ``discriminators`` D_A and D_B. There are no codes: ``translate`` maps a domain's images to
    the other's; ``embed``, ``decode`` and ``reconstruct`` refuse."""

    has_encoder = False
    reconstructs = False
    loss_terms = ("d_loss", "g_loss", "cycle", "identity")

    def __init__(self, cfg: ModelConfig, input_shape: tuple[int, int, int]) -> None:
        super().__init__(cfg, input_shape)
        self.decoder = nn.ModuleDict({d: ResnetGenerator(input_shape) for d in DIRECTIONS})
        self.discriminators = nn.ModuleDict({d: ImageDiscriminator(input_shape)
                                             for d in ("a", "b")})
        self.pools = {"a": FakePool(), "b": FakePool()}
        #: Each domain's train items (on the training device), drawn from when a batch has none.
        self._train_items: dict[int, torch.Tensor] = {}

    # ------------------------------------------------------------------ translating
    def translate(self, x: torch.Tensor, direction: str = "a_to_b") -> torch.Tensor:
        """Images of one domain in [0, 1] → the other domain's, in [0, 1] (the model keeps its
        train or eval mode)."""
        if direction not in DIRECTIONS:
            raise ValueError(f"Unknown direction {direction!r}; choose a_to_b or b_to_a.")
        return (self.decoder[direction](to_tanh_range(x)) + 1) / 2

    # ------------------------------------------------------------------ data
    def side_input(self, data: Dataset) -> np.ndarray | None:
        return None if data.domains is None else data.domains.astype(np.int64)

    def data_problem(self, data: Dataset) -> str | None:
        if data.kind == "text":
            return (f"{data.name}: CycleGAN translates images, and this dataset is text (word "
                    "vectors).")
        if data.domains is None:
            return (f"{data.name}: CycleGAN translates between two domains of images, and this "
                    "dataset is one; give a second (--data-b, --derive-b or --classes-a/-b).")
        for domain, name in ((DOMAIN_A, "A"), (DOMAIN_B, "B")):
            held = int(np.count_nonzero(data.domains[data.train_indices] == domain))
            if held < 2:
                return (f"{data.name}: domain {name} has {held} train item(s); CycleGAN needs "
                        "at least 2 in each domain.")
        return None

    def prepare_training(self, x_train: torch.Tensor, side: torch.Tensor | None = None) -> None:
        if side is None:
            raise ValueError("CycleGAN trains on a dataset of two domains: none given.")
        # On the model's device even when the trainer keeps a large split in host memory.
        device = next(self.parameters()).device
        self._train_items = {d: x_train[side == d].to(device) for d in (DOMAIN_A, DOMAIN_B)}

    def split(self, x: torch.Tensor, domains: torch.Tensor | None
              ) -> tuple[torch.Tensor, torch.Tensor]:
        """The batch's A and B items in [−1, 1]; a domain it lacks is drawn from the train
        items (a batch of as many as the other domain has)."""
        if domains is None:
            raise ValueError("CycleGAN needs each item's domain: none given.")
        parts = [x[domains == d] for d in (DOMAIN_A, DOMAIN_B)]
        for d, part in enumerate(parts):
            if len(part) == 0:
                pool = self._train_items.get(d)
                if pool is None or len(pool) == 0:
                    raise ValueError("CycleGAN: a batch without one domain, and no train "
                                     "items of it to draw from.")
                rows = torch.randint(len(pool), (max(1, len(parts[1 - d])),),
                                     device=pool.device)
                parts[d] = tensor_images(pool[rows])  # the train items as stored
        return to_tanh_range(parts[0]), to_tanh_range(parts[1])

    # ------------------------------------------------------------------ training
    def make_optimizers(self, cfg: TrainConfig) -> list[torch.optim.Optimizer]:
        """[both D's, both G's], as the GANs order them."""
        d_opt = torch.optim.Adam(self.discriminators.parameters(), lr=cfg.d_learning_rate,
                                 betas=ADAM_BETAS)
        g_opt = torch.optim.Adam(self.decoder.parameters(), lr=cfg.learning_rate,
                                 betas=ADAM_BETAS)
        return [d_opt, g_opt]

    def _g_terms(self, real_a: torch.Tensor, real_b: torch.Tensor
                 ) -> tuple[Terms, torch.Tensor, torch.Tensor]:
        """G and F's objective (``g_total``) and its parts, and the fakes (B's, A's)."""
        g, f = self.decoder["a_to_b"], self.decoder["b_to_a"]
        kind = self.cfg.gan_loss
        fake_b, fake_a = g(real_a), f(real_b)
        adversarial = (generator_loss(self.discriminators["b"](fake_b), kind)
                       + generator_loss(self.discriminators["a"](fake_a), kind))
        cycle = (f(fake_b) - real_a).abs().mean() + (g(fake_a) - real_b).abs().mean()
        lam = self.cfg.cycle_weight
        total = adversarial + lam * cycle
        # Reported in [0, 1] units, per pixel and direction: |Δ| in [−1, 1] is twice that.
        terms = {"g_loss": adversarial, "cycle": cycle / 4}
        if self.cfg.identity_weight > 0:
            identity = (g(real_b) - real_b).abs().mean() + (f(real_a) - real_a).abs().mean()
            total = total + self.cfg.identity_weight * lam * identity
            terms["identity"] = identity / 4
        else:
            terms["identity"] = torch.zeros((), device=real_a.device)
        terms["g_total"] = total
        return terms, fake_b, fake_a

    def _d_loss(self, real_a: torch.Tensor, real_b: torch.Tensor, fake_a: torch.Tensor,
                fake_b: torch.Tensor) -> torch.Tensor:
        kind = self.cfg.gan_loss
        d_a, d_b = self.discriminators["a"], self.discriminators["b"]
        return (discriminator_loss(d_a(real_a), d_a(fake_a.detach()), kind)
                + discriminator_loss(d_b(real_b), d_b(fake_b.detach()), kind))

    def losses(self, x: torch.Tensor, side: torch.Tensor | None = None) -> Terms:
        """Every reported term on a batch, without a step (the held-out curve)."""
        real_a, real_b = self.split(x, side)
        terms, fake_b, fake_a = self._g_terms(real_a, real_b)
        terms["d_loss"] = self._d_loss(real_a, real_b, fake_a, fake_b)
        return {name: terms[name] for name in self.loss_terms}

    def train_step(self, x: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                   side: torch.Tensor | None = None) -> StepLosses:
        """One step of both generators, then one of both discriminators on real items and
        fakes from the pools (the paper's order); returns the terms from before the steps,
        on the device."""
        d_opt, g_opt = optimizers
        real_a, real_b = self.split(x, side)
        self.discriminators.requires_grad_(False)  # G's step needs gradients through D only
        try:
            with self.autocast():
                terms, fake_b, fake_a = self._g_terms(real_a, real_b)
            g_opt.zero_grad(set_to_none=True)
            terms["g_total"].backward()
            g_opt.step()
        finally:
            self.discriminators.requires_grad_(True)
        with self.autocast():
            terms["d_loss"] = self._d_loss(real_a, real_b, self.pools["a"].query(fake_a),
                                           self.pools["b"].query(fake_b))
        d_opt.zero_grad(set_to_none=True)
        (0.5 * terms["d_loss"]).backward()  # halved, as the paper does, to slow D
        d_opt.step()
        return detached(terms, self.loss_terms)

    # ------------------------------------------------------------------ no codes
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        raise TypeError("CycleGAN has no encoder: it translates images, it gives them no codes.")

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        raise TypeError("CycleGAN has no codes to decode: use translate on a domain's images.")

    def reconstruct(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        raise TypeError("CycleGAN does not reconstruct its inputs: use translate.")


__all__ = ["DIRECTIONS", "DOMAIN_A", "DOMAIN_B", "CycleGAN", "FakePool"]
