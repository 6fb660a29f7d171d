"""8-bit pixels as floats in [0, 1]: one conversion for NumPy rows and one for torch batches.

A dataset of 8-bit images keeps its pixels as uint8 (a quarter of float32's memory) and every
consumer converts only the rows it uses. Both conversions compute value / 255 in float32 with
a true division, the same operation the loaders always used (``np.divide(x, float32(255))``),
so the floats are bit for bit those of a float32 dataset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

_SCALE = np.float32(255)


def as_float(x: np.ndarray) -> np.ndarray:
    """``x`` as float32 in [0, 1]: uint8 divided by 255 (a new array), float32 unchanged."""
    if x.dtype != np.uint8:
        return np.asarray(x)  # a plain view of a float32 array (never a memmap subclass)
    out = np.empty(x.shape, dtype=np.float32)
    out[...] = x
    np.divide(out, _SCALE, out=out)
    return out


def tensor_images(x: torch.Tensor) -> torch.Tensor:
    """A batch as float32 in [0, 1] on its own device: uint8 divided by 255, else unchanged.

    The divisor is a tensor on the batch's device, never a Python number: CUDA multiplies by
    the reciprocal of a scalar divisor, which differs from the division in the last bit.
    """
    import torch

    if x.dtype != torch.uint8:
        return x
    return x.float().div_(torch.full((), 255.0, dtype=torch.float32, device=x.device))
