"""pix2pix (Isola et al. 2017): image-to-image translation with a conditional GAN.

A U-Net G translates an input image a into an output G(a); a PatchGAN D judges (a, output)
pairs patch by patch, so G is pushed towards outputs that look real in every patch, while an
L1 term ties the output to the target y as a whole:

    G minimises  adversarial(D(a, G(a))) + λ·‖y − G(a)‖₁,   D minimises ½·(its GAN loss)

with the paper's choices: the non-saturating cross-entropy by default (``cfg.gan_loss``), λ =
100 (``cfg.l1_weight``), D's objective halved to slow it relative to G, Adam with β = (0.5,
0.999). The pairs are made from each batch of images (``paired_tasks``), or, for the task
``pairs``, come with the data: the trainer hands each batch's B images as the side input. With
``cfg.adversarial`` off the same U-Net trains on L1 alone: the paper's blurry baseline.

The nets work in [−1, 1] as the GANs do; the L1 term of the objective is in those units (the
paper's), and the reported ``l1`` is the mean absolute error per pixel in [0, 1].
"""

from __future__ import annotations

import numpy as np
import torch

from latentlab.config import ModelConfig, TrainConfig, paired_task_problem
from latentlab.core.data.dataset import Dataset
from latentlab.core.models.base import LatentModel, StepLosses, detached
from latentlab.core.models.gan import ADAM_BETAS, to_tanh_range
from latentlab.core.models.gan_objectives import discriminator_loss, generator_loss
from latentlab.core.models.paired_tasks import USER_PAIRS, make_pair
from latentlab.core.models.pix2pix_nets import PatchDiscriminator, UNet

Terms = dict[str, torch.Tensor]


