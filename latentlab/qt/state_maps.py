"""Configurable maps, colour-by and the map timeline. Mixed into LabState, whose signals it uses.

The third map (``THIRD``) shows a chosen *source* — the inputs (pixels, or word vectors) or the
model's codes — through a chosen *method*: PCA (LSA for text), UMAP, t-SNE or the codes themselves.
Projections run on the ``projector`` thread (a :class:`TaskRunner`) with progress and *Cancel*; a
projection that fails or is cancelled leaves every map as it was.

Decoding anywhere: a linear map keeps its exact inverse (PCA of the inputs decodes as
``mean + coords · components``; a map of the codes decodes through the decoder, through the codes'
PCA inverse above 2-D). A UMAP or t-SNE map has no inverse: the probe's code is interpolated from
the codes of the k nearest map points (inverse-distance weights in 2-D, KD-tree lookup) and then
decoded — see :data:`DECODE_ANYWHERE_HELP`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from latentlab.core.device import training_cpu_threads
from latentlab.qt.map_ids import LATENT, THIRD
from latentlab.qt.workers import TaskRunner

#: Methods offered for a configurable map, in menu order.
METHODS = ("pca", "umap", "tsne", "codes")
METHOD_NAMES = {"pca": "PCA", "lsa": "LSA", "umap": "UMAP", "tsne": "t-SNE", "codes": "Codes"}
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "umap": {"n_neighbors": 15, "min_dist": 0.1},
    "tsne": {"perplexity": 30.0},
}
#: Colour-by choices: the dataset's classes, InfoGAN Q's category, k-means clusters of the codes
#: (Q's category for an InfoGAN), per-item reconstruction error (binned), or one colour.
COLOUR_BY = ("label", "category", "cluster", "error", "none")
ERROR_BINS = 8
KNN_K = 8
DECODE_ANYWHERE_HELP = (
    "<b>Decoding anywhere on a map.</b><p>Linear maps have an exact inverse: PCA of the pixels "
    "decodes as <i>mean + coords · components</i>; a map of the codes decodes the code at the "
    "probe (through the inverse of the codes' PCA when the code has more than two dimensions).</p>"
    f"<p>UMAP and t-SNE have no inverse. There the probe's code is interpolated from the codes of "
    f"the {KNN_K} map points nearest to it (found with a KD-tree), weighted by one over their "
    "distance on the map (an item's own point gives exactly its code), and the decoder draws "
    "that code. A UMAP or t-SNE map of the raw inputs decodes the same way once a model exists, "
    "interpolating the codes of its nearest items; before that it needs a model.</p>"
)


@dataclass(frozen=True)
class MapSetup:
    """What a configurable map shows: ``source`` "inputs" or "codes", through ``method``."""

    source: str = "inputs"
    method: str = "tsne"
    params: dict[str, Any] = field(default_factory=dict)


def item_errors(model, x: np.ndarray, batch: int = 2048) -> np.ndarray:
    """Per-item sum of squared errors between ``x`` and the model's reconstruction."""
    out = np.empty(len(x), np.float64)
    with torch.inference_mode():
        for i in range(0, len(x), batch):
            xb = torch.from_numpy(np.ascontiguousarray(x[i:i + batch], dtype=np.float32))
            recon = model.reconstruct(xb).reshape(len(xb), -1).double()
            out[i:i + batch] = ((recon - xb.reshape(len(xb), -1).double()) ** 2).sum(1).numpy()
    return out


