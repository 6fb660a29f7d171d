"""What colours the map points: the dataset's classes, InfoGAN Q's category, k-means clusters of
the codes (Q's category for an InfoGAN), per-item reconstruction error (binned), the few-label
classifier's prediction or whether it is right, or one colour."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from psygnal import Signal

from latentlab.lab.data_session import DataSession
from latentlab.lab.model_session import ModelSession
from latentlab.lab.semisup import Semisup

if TYPE_CHECKING:  # torch loads with the first model, not with the window
    from latentlab.core.models import LatentModel

COLOUR_BY = ("label", "category", "cluster", "error", "predicted", "correct", "none")
#: The few-label colourings' palettes (qt/widgets/palette.py): classes, or correct and wrong,
#: each with a grey for the train items, which are not predicted.
PREDICTED_PALETTES = {"predicted": "predicted", "correct": "outcome"}
NOT_PREDICTED = "train item (not predicted)"
ERROR_BINS = 8


def item_errors(model: LatentModel, x: np.ndarray, labels: np.ndarray | None = None,
                batch: int = 2048) -> np.ndarray:
    """Per-item sum of squared errors between ``x`` and the model's reconstruction (of each
    item given its class, for a model that encodes with it)."""
    import torch

    out = np.empty(len(x), np.float64)
    with torch.inference_mode():
        for i in range(0, len(x), batch):
            xb = torch.from_numpy(np.ascontiguousarray(x[i:i + batch], dtype=np.float32))
            yb = None if labels is None else torch.from_numpy(labels[i:i + batch])
            recon = model.reconstruct(xb, yb).reshape(len(xb), -1).double()
            out[i:i + batch] = ((recon - xb.reshape(len(xb), -1).double()) ** 2).sum(1).numpy()
    return out


class Colouring:
    changed = Signal()

    def __init__(self, data: DataSession, model: ModelSession, semisup: Semisup) -> None:
        self._data = data
        self._model = model
        self._semisup = semisup
        self.colour_by = "label"
        #: Computed on demand, forgotten when the model or its codes change.
        self.item_errors: np.ndarray | None = None
        self.code_clusters: np.ndarray | None = None
        model.changed.connect(self._on_model_changed)
        model.categories_changed.connect(self._on_categories)
        model.run_ended.connect(self._on_run_ended)
        semisup.results_changed.connect(self._on_predictions)

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
        if colour_by in PREDICTED_PALETTES:
            dataset = self._data.dataset
            return (self._semisup.chosen is not None and dataset is not None
                    and dataset.labels is not None)
        return colour_by in COLOUR_BY

    def set_colour_by(self, colour_by: str, force: bool = False) -> None:
        """Colour by "label", "category" (InfoGAN's Q), "cluster", "error", "predicted",
        "correct" or "none".

        Unavailable choices fall back to "label". "cluster" is Q's category for an InfoGAN and a
        seeded k-means (scipy's kmeans2) of the codes otherwise; "error" is each map item's sum
        of squared reconstruction errors under the live model, in 8 quantile bins. "predicted"
        and "correct" show the few-label result looked at: each test item's predicted class, or
        whether it is right; train items are not predicted.
        """
        if not self.available(colour_by):
            colour_by = "label"
        data, model = self._data, self._model
        if colour_by == "error" and self.item_errors is None:
            assert data.dataset is not None and model.live_model is not None
            from latentlab.core.training.views import encoder_labels

            self.item_errors = item_errors(
                model.live_model, data.dataset.images(data.map_indices),
                encoder_labels(model.live_model, data.dataset, data.map_indices))
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
        """"sequential" for reconstruction errors, "predicted" and "outcome" for the few-label
        results (with a grey of their own for the items not predicted), else "classes"."""
        if self.colour_by == "error":
            return "sequential"
        return PREDICTED_PALETTES.get(self.colour_by, "classes")

    @property
    def beneath(self) -> int | None:
        """The class drawn beneath the others (the train items, which are not predicted and
        outnumber the test items), or None: the map's own order."""
        if self.colour_by == "predicted":
            return 0
        return 2 if self.colour_by == "correct" else None

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
        truth = dataset.labels[self._data.map_indices]
        predicted = (self._semisup.map_predictions() if self.colour_by in PREDICTED_PALETTES
                     else None)
        if predicted is not None and self.colour_by == "predicted":
            return predicted + 1, (NOT_PREDICTED, *dataset.class_names)
        if predicted is not None:
            outcome = np.where(predicted < 0, 2, np.where(predicted == truth, 0, 1))
            return outcome, ("correct", "wrong", NOT_PREDICTED)
        return truth, dataset.class_names

    def _on_model_changed(self) -> None:
        self.item_errors = self.code_clusters = None
        self.set_colour_by("label")

    def _on_predictions(self) -> None:
        """Other results, or another one looked at: colour by it (or by class without any)."""
        if self.colour_by in PREDICTED_PALETTES:
            self.set_colour_by(self.colour_by, force=True)

    def _on_categories(self) -> None:
        if self.colour_by == "category":
            self.changed.emit()

    def _on_run_ended(self) -> None:
        """A finished run: errors and clusters are computed again for the final model."""
        if self.colour_by in ("error", "cluster"):
            self.item_errors = self.code_clusters = None
            self.set_colour_by(self.colour_by, force=True)