class Pix2Pix(LatentModel):
    """``decoder`` is the U-Net generator (what a snapshot copies), ``discriminator`` the
    PatchGAN (None for the L1-only variant). There are no codes: ``translate`` maps inputs to
    outputs; ``embed``, ``decode`` and ``reconstruct`` refuse."""

    has_encoder = False
    reconstructs = False

    def __init__(self, cfg: ModelConfig, input_shape: tuple[int, int, int]) -> None:
        super().__init__(cfg, input_shape)
        self.decoder = UNet(input_shape)
        self.discriminator = PatchDiscriminator(input_shape) if cfg.adversarial else None
        # The L1-only variant has no D: it reports no D or G loss rather than NaN, which the
        # trainer would take for a diverged run.
        self.loss_terms = ("d_loss", "g_loss", "l1") if cfg.adversarial else ("l1",)

    # ------------------------------------------------------------------ translating
    def translate(self, inputs: torch.Tensor) -> torch.Tensor:
        """Task inputs in [0, 1] → outputs in [0, 1] (the model keeps its train or eval mode)."""
        return (self.decoder(to_tanh_range(inputs)) + 1) / 2

    def pair(self, x: torch.Tensor, targets: torch.Tensor | None = None
             ) -> tuple[torch.Tensor, torch.Tensor]:
        """(input, target) of ``cfg.task`` for images ``x`` in [0, 1], both in [−1, 1];
        ``targets``: the B images of the user's own pairs (task ``pairs``)."""
        inputs, target = make_pair(self.cfg.task, x, targets)
        return to_tanh_range(inputs), to_tanh_range(target)

    # ------------------------------------------------------------------ training
    def make_optimizers(self, cfg: TrainConfig) -> list[torch.optim.Optimizer]:
        """[D's, G's] as the GANs order them; only G's for the L1-only variant."""
        g_opt = torch.optim.Adam(self.decoder.parameters(), lr=cfg.learning_rate,
                                 betas=ADAM_BETAS)
        if self.discriminator is None:
            return [g_opt]
        d_opt = torch.optim.Adam(self.discriminator.parameters(), lr=cfg.d_learning_rate,
                                 betas=ADAM_BETAS)
        return [d_opt, g_opt]

    def _d_loss(self, inputs: torch.Tensor, target: torch.Tensor,
                fake: torch.Tensor) -> torch.Tensor:
        """D's loss on real pairs (input, target) and fake ones (input, G(input)), each batch
        normalised on its own as in the paper's code."""
        assert self.discriminator is not None
        real_logits = self.discriminator(inputs, target)
        fake_logits = self.discriminator(inputs, fake.detach())
        return discriminator_loss(real_logits, fake_logits, self.cfg.gan_loss)

    def _g_terms(self, inputs: torch.Tensor, target: torch.Tensor,
                 fake: torch.Tensor) -> Terms:
        """G's objective (``g_total``) and its parts; ``l1`` per pixel in [0, 1] units."""
        l1_tanh = (fake - target).abs().mean()
        terms = {"l1": l1_tanh / 2, "g_total": self.cfg.l1_weight * l1_tanh}
        if self.discriminator is not None:
            g_loss = generator_loss(self.discriminator(inputs, fake), self.cfg.gan_loss)
            terms.update(g_loss=g_loss, g_total=g_loss + terms["g_total"])
        return terms

    def side_input(self, data: Dataset) -> np.ndarray | None:
        """The B images of the user's own pairs for task ``pairs``; nothing otherwise (the
        other tasks make their pairs from the images)."""
        return data.targets if self.cfg.task == USER_PAIRS else None

    def losses(self, x: torch.Tensor, side: torch.Tensor | None = None) -> Terms:
        """Every reported term on a batch of images, without a step (the held-out curve);
        ``side``: the batch's B images for task ``pairs``."""
        inputs, target = self.pair(x, side)
        fake = self.decoder(inputs)
        terms = self._g_terms(inputs, target, fake)
        if self.discriminator is not None:
            terms["d_loss"] = self._d_loss(inputs, target, fake)
        return {name: terms[name] for name in self.loss_terms}

    def train_step(self, x: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                   side: torch.Tensor | None = None) -> StepLosses:
        """One D step on the batch's pairs, then one G step against the updated D; returns
        each net's terms from before its own step, on the device. ``side``: B images, as for
        ``losses``."""
        g_opt = optimizers[-1]
        inputs, target = self.pair(x, side)
        with self.autocast():
            fake = self.decoder(inputs)
        terms: Terms = {}
        if self.discriminator is not None:
            d_opt = optimizers[0]
            with self.autocast():
                terms["d_loss"] = self._d_loss(inputs, target, fake)
            d_opt.zero_grad(set_to_none=True)
            (0.5 * terms["d_loss"]).backward()  # halved, as the paper does, to slow D
            d_opt.step()
            # G's step needs gradients through D, not D's own.
            self.discriminator.requires_grad_(False)
        try:
            with self.autocast():
                terms.update(self._g_terms(inputs, target, fake))
            g_opt.zero_grad(set_to_none=True)
            terms["g_total"].backward()
            g_opt.step()
        finally:
            if self.discriminator is not None:
                self.discriminator.requires_grad_(True)
        return detached(terms, self.loss_terms)

    def data_problem(self, data: Dataset) -> str | None:
        if data.kind == "text":
            return (f"{data.name}: pix2pix translates images, and this dataset is text (word "
                    "vectors).")
        if self.cfg.task == USER_PAIRS and data.targets is None:
            return (f"{data.name}: the pairs task trains on your own A → B pairs, and this "
                    "dataset has none; load it with pairs (--pairs: a folder with A/ and B/ "
                    "of images, or a .npz with arrays A and B).")
        problem = paired_task_problem(self.cfg.task, data.input_shape[0])
        return None if problem is None else f"{data.name}: {problem}."

    # ------------------------------------------------------------------ no codes
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        raise TypeError("pix2pix has no encoder: it translates images, it gives them no codes.")

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        raise TypeError("pix2pix has no codes to decode: use translate on its task's inputs.")

    def reconstruct(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        raise TypeError("pix2pix does not reconstruct its inputs: use translate.")


__all__ = ["Pix2Pix"]
