"""pix2pix's two networks (Isola et al. 2017), scaled down for small images: a U-Net generator
and a PatchGAN discriminator.

The paper's nets for 256×256 images: a U-Net of eight stride-2 stages down to 1×1 (64 to 512
channels), and a "70×70" PatchGAN (C64-C128-C256-C512, then a 1-channel map of logits). Here the
U-Net goes down to 1×1 from whatever size the images are, with half the paper's widths (capped
at 256), and the PatchGAN is the largest of the paper's family whose patch fits in the image.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

#: Channels of the first stage of each net, doubled at each stage up to MAX_CHANNELS: half the
#: paper's 64 and 512, for small images and a CPU.
BASE_CHANNELS = 32
MAX_CHANNELS = 256
#: The paper's U-Net for 256×256 images has 8 stages.
MAX_DEPTH = 8
#: The paper's generator takes its noise as dropout in its three innermost decoder stages.
DROPOUT_STAGES = 3
DROPOUT = 0.5
#: The paper's default PatchGAN has 3 stride-2 layers (70×70 patches).
MAX_PATCH_STRIDE_2 = 3


def _width(stage: int) -> int:
    return min(BASE_CHANNELS << stage, MAX_CHANNELS)


def unet_depth(height: int, width: int) -> int:
    """Stride-2 stages that take the shorter side down to 1 (28 → 5 stages, after padding to
    32), at most MAX_DEPTH."""
    return min(MAX_DEPTH, max(1, math.ceil(math.log2(min(height, width)))))


class UNet(nn.Module):
    """Images in [−1, 1] (C channels) → images in [−1, 1] (C channels), the same size.

    Encoder: 4×4 stride-2 convolutions, LeakyReLU(0.2), batch norm on all but the first and the
    innermost (a 1×1 map). Decoder: ReLU, 4×4 stride-2 transposed convolutions, batch norm,
    each stage's output concatenated with the mirror encoder stage's activations (the skip
    connections that carry the input's detail straight across), Tanh at the end. Dropout in the
    innermost decoder stages while training; unlike the paper, none at test time, so a
    translation is deterministic. Sides that are not a multiple of 2^depth (28) are padded by
    replication to the next one (32) and the output cropped back.
    """

    def __init__(self, input_shape: tuple[int, int, int]) -> None:
        super().__init__()
        channels, height, width = input_shape
        self.depth = unet_depth(height, width)
        unit = 1 << self.depth
        self.padded = (math.ceil(height / unit) * unit, math.ceil(width / unit) * unit)
        self.size = (height, width)
        widths = [_width(i) for i in range(self.depth)]
        self.down = nn.ModuleList()
        c_in = channels
        for i, c_out in enumerate(widths):
            norm = 0 < i < self.depth - 1
            layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=not norm)]
            if norm:
                layers.append(nn.BatchNorm2d(c_out))
            # The innermost stage's output goes to the decoder's ReLU instead.
            if i < self.depth - 1:
                layers.append(nn.LeakyReLU(0.2))
            self.down.append(nn.Sequential(*layers))
            c_in = c_out
        self.up = nn.ModuleList()
        dropped = min(DROPOUT_STAGES, max(0, self.depth - 3))
        for j in range(self.depth):  # j = 0 is the innermost stage
            stage = self.depth - 1 - j  # the encoder stage whose size this one restores
            c_in = widths[stage] if j == 0 else 2 * widths[stage]
            outermost = stage == 0
            c_out = channels if outermost else widths[stage - 1]
            layers = [nn.ReLU(), nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=outermost)]
            if outermost:
                layers.append(nn.Tanh())
            else:
                layers.append(nn.BatchNorm2d(c_out))
                if j < dropped:
                    layers.append(nn.Dropout(DROPOUT))
            self.up.append(nn.Sequential(*layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (h, w), (ph, pw) = self.size, self.padded
        top, left = (ph - h) // 2, (pw - w) // 2
        if (ph, pw) != (h, w):
            x = F.pad(x, (left, pw - w - left, top, ph - h - top), mode="replicate")
        skips = []
        for stage in self.down:
            x = stage(x)
            skips.append(x)
        x = self.up[0](skips.pop())
        for stage in self.up[1:]:
            x = stage(torch.cat([x, skips.pop()], dim=1))
        return x[:, :, top : top + h, left : left + w]


def patch_receptive_field(stride_2_layers: int) -> int:
    """The side of the patch each logit of a PatchGAN with this many stride-2 layers sees: the
    two stride-1 4×4 layers see 7 pixels, each stride-2 layer before them doubles that, plus 2
    (3 layers: the paper's 70)."""
    field = 7
    for _ in range(stride_2_layers):
        field = 2 * field + 2
    return field


def patch_net(in_channels: int, height: int, width: int,
              norm: type[nn.Module] = nn.BatchNorm2d) -> tuple[nn.Sequential, int]:
    """A PatchGAN body → (net, the side of its patches).

    The paper's layout: 4×4 convolutions, stride 2 then one of stride 1, LeakyReLU(0.2), a
    normalisation (batch norm for pix2pix, instance norm for CycleGAN) on all but the first,
    and a 1-channel stride-1 convolution to the logits. With as many stride-2 layers (at most
    the paper's 3) as keep the patch within the image: a 7-pixel patch for 8×8 images, 16 for
    16 to 32, 34 for 64, the paper's 70 from 70 up.
    """
    n = 0
    while n < MAX_PATCH_STRIDE_2 and patch_receptive_field(n + 1) <= min(height, width):
        n += 1
    layers: list[nn.Module] = []
    c_in = in_channels
    for i, stride in enumerate([2] * n + [1]):
        c_out = _width(i)
        # Instance norm has no affine shift by default: keep the conv's bias then.
        layers.append(nn.Conv2d(c_in, c_out, 4, stride, 1,
                                bias=i == 0 or norm is not nn.BatchNorm2d))
        if i > 0:
            layers.append(norm(c_out))
        layers.append(nn.LeakyReLU(0.2))
        c_in = c_out
    layers.append(nn.Conv2d(c_in, 1, 4, 1, 1))
    return nn.Sequential(*layers), patch_receptive_field(n)


class PatchDiscriminator(nn.Module):
    """(input, output) pairs in [−1, 1], concatenated on channels → a map of logits, one per
    patch (``patch_net``): is this patch of the output a real translation of the input?"""

    def __init__(self, input_shape: tuple[int, int, int]) -> None:
        super().__init__()
        channels, height, width = input_shape
        self.net, self.receptive_field = patch_net(2 * channels, height, width)

    def forward(self, inputs: torch.Tensor, outputs: torch.Tensor) -> torch.Tensor:
        """N×1×h×w logits for the pairs (``inputs``, ``outputs``)."""
        return self.net(torch.cat([inputs, outputs], dim=1))


__all__ = ["PatchDiscriminator", "UNet", "patch_net", "patch_receptive_field", "unet_depth"]
