"""Encoder and decoder bodies shared by the model families (MLP, convolutional, linear)."""

from __future__ import annotations

import itertools
import math

import torch
from torch import nn

from latentlab.config import ModelConfig

_CONV_FC = 256  # width of the fully connected layer between conv features and the code


def mlp(sizes: list[int], activation: type[nn.Module] = nn.ReLU,
        batch_norm: bool = False) -> nn.Sequential:
    """Linear layers with ``activation`` between them (none after the last); with
    ``batch_norm`` each hidden layer is normalised before its activation (Ioffe & Szegedy)."""
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        hidden = i < len(sizes) - 2
        # A bias before batch norm is cancelled by its mean subtraction.
        layers.append(nn.Linear(fan_in, fan_out, bias=not (hidden and batch_norm)))
        if hidden:
            if batch_norm:
                layers.append(nn.BatchNorm1d(fan_out))
            layers.append(activation())
    return nn.Sequential(*layers)


def _norm2d(channels: int, batch_norm: bool) -> list[nn.Module]:
    return [nn.BatchNorm2d(channels)] if batch_norm else []


def _halvings(side: int, stages: int) -> list[int]:
    """Spatial sides after each stride-2 stage: 28 → [28, 14, 7]."""
    sides = [side]
    for _ in range(stages):
        sides.append(sides[-1] // 2)
    return sides


class ConvEncoder(nn.Module):
    """Stride-2 convolutions (k=4, p=1 halve the side exactly), then a small MLP head."""

    def __init__(self, input_shape: tuple[int, int, int], channels: tuple[int, ...], out: int,
                 batch_norm: bool = False):
        super().__init__()
        c, h, w = input_shape
        layers: list[nn.Module] = []
        for i, c_out in enumerate(channels):
            # The first stage sees raw pixels: normalising them would only rescale the input.
            norm = batch_norm and i > 0
            layers += [nn.Conv2d(c, c_out, 4, stride=2, padding=1, bias=not norm),
                       *_norm2d(c_out, norm), nn.LeakyReLU(0.2)]
            c = c_out
        self.features = nn.Sequential(*layers)
        hs, ws = _halvings(h, len(channels)), _halvings(w, len(channels))
        flat = c * hs[-1] * ws[-1]
        self.head = mlp([flat, _CONV_FC, out], nn.LeakyReLU, batch_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).flatten(1))


class ConvDecoder(nn.Module):
    """Mirror of ConvEncoder; output_padding restores odd sides (7 → 15 rather than 14)."""

    def __init__(self, input_shape: tuple[int, int, int], channels: tuple[int, ...], latent: int,
                 batch_norm: bool = False):
        super().__init__()
        c_img, h, w = input_shape
        hs, ws = _halvings(h, len(channels)), _halvings(w, len(channels))
        self.start_shape = (channels[-1], hs[-1], ws[-1])
        self.head = nn.Sequential(
            mlp([latent, _CONV_FC, math.prod(self.start_shape)], nn.ReLU, batch_norm), nn.ReLU()
        )
        layers: list[nn.Module] = []
        outs = [*reversed(channels[:-1]), c_img]
        c = channels[-1]
        for i, c_out in enumerate(outs):
            stage = len(channels) - i  # sides index we are growing back to
            pad = (hs[stage - 1] - 2 * hs[stage], ws[stage - 1] - 2 * ws[stage])
            hidden = i < len(outs) - 1
            layers.append(nn.ConvTranspose2d(c, c_out, 4, stride=2, padding=1, output_padding=pad,
                                             bias=not (hidden and batch_norm)))
            if hidden:
                layers += [*_norm2d(c_out, batch_norm), nn.ReLU()]
            c = c_out
        self.features = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.features(self.head(z).view(-1, *self.start_shape))


class Decoder(nn.Module):
    """Latent code → pre-activation output in image shape.

    ``decode`` applies the output link: a sigmoid for models of values in [0, 1], nothing for a
    linear model (which must stay linear to reduce to PCA), a softmax over all outputs for word
    distributions (text). A Gaussian decoder also learns one observation log-variance, kept here
    so it travels with the decoder's weights.
    """

    def __init__(self, body: nn.Module, input_shape: tuple[int, int, int], link: str,
                 gaussian: bool = False) -> None:
        super().__init__()
        if link not in ("sigmoid", "identity", "softmax"):
            raise ValueError(f"Unknown output link {link!r}.")
        self.body = body
        self.input_shape = input_shape
        self.link_name = link
        self.log_var = nn.Parameter(torch.full((1,), -3.0)) if gaussian else None

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.body(z).view(-1, *self.input_shape)

    def link(self, out: torch.Tensor) -> torch.Tensor:
        """Pre-activation output → mean of p(x|z)."""
        if self.link_name == "sigmoid":
            return torch.sigmoid(out)
        if self.link_name == "softmax":
            return torch.softmax(out.flatten(1), dim=1).view_as(out)
        return out

    def mean(self, z: torch.Tensor) -> torch.Tensor:
        return self.link(self(z))


def build_encoder(cfg: ModelConfig, input_shape: tuple[int, int, int], out: int) -> nn.Module:
    """The encoder body; ``cfg.input_dropout`` drops input entries (words, pixels) in training,
    a denoising regulariser that keeps a text model from memorising its documents."""
    size = math.prod(input_shape)
    dropout = [nn.Dropout(cfg.input_dropout)] if cfg.input_dropout > 0 else []
    if cfg.architecture == "linear":
        return nn.Sequential(nn.Flatten(), *dropout, nn.Linear(size, out))
    if cfg.architecture == "conv":
        conv = ConvEncoder(input_shape, cfg.conv_channels, out, cfg.batch_norm)
        return nn.Sequential(*dropout, conv) if dropout else conv  # keeps older weight names
    return nn.Sequential(nn.Flatten(), *dropout, mlp([size, *cfg.hidden, out],
                                                     batch_norm=cfg.batch_norm))


def build_decoder_body(cfg: ModelConfig, input_shape: tuple[int, int, int]) -> nn.Module:
    size = math.prod(input_shape)
    if cfg.architecture == "linear":
        return nn.Linear(cfg.latent_dim, size)
    if cfg.architecture == "conv":
        return ConvDecoder(input_shape, cfg.conv_channels, cfg.latent_dim, cfg.batch_norm)
    return mlp([cfg.latent_dim, *reversed(cfg.hidden), size], batch_norm=cfg.batch_norm)
