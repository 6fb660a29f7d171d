"""Where the train split lives while a run trains, and how each batch reaches the device.

On the training device when it fits (no copy per step); past a share of the device's free
memory it stays in host memory and each batch is gathered into pinned memory and copied
without waiting, so the copy overlaps the previous step's work on the GPU.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

#: The train split stays on the GPU when it takes at most this share of its free memory
#: (the rest is for weights, optimiser state, activations and the live views).
RESIDENT_SHARE = 0.5


def fits_on_device(n_bytes: int, device: torch.device, share: float = RESIDENT_SHARE) -> bool:
    """Whether ``n_bytes`` of training data may live on ``device``. The CPU is the host
    itself; Apple's MPS shares the host's memory, so both always fit."""
    if device.type != "cuda":
        return True
    free, _total = torch.cuda.mem_get_info(device)
    return n_bytes <= share * free


@dataclass(frozen=True)
class TrainItems:
    """Rows of the train split (items, or a side input sliced like them), and where batches
    of them go: ``batch(rows)`` is on ``device`` whichever memory holds them."""

    values: torch.Tensor
    device: torch.device
    #: Whether ``values`` live on ``device`` (else in host memory, batches copied over).
    resident: bool

    @classmethod
    def of(cls, array: np.ndarray, device: torch.device, resident: bool) -> TrainItems:
        values = torch.from_numpy(array)
        return cls(values.to(device) if resident else values, device, resident)

    def batch(self, rows: torch.Tensor) -> torch.Tensor:
        """The rows ``rows`` (on ``values``' device) on the training device. The one place a
        batch is fetched: a conversion per batch (e.g. bytes to floats) belongs here."""
        if self.resident:
            return self.values[rows]
        pinned = self.device.type == "cuda"
        out = torch.empty((len(rows), *self.values.shape[1:]), dtype=self.values.dtype,
                          pin_memory=pinned)
        torch.index_select(self.values, 0, rows, out=out)
        # Pinned memory from torch's caching host allocator is not reused before the copy
        # from it has finished, so the copy may run while the next batch is gathered.
        return out.to(self.device, non_blocking=pinned)


__all__ = ["RESIDENT_SHARE", "TrainItems", "fits_on_device"]
