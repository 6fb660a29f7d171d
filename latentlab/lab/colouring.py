"""What colours the map points: the dataset's classes, InfoGAN Q's category, k-means clusters of
the codes (Q's category for an InfoGAN), per-item reconstruction error (binned), or one colour."""

from __future__ import annotations

import numpy as np
import torch
from psygnal import Signal

from latentlab.lab.data_session import DataSession
from latentlab.lab.model_session import ModelSession

COLOUR_BY = ("label", "category", "cluster", "error", "none")
ERROR_BINS = 8


def item_errors(model, x: np.ndarray, batch: int = 2048) -> np.ndarray:
    """Per-item sum of squared errors between ``x`` and the model's reconstruction."""
    out = np.empty(len(x), np.float64)
    with torch.inference_mode():
        for i in range(0, len(x), batch):
            xb = torch.from_numpy(np.ascontiguousarray(x[i:i + batch], dtype=np.float32))
            recon = model.reconstruct(xb).reshape(len(xb), -1).double()
            out[i:i + batch] = ((recon - xb.reshape(len(xb), -1).double()) ** 2).sum(1).numpy()
    return out


class Colouring:
    changed = Signal()

    def __init__(self, data: DataSession, model: ModelSession) -> None:
        self._data = data
        self._model = model
        self.colour_by = "label"
        #: Computed on demand, forgotten when the model or its codes change.
        self.item_errors: np.ndarray | None = None
        self.code_clusters: np.ndarray | None = None
        model.changed.connect(self._on_model_changed)
        model.categories_changed.connect(self._on_categories)
        model.run_ended.connect(self._on_run_ended)

    def available(self, colour_by: str) -> bool:
        model = self._model
        if colour_by == "category":
            return model.categories is not None
        if colour_by == "cluster":
            return model.categories is not None or (
                model.codes is not None and model.gan is None and len(model.codes) >= 2)
        if colour_by == "error":
            live = model.live_model
            return (live is not None and model.gan is None and live.reconstructs
                    and not model.training)
        return colour_by in COLOUR_BY

    def set_colour_by(self, colour_by: str, force: bool = False) -> None:
        """Colour by "label", "category" (InfoGAN's Q), "cluster", "error" or "none".

        Unavailable choices fall back to "label". "cluster" is Q's category for an InfoGAN and a
        seeded k-means (scipy's kmeans2) of the codes otherwise; "error" is each map item's sum
        of squared reconstruction errors under the live model, in 8 quantile bins.
        """
        if not self.available(colour_by):
            colour_by = "label"
        data, model = self._data, self._model
        if colour_by == "error" and self.item_errors is None:
            assert data.dataset is not None and model.live_model is not None
            self.item_errors = item_errors(model.live_model, data.dataset.x[data.map_indices])
        if colour_by == "cluster" and self.code_clusters is None and model.categories is None:
            from scipy.cluster.vq import kmeans2

            assert model.codes is not None and data.dataset is not None
            k = len(data.dataset.class_names) if data.dataset.labels is not None else 10
            k = max(2, min(k, len(model.codes)))
            _, self.code_clusters = kmeans2(np.asarray(model.codes, np.float64), k, seed=0,
                                            minit="++")
        if colour_by != self.colour_by or force:
            self.colour_by = colour_by
            self.changed.emit()

    @property
    def palette(self) -> str:
        """"sequential" for reconstruction errors, else "classes"."""
        return "sequential" if self.colour_by == "error" else "classes"

    def point_classes(self) -> tuple[np.ndarray | None, tuple[str, ...]]:
        """Per map point, the class that colours it, and the class names (for the legend)."""
        model, dataset = self._model, self._data.dataset
        if self.colour_by == "none":
            return None, ()
        if self.colour_by == "category" and model.categories is not None:
            k = model.model_cfg.n_categories
            return model.categories, tuple(f"category {i}" for i in range(k))
        if self.colour_by == "cluster":
            clusters = model.categories if model.categories is not None else self.code_clusters
            if clusters is not None:
                k = int(clusters.max()) + 1 if len(clusters) else 0
                return np.asarray(clusters), tuple(f"cluster {i}" for i in range(k))
        if self.colour_by == "error" and self.item_errors is not None:
            edges = np.quantile(self.item_errors, np.linspace(0, 1, ERROR_BINS + 1))
            bins = np.clip(np.searchsorted(edges, self.item_errors, side="right") - 1, 0,
                           ERROR_BINS - 1)
            names = tuple(f"SSE {edges[i]:.3g}–{edges[i + 1]:.3g}" for i in range(ERROR_BINS))
            return bins, names
        if dataset is None or dataset.labels is None:
            return None, ()
        return dataset.labels[self._data.map_indices], dataset.class_names

    def _on_model_changed(self) -> None:
        self.item_errors = self.code_clusters = None
        self.set_colour_by("label")

    def _on_categories(self) -> None:
        if self.colour_by == "category":
            self.changed.emit()

    def _on_run_ended(self) -> None:
        """A finished run: errors and clusters are computed again for the final model."""
        if self.colour_by in ("error", "cluster"):
            self.item_errors = self.code_clusters = None
            self.set_colour_by(self.colour_by, force=True)
