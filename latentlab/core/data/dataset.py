"""The one dataset value object every source produces."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class DatasetError(ValueError):
    """A dataset could not be loaded or is malformed; the message names the file and the reason."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """Images as N×C×H×W float32 in [0, 1], optional integer labels, and a train/test split."""

    name: str
    x: np.ndarray
    labels: np.ndarray | None
    class_names: tuple[str, ...]
    is_test: np.ndarray

    def __post_init__(self) -> None:
        x = self.x
        if x.ndim != 4:
            raise DatasetError(f"{self.name}: images must be N×C×H×W, got shape {x.shape}.")
        if x.dtype != np.float32:
            raise DatasetError(f"{self.name}: images must be float32, got {x.dtype}.")
        if len(x) == 0:
            raise DatasetError(f"{self.name}: the dataset holds no items.")
        if not np.isfinite(x).all():
            raise DatasetError(f"{self.name}: images contain NaN or infinite values.")
        if self.is_test.shape != (len(x),) or self.is_test.dtype != bool:
            raise DatasetError(f"{self.name}: the split mask must be one bool per item.")
        if self.labels is not None:
            if self.labels.shape != (len(x),):
                raise DatasetError(
                    f"{self.name}: {len(self.labels):,} labels for {len(x):,} images."
                )
            n_classes = len(self.class_names)
            if len(self.labels) and (self.labels.min() < 0 or self.labels.max() >= n_classes):
                raise DatasetError(
                    f"{self.name}: labels must lie in 0…{len(self.class_names) - 1}."
                )

    @property
    def n(self) -> int:
        return len(self.x)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one item."""
        c, h, w = self.x.shape[1:]
        return int(c), int(h), int(w)

    @property
    def train_indices(self) -> np.ndarray:
        return np.flatnonzero(~self.is_test)

    @property
    def test_indices(self) -> np.ndarray:
        return np.flatnonzero(self.is_test)

    def describe(self) -> str:
        c, h, w = self.input_shape
        parts = [self.name, f"{self.n:,} images", f"{h}×{w}" + ("" if c == 1 else f"×{c}")]
        if self.labels is not None:
            parts.append(f"{len(self.class_names)} classes")
        return " · ".join(parts)


def random_split(n: int, test_fraction: float, seed: int) -> np.ndarray:
    """A seeded boolean test mask holding round(n·test_fraction) items."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(n, dtype=bool)
    mask[rng.permutation(n)[: round(n * test_fraction)]] = True
    return mask
