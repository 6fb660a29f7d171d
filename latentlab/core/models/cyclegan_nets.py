"""CycleGAN's networks (Zhu et al. 2017), scaled down for small images: a ResNet generator and a
PatchGAN discriminator, both with instance normalisation.

The paper's generator for 128×128 images: c7s1-64, d128, d256, six residual blocks of 256
channels, u128, u64, c7s1-3 (Johnson et al.'s layout). Here the widths are a quarter of those
for images up to 32×32 (16, 32, 64 channels, three residual blocks: an epoch of 5,400 28×28
images in about 30 s on one CPU thread, against 70 s at half the paper's widths) and half of
them above (with the paper's six blocks from 64×64). Its discriminator is pix2pix's PatchGAN on
one image rather than a pair (``pix2pix_nets.patch_net``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from latentlab.core.models.pix2pix_nets import patch_net

#: The first stage's channels (the paper's 64) for small images (sides up to SMALL_SIDE) and
#: larger ones, and the residual blocks at the bottleneck (the paper's 6 for 128×128).
SMALL_CHANNELS, LARGE_CHANNELS = 16, 32
SMALL_SIDE = 32
SMALL_BLOCKS, LARGE_BLOCKS = 3, 6
LARGE_SIDE = 64
#: Two stride-2 stages down and two up: sides are padded to a multiple of 4.
DOWNSAMPLING = 4


def _norm(channels: int) -> nn.Module:
    # Instance norm, as the paper: each image normalised on its own (style, not batch, statistics).
    return nn.InstanceNorm2d(channels)


class ResidualBlock(nn.Module):
    """x + (reflect-pad, 3×3 conv, IN, ReLU, reflect-pad, 3×3 conv, IN)(x)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), _norm(channels), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), _norm(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """Images in [−1, 1] (C channels) → images in [−1, 1], the same shape. Sides that are not a
    multiple of 4 are padded by replication and the output cropped back."""

    def __init__(self, input_shape: tuple[int, int, int]) -> None:
        super().__init__()
        channels, height, width = input_shape
        self.size = (height, width)
        self.padded = tuple(math.ceil(s / DOWNSAMPLING) * DOWNSAMPLING for s in (height, width))
        k = SMALL_CHANNELS if max(height, width) <= SMALL_SIDE else LARGE_CHANNELS
        # A 7×7 first and last layer needs 3 pixels of reflection, which needs sides above 3.
        edge = 7 if min(height, width) > 3 else 3
        blocks = LARGE_BLOCKS if min(height, width) >= LARGE_SIDE else SMALL_BLOCKS
        layers: list[nn.Module] = [nn.ReflectionPad2d(edge // 2), nn.Conv2d(channels, k, edge),
                                   _norm(k), nn.ReLU(True)]
        for c_in in (k, 2 * k):  # d2k, d4k
            layers += [nn.Conv2d(c_in, 2 * c_in, 3, 2, 1), _norm(2 * c_in), nn.ReLU(True)]
        layers += [ResidualBlock(4 * k) for _ in range(blocks)]
        for c_in in (4 * k, 2 * k):  # u2k, uk
            layers += [nn.ConvTranspose2d(c_in, c_in // 2, 3, 2, 1, output_padding=1),
                       _norm(c_in // 2), nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(edge // 2), nn.Conv2d(k, channels, edge), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (h, w), (ph, pw) = self.size, self.padded
        if (ph, pw) == (h, w):
            return self.net(x)
        top, left = (ph - h) // 2, (pw - w) // 2
        x = F.pad(x, (left, pw - w - left, top, ph - h - top), mode="replicate")
        return self.net(x)[:, :, top : top + h, left : left + w]


class ImageDiscriminator(nn.Module):
    """Images in [−1, 1] → a map of logits, one per patch: is this patch a real image of the
    domain?"""

    def __init__(self, input_shape: tuple[int, int, int]) -> None:
        super().__init__()
        channels, height, width = input_shape
        self.net, self.receptive_field = patch_net(channels, height, width, nn.InstanceNorm2d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


__all__ = ["ImageDiscriminator", "ResidualBlock", "ResnetGenerator"]