class MapStateMixin:
    """Configurable maps, colour-by, the timeline; LabState holds the signals used here."""

    def _init_maps(self) -> None:
        self.map_setups: dict[str, MapSetup] = {THIRD: MapSetup()}
        #: Per configurable map: (setup, fitted projection, the codes it was fitted on or None).
        self.map_fits: dict[str, tuple[MapSetup, Any, np.ndarray | None]] = {}
        self._knn_cache: dict[str, tuple[int, Any]] = {}
        self.projector = TaskRunner(self)
        self._umap_warmer: TaskRunner | None = None
        self.projector.progress.connect(self._on_projection_progress)
        self.projector.succeeded.connect(self._on_projection_succeeded)
        self.projector.failed.connect(self._on_projection_failed)
        self._projecting: tuple[str, MapSetup, np.ndarray | None] | None = None
        self._projection_cancelled = False
        #: Map timeline: (epoch, map codes at the end of that epoch), in order.
        self.timeline: list[tuple[int, np.ndarray]] = []
        self.timeline_epoch: int | None = None  # None: the live map
        self._epoch_codes: np.ndarray | None = None
        self.item_errors: np.ndarray | None = None
        self.code_clusters: np.ndarray | None = None
        self.training_finished.connect(self._refresh_after_training)
        self.map_method[THIRD] = self._empty_title(THIRD)

    # ------------------------------------------------------------ projections
    @property
    def projecting_map(self) -> str | None:
        return self._projecting[0] if self._projecting is not None else None

    def project_map(self, map_id: str, setup: MapSetup) -> bool:
        """Fit ``setup`` for ``map_id`` in the background; False (with a message) if it cannot."""
        from latentlab.core import projection as proj

        if self.dataset is None:
            return False
        x, why = self._projection_input(setup)
        if x is None:
            self.error.emit("Cannot make this map", f"{why}\n\nThe maps are unchanged.", "")
            return False
        method = setup.method
        text = self.dataset.kind == "text"
        if method == "pca" and setup.source == "inputs" and text:
            method = "lsa"
        source = "codes" if setup.source == "codes" else ("words" if text else "pixels")
        spec = proj.ProjectionSpec(method, dict(setup.params), source)
        try:  # bad parameters or NaN codes are refused here, before any thread starts
            x = proj.validate_input(spec, x)
        except proj.ProjectionError as exc:
            self.error.emit("Cannot make this map", f"{exc}\n\nThe maps are unchanged.", "")
            return False
        if self.projector.running:
            self.projector.cancel_and_wait()
        seed = int(self.train_cfg.seed)
        codes = x if setup.source == "codes" else None
        self.map_setups[map_id] = setup
        self._projecting = (map_id, setup, codes)
        self._projection_cancelled = False

        def task(report, cancel: threading.Event):
            from threadpoolctl import threadpool_limits

            # Leave a core to the GUI; BLAS/OpenMP threads beyond the free cores make t-SNE and
            # UMAP many times slower (30× measured on 2 cores).
            with threadpool_limits(limits=training_cpu_threads()):
                fitted = proj.fit_projection(spec, x, seed=seed, cancel=cancel, progress=report)
            # The KD-tree for decoding anywhere is built here too, so no drag waits for it.
            knn = None if fitted.exact_inverse or codes is None else proj.KNNInverse(
                fitted.coords, codes, k=KNN_K)
            return fitted, knn

        self.projector.start(task)
        if map_id not in self.map_fits:
            self.map_method[map_id] = f"{spec.label()}: computing…"
            self.map_changed.emit(map_id)
        self.projection_changed.emit(map_id)
        self.projection_progress.emit(map_id, f"{METHOD_NAMES[method]} of {len(x):,} items…")
        return True

    def cancel_projection(self) -> None:
        """Cancel the running projection: whatever it returns is dropped, the map is kept."""
        if self._projecting is not None:
            self._projection_cancelled = True
            self.projector.cancel()
            self.projection_progress.emit(self._projecting[0], "Cancelling…")

    def _projection_input(self, setup: MapSetup) -> tuple[np.ndarray | None, str]:
        assert self.dataset is not None
        if setup.source == "codes":
            if self.codes is None:
                return None, "A map of the codes needs a model: train one or open one first."
            return np.asarray(self.codes), ""
        if setup.method == "codes":
            return None, "“Codes” maps the model's codes: choose the codes as the source."
        return self.dataset.x[self.map_indices].reshape(len(self.map_indices), -1), ""

    def _on_projection_progress(self, text: object) -> None:
        if self._projecting is not None:
            self.projection_progress.emit(self._projecting[0], str(text))

    def _on_projection_succeeded(self, result: tuple[Any, Any]) -> None:
        fitted, knn = result
        pending, self._projecting = self._projecting, None
        if pending is None:
            return
        map_id, setup, codes = pending
        if self._projection_cancelled:
            self._after_cancel(map_id)
            return
        self.coords[map_id] = np.asarray(fitted.coords, np.float32)
        self.map_fits[map_id] = (setup, fitted, codes)
        self._knn_cache.pop(map_id, None)
        if knn is not None and codes is not None:
            self._knn_cache[map_id] = (id(codes), knn)
        self.map_method[map_id] = fitted.method_label
        self.map_changed.emit(map_id)
        self.projection_changed.emit(map_id)
        self.projection_progress.emit(map_id, "")
        self._move_probe(map_id, np.median(self.coords[map_id], axis=0))

    def _on_projection_failed(self, exc: BaseException, details: str) -> None:
        from latentlab.core import projection as proj

        pending, self._projecting = self._projecting, None
        map_id = pending[0] if pending is not None else THIRD
        if self._projection_cancelled or isinstance(exc, proj.ProjectionCancelled):
            self._after_cancel(map_id)
            return
        self._restore_title(map_id)
        self.projection_changed.emit(map_id)
        self.projection_progress.emit(map_id, "")
        readable = isinstance(exc, ValueError)  # ProjectionError is a ValueError
        message = str(exc) if readable else f"{type(exc).__name__}: {exc}"
        self.error.emit("Could not make this map", f"{message}\n\nThe maps are unchanged.",
                        "" if readable else details)

    def _after_cancel(self, map_id: str) -> None:
        self._projection_cancelled = False
        self._restore_title(map_id)
        self.projection_changed.emit(map_id)
        self.projection_progress.emit(map_id, "")
        self.message.emit("The projection was cancelled; the map is unchanged.")

    def _restore_title(self, map_id: str) -> None:
        if map_id not in self.map_fits:
            self.map_method[map_id] = self._empty_title(map_id)
            self.map_changed.emit(map_id)

    def warm_up_umap(self) -> None:
        """Import umap-learn and let numba compile on a background thread, once, when UMAP is
        first chosen: start-up never pays for it, and the first UMAP map starts sooner."""
        if self._umap_warmer is not None:
            return
        from latentlab.core import projection as proj

        self._umap_warmer = TaskRunner(self)
        self._umap_warmer.succeeded.connect(
            lambda s: self.message.emit(f"UMAP is ready (prepared in {s:.1f} s)."))
        self._umap_warmer.failed.connect(
            lambda exc, _d: self.message.emit(f"UMAP could not be prepared: {exc}"))
        self._umap_warmer.start(lambda _report, _cancel: proj.warm_up_umap())

    def _clear_configured_maps(self, codes_only: bool) -> None:
        """Forget maps whose source is gone (a new dataset: all; a new model: the code maps)."""
        if self._projecting is not None and (not codes_only or self._projecting[2] is not None):
            self.projector.cancel_and_wait()
            map_id, self._projecting = self._projecting[0], None
            self.projection_changed.emit(map_id)
            self.projection_progress.emit(map_id, "")
        for map_id, setup in self.map_setups.items():
            if codes_only and setup.source != "codes":
                self._knn_cache.pop(map_id, None)  # input maps interpolate the new model's codes
                continue
            self.map_fits.pop(map_id, None)
            self._knn_cache.pop(map_id, None)
            self.coords[map_id] = None
            self.decoded_images[map_id] = None
            self.map_method[map_id] = self._empty_title(map_id)

    def _empty_title(self, map_id: str) -> str:
        setup = self.map_setups[map_id]
        return f"{METHOD_NAMES[setup.method]} of {setup.source}: press Apply"

    # ------------------------------------------------------------- decoding
    def _decode_configured(self, map_id: str, xy: np.ndarray) -> np.ndarray | None:
        """What the probe of a configurable map decodes to (None: nothing to show)."""
        fit = self.map_fits.get(map_id)
        if fit is None or self.dataset is None:
            return None
        setup, fitted, _codes = fit
        if fitted.exact_inverse:
            values = np.asarray(fitted.inverse(xy), np.float32)
            if setup.source == "inputs":
                return values.reshape(self.dataset.input_shape)
            code = values.reshape(1, -1)
        else:
            knn = self._knn_for(map_id)
            if knn is None:
                return None
            code = np.asarray(knn(xy[0]), np.float32).reshape(1, -1)
        if self.live_model is None or self.gan is not None:
            return None
        with torch.inference_mode():
            return self.live_model.decode(torch.from_numpy(code))[0].numpy()

    def _knn_for(self, map_id: str):
        """The kNN inverse of a UMAP/t-SNE map: the codes it was fitted on, or the live codes."""
        from latentlab.core import projection as proj

        _setup, fitted, codes = self.map_fits[map_id]
        if codes is None:
            codes = self.codes
        if codes is None or self.gan is not None or len(codes) != len(fitted.coords):
            return None
        cached = self._knn_cache.get(map_id)
        if cached is not None and cached[0] == id(codes):
            return cached[1]
        if cached is not None:
            # New codes (a map of the inputs while a model trains): the map and its KD-tree stay.
            knn = cached[1]
            knn.codes = np.asarray(codes, np.float32).reshape(len(codes), -1)
            self._knn_cache[map_id] = (id(codes), knn)
            return knn
        knn = proj.KNNInverse(np.asarray(fitted.coords), np.asarray(codes), k=KNN_K)
        self._knn_cache[map_id] = (id(codes), knn)
        return knn

    def decode_status(self, map_id: str) -> str:
        """A short line saying how this map's probe decodes (or why it does not)."""
        fit = self.map_fits.get(map_id)
        if fit is None:
            return ""
        setup, fitted, _ = fit
        if fitted.exact_inverse:
            return "exact inverse" if setup.source == "inputs" else "decoder at the code"
        if self.gan is not None:
            return "a GAN's codes cannot be interpolated here"
        if self._knn_for(map_id) is None:
            return "needs a model: train one to decode here"
        return f"decoder at the IDW mean of the {KNN_K} nearest codes"

    # -------------------------------------------------- following the model
    def _on_codes_arrived(self, codes: np.ndarray) -> None:
        """Each snapshot's codes: kept for the timeline; linear code maps follow them live."""
        self._epoch_codes = codes
        from latentlab.core import projection as proj

        for map_id, (setup, fitted, _old) in list(self.map_fits.items()):
            if setup.source != "codes" or setup.method not in ("pca", "codes"):
                continue
            if self._projecting is not None and self._projecting[0] == map_id:
                continue
            try:
                refit = proj.fit_projection(fitted.spec, codes,
                                            seed=int(self.train_cfg.seed))
            except ValueError:
                continue
            self.map_fits[map_id] = (setup, refit, codes)
            self.coords[map_id] = np.asarray(refit.coords, np.float32)
            self.map_changed.emit(map_id)
            self._dirty_probes.add(map_id)

    def _on_epoch_recorded(self, epoch: int) -> None:
        if self._epoch_codes is not None:
            self.timeline.append((epoch, self._epoch_codes))
            self.timeline_changed.emit()

    def _refresh_after_training(self, _event: object = None) -> None:
        """A finished run: UMAP/t-SNE maps of the codes are fitted again; colours recomputed."""
        for map_id, (setup, _fitted, _codes) in list(self.map_fits.items()):
            if setup.source == "codes" and setup.method in ("umap", "tsne"):
                self.project_map(map_id, setup)
        if self.colour_by in ("error", "cluster"):
            self.item_errors = self.code_clusters = None
            self.set_colour_by(self.colour_by, force=True)

    def _reset_map_extras(self) -> None:
        self.timeline = []
        self.timeline_epoch = None
        self._epoch_codes = None
        self.item_errors = self.code_clusters = None
        self._clear_configured_maps(codes_only=True)
        for map_id in self.map_setups:
            self.map_changed.emit(map_id)
        self.timeline_changed.emit()

    # ------------------------------------------------------------- timeline
    def show_epoch(self, epoch: int | None) -> None:
        """Show the latent map as it was at the end of ``epoch``; None returns to the live map."""
        if self.latent_map is None:
            return
        codes = self.codes
        if epoch is not None:
            found = [c for e, c in self.timeline if e == epoch]
            if not found:
                return
            codes = found[0]
        self.timeline_epoch = epoch
        if codes is not None:
            self.coords[LATENT] = self.latent_map.transform(codes)
            self.map_changed.emit(LATENT)
        self.timeline_changed.emit()

    # ------------------------------------------------------------ colour by
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
