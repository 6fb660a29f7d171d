"""Progressive growing's networks (Karras et al. 2018), DCGAN-style: a generator and a
discriminator built for every stage of a ladder of resolutions, which use the layers up to the
current stage and fade the newest one in.

Both carry the stage as registered buffers — ``resolution`` (the current side) and ``alpha``
(how far the newest layers are faded in) — so the stage travels with their state dicts: in a
snapshot of the generator to the window's live copy, and in a checkpoint.

G's blocks double the side with a transposed convolution (kernel 4, stride 2, as DCGAN's
generator), D's halve it with a strided convolution (as DCGAN's discriminator). LeakyReLU in
both; no batch norm: G normalises each pixel's features instead (``PixelNorm``), D sees the
batch's spread (``MinibatchStd``). Images are in [−1, 1] (a Tanh on every toRGB layer), and
G's output and D's input are always at the data's full size: G's image is upsampled (nearest)
from the current stage, D average-pools it back, which gives the stage's image exactly.
"""

from __future__ import annotations

import itertools
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from latentlab.config import ModelConfig
from latentlab.config_progan import effective_stages

#: Feature maps at the lowest stage; each later stage has half as many, down to the floor.
TOP_WIDTH = 128
MIN_WIDTH = 32
#: Width of D's last hidden layer (the features the critic reads).
FEATURE_WIDTH = 256
#: Keeps the pixel norm and the standard deviation finite where every value is 0.
EPS = 1e-8


def stage_widths(n_stages: int) -> list[int]:
    """Feature maps at each stage: 128, 64, 32, 32, …"""
    return [max(MIN_WIDTH, TOP_WIDTH >> i) for i in range(n_stages)]


def _act() -> nn.Module:
    return nn.LeakyReLU(0.2)


class PixelNorm(nn.Module):
    """Each pixel's feature vector divided by its root mean square over the features: G's
    signal magnitudes cannot escalate while G and D compete (the paper's section 4.2)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(1, keepdim=True) + EPS)


class MinibatchStd(nn.Module):
    """One more feature map: the standard deviation of each feature at each pixel over the
    batch, averaged into one number. Real batches are varied; a collapsed G's are not, and D
    sees it (the paper's section 3)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        spread = (x.var(0, unbiased=False) + EPS).sqrt().mean()
        n, _, h, w = x.shape
        return torch.cat([x, spread.expand(n, 1, h, w)], dim=1)


def pool_to(x: torch.Tensor, side: int) -> torch.Tensor:
    """Images average-pooled down to ``side`` (a divisor of their side)."""
    factor = x.shape[-1] // side
    return x if factor == 1 else F.avg_pool2d(x, factor)


def upsample_to(x: torch.Tensor, side: int) -> torch.Tensor:
    """Images repeated (nearest neighbour) up to ``side`` (a multiple of their side)."""
    factor = side // x.shape[-1]
    return x if factor == 1 else F.interpolate(x, scale_factor=factor, mode="nearest")


class Growing(nn.Module):
    """The current stage as buffers: ``resolution`` (a side of ``sides``) and ``alpha`` in
    [0, 1], which blends a stage's new layers in over the old stage's (1: fully in)."""

    def __init__(self, sides: tuple[int, ...]) -> None:
        super().__init__()
        self.sides = sides
        self.register_buffer("resolution", torch.tensor(sides[0]))
        self.register_buffer("alpha", torch.tensor(1.0))

    @torch.no_grad()
    def set_stage(self, resolution: int, alpha: float) -> None:
        if resolution not in self.sides or not 0 <= alpha <= 1:
            raise ValueError(f"No stage {resolution}×{resolution} at α {alpha} among "
                             f"{self.sides}.")
        self.resolution.fill_(resolution)
        self.alpha.fill_(alpha)

    def stage(self) -> tuple[int, float]:
        """(the current side, α)."""
        return int(self.resolution), float(self.alpha)

    def _stage_index(self) -> tuple[int, float]:
        """(the current stage's index in ``sides``, α)."""
        resolution, alpha = self.stage()
        return self.sides.index(resolution), alpha

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any
                              ) -> None:
        super()._load_from_state_dict(state_dict, prefix, *args)
        error_msgs: list[str] = args[-1]
        resolution, alpha = self.stage()
        if resolution not in self.sides or not 0 <= alpha <= 1:
            # A stage this network does not have (a damaged or hand-edited file).
            error_msgs.append(f"{prefix}resolution {resolution}, alpha {alpha}: not a stage of "
                              f"{', '.join(map(str, self.sides))} with α in [0, 1]")


