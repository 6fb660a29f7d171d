"""Colour-by for every map: the dataset's classes, InfoGAN Q's category, k-means clusters of the
codes, per-item reconstruction error (binned), or one colour. Mixed into LabState."""

from __future__ import annotations

import numpy as np
import torch

#: Colour-by choices: the dataset's classes, InfoGAN Q's category, k-means clusters of the codes
#: (Q's category for an InfoGAN), per-item reconstruction error (binned), or one colour.
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


class ColourStateMixin:
    """What colours the map points; LabState holds the signals used here."""

    def colour_available(self, colour_by: str) -> bool:
        if colour_by == "category":
            return self.map_categories is not None
        if colour_by == "cluster":
            return self.map_categories is not None or (
                self.codes is not None and self.gan is None and len(self.codes) >= 2)
        if colour_by == "error":
            model = self.live_model
            return (model is not None and self.gan is None and model.reconstructs
                    and not self.runner.running)
        return colour_by in COLOUR_BY

    def set_colour_by(self, colour_by: str, force: bool = False) -> None:
        """Colour map points by "label", "category" (InfoGAN's Q), "cluster", "error" or "none".

        Unavailable choices fall back to "label". "cluster" is Q's category for an InfoGAN and a
        seeded k-means (scipy's kmeans2) of the codes otherwise; "error" is each map item's sum
        of squared reconstruction errors under the live model, in 8 quantile bins.
        """
        if not self.colour_available(colour_by):
            colour_by = "label"
        if colour_by == "error" and self.item_errors is None:
            assert self.dataset is not None and self.live_model is not None
            self.item_errors = item_errors(self.live_model, self.dataset.x[self.map_indices])
        if colour_by == "cluster" and self.code_clusters is None and self.map_categories is None:
            from scipy.cluster.vq import kmeans2

            assert self.codes is not None and self.dataset is not None
            k = len(self.dataset.class_names) if self.dataset.labels is not None else 10
            k = max(2, min(k, len(self.codes)))
            _, self.code_clusters = kmeans2(np.asarray(self.codes, np.float64), k, seed=0,
                                            minit="++")
        if colour_by != self.colour_by or force:
            self.colour_by = colour_by
            self.colours_changed.emit()

    @property
    def colour_palette(self) -> str:
        """"sequential" for reconstruction errors, else "classes"."""
        return "sequential" if self.colour_by == "error" else "classes"

    def point_classes(self) -> tuple[np.ndarray | None, tuple[str, ...]]:
        """Per map point, the class that colours it, and the class names (for the legend)."""
        if self.colour_by == "none":
            return None, ()
        if self.colour_by == "category" and self.map_categories is not None:
            k = self.model_cfg.n_categories
            return self.map_categories, tuple(f"category {i}" for i in range(k))
        if self.colour_by == "cluster":
            clusters = self.map_categories if self.map_categories is not None else (
                self.code_clusters)
            if clusters is not None:
                k = int(clusters.max()) + 1 if len(clusters) else 0
                return np.asarray(clusters), tuple(f"cluster {i}" for i in range(k))
        if self.colour_by == "error" and self.item_errors is not None:
            edges = np.quantile(self.item_errors, np.linspace(0, 1, ERROR_BINS + 1))
            bins = np.clip(np.searchsorted(edges, self.item_errors, side="right") - 1, 0,
                           ERROR_BINS - 1)
            names = tuple(f"SSE {edges[i]:.3g}–{edges[i + 1]:.3g}" for i in range(ERROR_BINS))
            return bins, names
        dataset = self.dataset
        if dataset is None or dataset.labels is None:
            return None, ()
        return dataset.labels[self.map_indices], dataset.class_names
