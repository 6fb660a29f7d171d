"""Generator, discriminator and Q-head bodies for the GAN family: MLP and DCGAN.

The DCGAN bodies follow Radford et al.'s guidelines (strided convolutions instead of pooling,
batch norm in both nets except D's input and G's output, ReLU in G, LeakyReLU in D, Tanh output)
with the widths of the InfoGAN paper's MNIST networks.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from latentlab.config import ModelConfig
from latentlab.core.models.layers import mlp

_DCGAN_CHANNELS = (64, 128)
_Q_HIDDEN = 128
#: Kernel dimensions C of each minibatch discrimination feature (Salimans et al. use 5 to 50).
MINIBATCH_KERNEL_DIMS = 16


class Generator(nn.Module):
    """Generator input → image in [−1, 1] (``forward``) or in [0, 1] (``mean``, for the views)."""

    def __init__(self, cfg: ModelConfig, input_shape: tuple[int, int, int], input_dim: int):
        super().__init__()
        self.input_shape = input_shape
        if cfg.architecture == "conv":
            self.body: nn.Module = _DCGANGeneratorBody(input_shape, input_dim, cfg.dcgan_width)
        else:
            self.body = mlp([input_dim, *reversed(cfg.hidden), math.prod(input_shape)])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.body(z)).view(-1, *self.input_shape)

    def mean(self, z: torch.Tensor) -> torch.Tensor:
        return (self(z) + 1) / 2


class _DCGANGeneratorBody(nn.Module):
    def __init__(self, input_shape: tuple[int, int, int], input_dim: int, width: int) -> None:
        super().__init__()
        channels, side = input_shape[0], input_shape[1]
        c1, c2 = _DCGAN_CHANNELS
        self.start_shape = (c2, side // 4, side // 4)
        self.fc = nn.Sequential(
            nn.Linear(input_dim, width), nn.BatchNorm1d(width), nn.ReLU(),
            nn.Linear(width, math.prod(self.start_shape)),
            nn.BatchNorm1d(math.prod(self.start_shape)), nn.ReLU(),
        )
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), nn.BatchNorm2d(c1), nn.ReLU(),
            nn.ConvTranspose2d(c1, channels, 4, stride=2, padding=1),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.deconv(self.fc(z).view(-1, *self.start_shape))


def build_discriminator(cfg: ModelConfig,
                        input_shape: tuple[int, int, int]) -> tuple[nn.Module, nn.Module, int]:
    """(features, critic, feature width): D(x) = critic(features(x)), a logit per image.

    The features are shared with InfoGAN's Q head.
    """
    if cfg.architecture == "conv":
        channels, side = input_shape[0], input_shape[1]
        c1, c2 = _DCGAN_CHANNELS
        features = nn.Sequential(
            nn.Conv2d(channels, c1, 4, stride=2, padding=1), nn.LeakyReLU(0.1),
            nn.Conv2d(c1, c2, 4, stride=2, padding=1), nn.BatchNorm2d(c2), nn.LeakyReLU(0.1),
            nn.Flatten(),
            nn.Linear(c2 * (side // 4) ** 2, cfg.dcgan_width), nn.BatchNorm1d(cfg.dcgan_width),
            nn.LeakyReLU(0.1),
        )
        width = cfg.dcgan_width
    else:
        sizes = [math.prod(input_shape), *cfg.hidden]
        features = nn.Sequential(nn.Flatten(), mlp(sizes, _leaky), _leaky())
        width = sizes[-1]
    return features, build_critic(cfg, width), width


def build_critic(cfg: ModelConfig, width: int) -> nn.Module:
    """D's head on its features of ``width``, with minibatch discrimination when asked."""
    if cfg.minibatch_features > 0:
        return nn.Sequential(MinibatchDiscrimination(width, cfg.minibatch_features),
                             nn.Linear(width + cfg.minibatch_features, 1))
    return nn.Linear(width, 1)  # the plain head keeps older checkpoints' weight names


class MinibatchDiscrimination(nn.Module):
    """Salimans et al. 2016: B features per item saying how close it lies to the others in its
    batch, appended to D's last hidden layer, so D can tell a collapsed batch of samples from a
    varied real one.

    M = f·T (B × C per item); o(xᵢ)_b = Σ_{j≠i} exp(−‖M_{i,b} − M_{j,b}‖₁).
    """

    def __init__(self, in_features: int, out_features: int,
                 kernel_dims: int = MINIBATCH_KERNEL_DIMS) -> None:
        super().__init__()
        self.out_features, self.kernel_dims = out_features, kernel_dims
        self.T = nn.Parameter(torch.randn(in_features, out_features * kernel_dims) * 0.1)

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        m = (f @ self.T).view(-1, self.out_features, self.kernel_dims)
        distances = (m.unsqueeze(0) - m.unsqueeze(1)).abs().sum(3)  # N × N × B
        closeness = torch.exp(-distances).sum(0) - 1  # minus each item's exp(0) with itself
        return torch.cat([f, closeness], dim=1)


def build_q_head(cfg: ModelConfig, feature_width: int, outputs: int) -> nn.Module:
    """InfoGAN's Q: D's features → category logits and continuous-code means."""
    if cfg.architecture == "conv":
        return nn.Sequential(nn.Linear(feature_width, _Q_HIDDEN), nn.BatchNorm1d(_Q_HIDDEN),
                             nn.LeakyReLU(0.1), nn.Linear(_Q_HIDDEN, outputs))
    return nn.Sequential(nn.Linear(feature_width, _Q_HIDDEN), _leaky(),
                         nn.Linear(_Q_HIDDEN, outputs))


def _leaky() -> nn.Module:
    return nn.LeakyReLU(0.2)
