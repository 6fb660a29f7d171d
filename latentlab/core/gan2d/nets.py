"""The players: an MLP generator (noise → a 2-D point) and an MLP discriminator that can pack
several samples into one input (PacGAN) and compare samples across its batch (minibatch
discrimination).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import nn

#: In place where PyTorch allows it (their backward needs only their output): one buffer fewer
#: per layer, which matters for D's heatmap (a fifth of its time went to filling fresh memory).
ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": lambda: nn.ReLU(inplace=True),
    "leaky_relu": lambda: nn.LeakyReLU(0.2, inplace=True),
    "tanh": nn.Tanh,
    "elu": nn.ELU,
}
#: The same activations as functions, for the unrolled D's functional forward.
FUNCTIONAL_ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": F.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "tanh": torch.tanh,
    "elu": F.elu,
}
#: Minibatch discrimination's kernel size C (Salimans et al. 2016 use 5 for images too).
KERNEL_DIMS = 5


def mlp(sizes: Sequence[int], activation: str) -> nn.Sequential:
    """Linear layers with the activation after each one."""
    layers: list[nn.Module] = []
    for n_in, n_out in pairwise(sizes):
        layers += [nn.Linear(n_in, n_out), ACTIVATIONS[activation]()]
    return nn.Sequential(*layers)


class Generator(nn.Module):
    """G: noise (…×noise_dim) → points (…×2), a linear output so it can reach anywhere."""

    def __init__(self, noise_dim: int, hidden: Sequence[int], activation: str) -> None:
        super().__init__()
        self.noise_dim = noise_dim
        self.body = mlp([noise_dim, *hidden], activation)
        self.out = nn.Linear(hidden[-1], 2)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(z))


class MinibatchDiscrimination(nn.Module):
    """Salimans et al. 2016: M = f·T (B kernels of C dims); for each sample i and kernel b,
    o_b(xᵢ) = Σⱼ exp(−‖M_{i,b} − M_{j,b}‖₁) over its batch, appended to its features. A batch
    of near-copies (a collapsed G) scores high on every o_b, which D learns to reject."""

    def __init__(self, in_features: int, kernels: int, kernel_dims: int = KERNEL_DIMS) -> None:
        super().__init__()
        self.kernels, self.kernel_dims = kernels, kernel_dims
        self.T = nn.Parameter(torch.randn(in_features, kernels * kernel_dims) * 0.1)

    def _kernel_space(self, f: torch.Tensor) -> torch.Tensor:
        """…×N×A features → …×B×N×C: one point cloud per kernel, for batched L1 distances."""
        m = (f @ self.T).unflatten(-1, (self.kernels, self.kernel_dims))
        return m.transpose(-3, -2)

    def forward(self, f: torch.Tensor, reference: torch.Tensor | None = None) -> torch.Tensor:
        """Batches …×N×A: each row against its own batch. With ``reference`` (R×A features of a
        batch D has seen), each row is scored as if it were one more member of that batch."""
        m = self._kernel_space(f)
        if reference is None:
            o = torch.exp(-torch.cdist(m, m, p=1)).sum(-1)
        else:
            # exp(0) = 1 for the row itself, plus its closeness to every member of the batch.
            o = 1 + torch.exp(-torch.cdist(m, self._kernel_space(reference), p=1)).sum(-1)
        return torch.cat([f, o.transpose(-2, -1)], -1)


class Discriminator(nn.Module):
    """D: points → logits (or critic values).

    ``forward(x, batch=True)`` is training's view: x is …×N×2, each leading index one batch;
    with packing m, consecutive groups of m points are concatenated into one input, so D gives
    …×(N // m) outputs. ``forward(x)`` scores single points (N×2 → N), for fields and arrows:
    a point is packed with m − 1 copies of itself, and its minibatch features are taken
    against ``reference``, the last generated batch D trained on.
    """

    def __init__(self, hidden: Sequence[int], activation: str, pack: int = 1,
                 minibatch_features: int = 0) -> None:
        super().__init__()
        self.pack = pack
        self.activation = activation
        self.body = mlp([2 * pack, *hidden], activation)
        self.minibatch = (MinibatchDiscrimination(hidden[-1], minibatch_features)
                          if minibatch_features else None)
        self.head = nn.Linear(hidden[-1] + minibatch_features, 1)
        self.reference: torch.Tensor | None = None  # N×2 points, set by the trainer

    def packed(self, x: torch.Tensor) -> torch.Tensor:
        """…×N×2 → …×(N // m)×2m; a remainder of fewer than m points is dropped."""
        n = x.shape[-2] // self.pack * self.pack
        return x[..., :n, :].reshape(*x.shape[:-2], n // self.pack, 2 * self.pack)

    def forward(self, x: torch.Tensor, batch: bool = False) -> torch.Tensor:
        if batch:
            f = self.body(self.packed(x))
            if self.minibatch is not None:
                f = self.minibatch(f)
            return self.head(f).squeeze(-1)
        # [x, x, …, x] through the first layer is x through its column blocks summed: the
        # same function as packing m copies, at the cost of one.
        first = self.body[0]
        weight = first.weight.unflatten(1, (self.pack, 2)).sum(1)
        f = self.body[1:](nn.functional.linear(x, weight, first.bias))
        if self.minibatch is not None:
            reference = None
            if self.reference is not None:
                reference = self.body(self.packed(self.reference.to(x.dtype)))
            f = (self.minibatch(f, reference) if reference is not None
                 else torch.cat([f, torch.ones(len(f), self.minibatch.kernels)], 1))
        return self.head(f).squeeze(-1)


    def forward_with(self, params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """``forward(x, batch=True)`` with the weights in ``params`` (by parameter name): the
        unrolled D, whose weights are functions of G's samples (a plain loop: cheaper
        than swapping the module's parameters in and out)."""
        act = FUNCTIONAL_ACTIVATIONS[self.activation]
        f = self.packed(x)
        for i, layer in enumerate(self.body):
            if isinstance(layer, nn.Linear):
                f = act(F.linear(f, params[f"body.{i}.weight"], params[f"body.{i}.bias"]))
        if self.minibatch is not None:
            f = torch.func.functional_call(self.minibatch, {"T": params["minibatch.T"]}, (f,))
        return F.linear(f, params["head.weight"], params["head.bias"]).squeeze(-1)


def n_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
