"""The point a GAN generates from, as the user steers it: noise, a category, continuous codes.

For InfoGAN the map's coordinates are the continuous codes (Q places real images there); for a
plain or conditional GAN, which has no encoder, the map is a slice through the first two noise
dimensions with the others held fixed (a conditional GAN's category is the class it draws).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import torch

from latentlab.core.models.gan import GAN, InfoGAN


@dataclass(frozen=True)
class GeneratorCode:
    noise: np.ndarray  # float32, one value per noise dimension
    category: int = 0
    continuous: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))

    @classmethod
    def from_prior(cls, model: GAN, generator: torch.Generator | None = None) -> GeneratorCode:
        z = model.sample_inputs(1, generator)
        if model.has_category_input:
            noise, category, continuous = model.split_input(z)
            return cls(noise[0].numpy(), int(category[0]), continuous[0].numpy())
        return cls(z[0].numpy())

    def inputs(self, model: GAN) -> torch.Tensor:
        """The generator's 1×input vector."""
        noise = torch.from_numpy(np.asarray(self.noise, np.float32))[None]
        if model.has_category_input:
            continuous = torch.from_numpy(np.asarray(self.continuous, np.float32))[None]
            return model.generator_input(noise, torch.tensor([self.category]), continuous)
        return noise

    def map_code(self, model: GAN) -> np.ndarray:
        """The part of the code the map shows (InfoGAN: continuous codes; GAN: noise slice)."""
        if model.has_continuous_codes:
            return np.asarray(self.continuous, np.float32)
        return np.asarray(self.noise[: model.code_dim], np.float32)

    def with_map_code(self, model: GAN, values: np.ndarray) -> GeneratorCode:
        values = np.asarray(values, np.float32).reshape(-1)
        if model.has_continuous_codes:
            return replace(self, continuous=values.copy())
        noise = np.array(self.noise, np.float32)
        noise[: model.code_dim] = values[: model.code_dim]
        return replace(self, noise=noise)


def traversal_inputs(model: InfoGAN, code: GeneratorCode, code_index: int,
                     values: np.ndarray) -> tuple[torch.Tensor, int, int]:
    """Rows = categories, columns = continuous code ``code_index`` swept over ``values``.

    Every cell shares the code's noise and its other continuous values, so only the category
    and the swept code change across the grid.
    """
    if not 0 <= code_index < model.cfg.n_continuous:
        raise ValueError(f"No continuous code {code_index + 1}: the model has "
                         f"{model.cfg.n_continuous}.")
    rows, cols = model.cfg.n_categories, len(values)
    continuous = np.tile(np.asarray(code.continuous, np.float32), (rows * cols, 1))
    continuous[:, code_index] = np.tile(np.asarray(values, np.float32), rows)
    noise = torch.from_numpy(np.asarray(code.noise, np.float32)).repeat(rows * cols, 1)
    category = torch.arange(rows).repeat_interleave(cols)
    return model.generator_input(noise, category, torch.from_numpy(continuous)), rows, cols
