"""The loss terms of training steps, kept on the device until the loop reads them.

Reading a loss (``float``, ``.item()``, ``.tolist()``) makes the host wait for the device to
finish every queued step. A step's terms therefore stay on the device as one stacked row, and
the loop reads all rows since its last read at once: at a progress report, a snapshot, a stop
or an epoch's end. NaN and infinity are found at those reads, with the exact step they came at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from latentlab.core.models.base import StepLosses


@dataclass(frozen=True)
class BadStep:
    """The first step of a read whose loss terms were not all finite."""

    #: How many steps before it (counted from the end of the read): 0 for the last one.
    steps_after: int
    terms: dict[str, float]

    def message(self, epoch: int, step: int, kept_step: int) -> str:
        bad = "NaN" if any(math.isnan(v) for v in self.terms.values()) else "infinite"
        return (f"The loss became {bad} at epoch {epoch}, step {step}. Training stopped and "
                f"kept the weights from step {kept_step}. Try a lower learning rate.")


class LossSums:
    """Running sums of the loss terms: over the epoch (weighted by batch size) for its means,
    and since the last progress report for the running mean it shows. Steps are added on the
    device (``add``) and summed on the host when read (``read``)."""

    def __init__(self) -> None:
        self.names: tuple[str, ...] = ()
        self._rows: list[torch.Tensor] = []
        self._sizes: list[int] = []
        self.epoch = self.window = np.zeros(0)
        self.window_n = 0

    @property
    def unread(self) -> int:
        return len(self._rows)

    def add(self, terms: StepLosses, batch_size: int) -> None:
        """One step's terms, left on the device (no wait)."""
        if not self.names:
            self.names = tuple(terms)
            self.epoch = self.window = np.zeros(len(self.names))
        self._rows.append(torch.stack(list(terms.values())))
        self._sizes.append(batch_size)

    def read(self) -> BadStep | None:
        """Bring the unread steps to the host with one wait and add them to the sums; the
        first step with a non-finite term (the steps before it are added), else None."""
        if not self._rows:
            return None
        rows = torch.stack(self._rows).float().cpu().numpy().astype(np.float64)
        sizes = np.asarray(self._sizes, dtype=np.float64)
        self._rows, self._sizes = [], []
        finite = np.isfinite(rows).all(axis=1)
        good = len(rows) if finite.all() else int(np.argmin(finite))
        self.epoch = self.epoch + (rows[:good] * sizes[:good, None]).sum(axis=0)
        self.window = self.window + rows[:good].sum(axis=0)
        self.window_n += good
        if good == len(rows):
            return None
        return BadStep(len(rows) - 1 - good, dict(zip(self.names, rows[good].tolist(),
                                                      strict=True)))

    def window_means(self) -> dict[str, float]:
        means = dict(zip(self.names, (self.window / max(self.window_n, 1)).tolist(),
                         strict=True))
        self.window, self.window_n = np.zeros(len(self.names)), 0
        return means

    def epoch_means(self, n_items: int) -> dict[str, float]:
        means = dict(zip(self.names, (self.epoch / n_items).tolist(), strict=True))
        self.epoch = np.zeros(len(self.names))
        return means


__all__ = ["BadStep", "LossSums"]
