"""What the live views show of a model: the snapshot a training run sends, and the same views of
a model that was opened rather than trained (:func:`model_views` serves both)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from latentlab.core.data.dataset import Dataset
from latentlab.core.models.base import LatentModel
from latentlab.core.training.events import Snapshot

EVAL_BATCH = 1024


@dataclass(frozen=True)
class LiveItems:
    """Dataset items the live views follow: map points and the reconstruction strip."""

    map_indices: np.ndarray | None = None
    strip_indices: np.ndarray | None = None


@dataclass(frozen=True)
class ViewInputs:
    """The fixed inputs of the live views, on the model's device: the map items, the
    reconstruction strip and the sample grid's decoder inputs (None where there is none)."""

    x_map: torch.Tensor | None = None
    x_strip: torch.Tensor | None = None
    grid: torch.Tensor | None = None
    #: The map items' and the strip's classes, for a model that encodes with them.
    y_map: torch.Tensor | None = None
    y_strip: torch.Tensor | None = None

    @classmethod
    def of(cls, model: LatentModel, data: Dataset, live: LiveItems, seed: int,
           device: torch.device | str = "cpu") -> ViewInputs:
        grid = model.grid_inputs(seed)

        def classes(indices: np.ndarray | None) -> torch.Tensor | None:
            y = encoder_labels(model, data, indices)
            return None if y is None else torch.from_numpy(y).to(device)

        return cls(items_on(data, live.map_indices, device),
                   items_on(data, live.strip_indices, device),
                   grid[0].to(device) if grid is not None else None,
                   classes(live.map_indices), classes(live.strip_indices))


def encoder_labels(model: LatentModel, data: Dataset,
                   indices: np.ndarray | None) -> np.ndarray | None:
    """The classes of ``data``'s items at ``indices`` when ``model`` encodes with them (a
    conditional VAE), else None."""
    if not model.needs_labels or data.labels is None or indices is None:
        return None
    return data.labels[indices].astype(np.int64)


def items_on(data: Dataset, indices: np.ndarray | None,
             device: torch.device | str) -> torch.Tensor | None:
    """``data``'s items at ``indices`` as one float32 tensor on ``device``; None for no items."""
    if indices is None or len(indices) == 0:
        return None
    return torch.from_numpy(data.images(indices)).to(device)


def decoder_state(model: LatentModel) -> dict[str, np.ndarray]:
    """A CPU copy of the decoder's weights that no later training step can touch."""
    state = model.decoder.state_dict()
    return {k: v.detach().to("cpu", copy=True).numpy() for k, v in state.items()}


@torch.no_grad()
def infer_all(model: LatentModel, x: torch.Tensor, labels: torch.Tensor | None = None,
              batch_size: int = EVAL_BATCH) -> tuple[np.ndarray, np.ndarray | None]:
    """Codes of ``x`` (given their classes, for a model that encodes with them) and, where the
    model predicts them, categories (else None), on the CPU."""
    parts = [model.infer_codes(x[i : i + batch_size],
                               None if labels is None else labels[i : i + batch_size])
             for i in range(0, len(x), batch_size)]
    codes = torch.cat([c for c, _ in parts]).cpu().numpy()
    if parts[0][1] is None:
        return codes, None
    return codes, torch.cat([k for _, k in parts]).cpu().numpy()


def model_views(model: LatentModel, data: Dataset, live: LiveItems, seed: int = 0,
                epoch: float = 0.0, step: int = 0) -> Snapshot:
    """The snapshot a training run would send of ``model`` now — its decoder weights, the codes
    of the map items, the reconstructions of the strip, the sample grid of ``seed`` — for a
    model that was opened rather than trained."""
    inputs = ViewInputs.of(model, data, live, seed, next(model.parameters()).device)
    return snapshot_of(model, inputs, step, float(epoch))


@torch.no_grad()
def snapshot_of(model: LatentModel, inputs: ViewInputs, step: int = 0,
                epoch: float = 0.0) -> Snapshot:
    """A snapshot with every view of ``model`` on ``inputs``: decoder weights, the map items'
    codes (and an InfoGAN's categories), the strip's reconstructions and the sample grid. The
    model keeps its training or eval mode."""
    was_training = model.training
    model.eval()
    codes = categories = recon = samples = None
    if inputs.x_map is not None and model.has_encoder:
        codes, categories = infer_all(model, inputs.x_map, inputs.y_map)
    if inputs.x_strip is not None and model.reconstructs:
        recon = model.reconstruct(inputs.x_strip, inputs.y_strip).cpu().numpy()
    if inputs.grid is not None:
        samples = model.decode(inputs.grid).cpu().numpy()
    model.train(was_training)
    return Snapshot(step, epoch, decoder_state(model), codes, recon, categories, samples)