class ProgressiveGenerator(Growing):
    """Generator input → image in [−1, 1] at the data's full size (``forward``), or in [0, 1]
    (``mean``, for the views); ``at_stage`` gives the image at the current stage's side."""

    def __init__(self, cfg: ModelConfig, input_shape: tuple[int, int, int],
                 input_dim: int) -> None:
        super().__init__(effective_stages(cfg.stages, input_shape[1]))
        self.input_shape = input_shape
        widths = stage_widths(len(self.sides))
        side, width = self.sides[0], widths[0]

        def norm() -> list[nn.Module]:
            return [PixelNorm()] if cfg.pixel_norm else []

        self.base = nn.Sequential(
            nn.Linear(input_dim, width * side * side), nn.Unflatten(1, (width, side, side)),
            _act(), *norm(), nn.Conv2d(width, width, 3, padding=1), _act(), *norm())
        # blocks[i - 1] grows stage i − 1's features to stage i's side.
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.ConvTranspose2d(w_in, w_out, 4, stride=2, padding=1), _act(),
                          *norm())
            for w_in, w_out in itertools.pairwise(widths))
        self.to_rgb = nn.ModuleList(
            nn.Sequential(nn.Conv2d(w, input_shape[0], 1), nn.Tanh()) for w in widths)

    def at_stage(self, z: torch.Tensor) -> torch.Tensor:
        """The image at the current side: while a stage fades in, (1 − α)·upsample(toRGB_old(h))
        + α·toRGB_new(block(h)), h the previous stage's features."""
        index, alpha = self._stage_index()
        h = self.base(z)
        for block in self.blocks[: max(index - 1, 0)]:
            h = block(h)
        if index == 0:
            return self.to_rgb[0](h)
        new = self.to_rgb[index](self.blocks[index - 1](h))
        if alpha >= 1:
            return new
        old = upsample_to(self.to_rgb[index - 1](h), new.shape[-1])
        return (1 - alpha) * old + alpha * new

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return upsample_to(self.at_stage(z), self.input_shape[1])

    def mean(self, z: torch.Tensor) -> torch.Tensor:
        return (self(z) + 1) / 2


class ProgressiveDiscriminator(Growing):
    """Full-size images in [−1, 1] → D's last hidden features (``width`` of them): the images
    are pooled to the current side; while a stage fades in, its first features are
    (1 − α)·fromRGB_old(downsample(x)) + α·block(fromRGB_new(x))."""

    def __init__(self, cfg: ModelConfig, input_shape: tuple[int, int, int]) -> None:
        super().__init__(effective_stages(cfg.stages, input_shape[1]))
        widths = stage_widths(len(self.sides))
        side, width = self.sides[0], widths[0]
        self.from_rgb = nn.ModuleList(
            nn.Sequential(nn.Conv2d(input_shape[0], w, 1), _act()) for w in widths)
        # blocks[i - 1] shrinks stage i's features to stage i − 1's side.
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Conv2d(w_in, w_out, 4, stride=2, padding=1), _act())
            for w_out, w_in in itertools.pairwise(widths))
        spread = [MinibatchStd()] if cfg.minibatch_std else []
        self.final = nn.Sequential(
            *spread, nn.Conv2d(width + len(spread), width, 3, padding=1), _act(), nn.Flatten(),
            nn.Linear(width * side * side, FEATURE_WIDTH), _act())
        self.width = FEATURE_WIDTH

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        index, alpha = self._stage_index()
        x = pool_to(x, self.sides[index])
        h = self.from_rgb[index](x)
        if index > 0:
            h = self.blocks[index - 1](h)
            if alpha < 1:
                h = (1 - alpha) * self.from_rgb[index - 1](pool_to(x, x.shape[-1] // 2)) \
                    + alpha * h
            for block in reversed(self.blocks[: index - 1]):
                h = block(h)
        return self.final(h)


def blend_real(x: torch.Tensor, sides: tuple[int, ...], resolution: int,
               alpha: float) -> torch.Tensor:
    """Real images as D is shown them at this stage, at their full size: pooled to the
    current side and, while it fades in, (1 − α)·upsample(downsample(x)) + α·x there, so real
    images sharpen exactly as fast as G's do."""
    full = x.shape[-1]
    image = pool_to(x, resolution)
    if sides.index(resolution) > 0 and alpha < 1:
        coarse = upsample_to(pool_to(image, resolution // 2), resolution)
        image = (1 - alpha) * coarse + alpha * image
    return upsample_to(image, full)

