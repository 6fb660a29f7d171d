"""Every map's source and method. Mixed into LabState, whose signals it uses.

Each of the three maps shows a *source* — the inputs (pixels, or word vectors) or the model's
codes — through a *method*: PCA (LSA for text), UMAP, t-SNE or the codes themselves. The first
two maps start as built-in views that need no projection thread: the PCA (LSA) baseline of the
inputs, fitted when the dataset loads, and the model's codes, which follow training live and
replay on the timeline. Choosing another setup for one of them replaces that view until the
default is chosen again, or a new dataset (either map) or a new model (the codes map) arrives.

Projections run on one background thread per map (a :class:`TaskRunner`) with progress and
*Cancel*; a projection that fails or is cancelled leaves every map as it was.

Decoding anywhere: a linear map keeps its exact inverse (PCA of the inputs decodes as
``mean + coords · components``; a map of the codes decodes through the decoder, through the codes'
PCA inverse above 2-D). A UMAP or t-SNE map has no inverse: the probe's code is interpolated from
the codes of the k nearest map points (inverse-distance weights in 2-D, KD-tree lookup) and then
decoded (:mod:`latentlab.qt.state_decoding`).
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from latentlab.core.maps.methods import MENU_METHODS, METHOD_NAMES, SOURCES
from latentlab.core.training.device import training_cpu_threads
from latentlab.qt.map_ids import LATENT, MAP_IDS, PIXELS, THIRD
from latentlab.qt.state_decoding import DECODE_ANYWHERE_HELP, KNN_K
from latentlab.qt.workers import TaskRunner

__all__ = ["BUILT_IN", "DECODE_ANYWHERE_HELP", "DEFAULT_SETUPS", "MapSetup", "MapStateMixin"]


@dataclass(frozen=True)
class MapSetup:
    """What a map shows: ``source`` "inputs" or "codes", through ``method``."""

    source: str = "inputs"
    method: str = "tsne"
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "method": self.method, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: object) -> MapSetup:
        """A setup read from a lab file; ValueError names what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("a map's setup must be an object")
        source, method = data.get("source"), data.get("method")
        params = data.get("params", {})
        if source not in SOURCES:
            raise ValueError(f"source {source!r} is not one of {', '.join(SOURCES)}")
        if method not in MENU_METHODS:
            raise ValueError(f"method {method!r} is not one of {', '.join(MENU_METHODS)}")
        if not isinstance(params, dict):
            raise ValueError("a map's params must be an object")
        return cls(source, method, params)


#: What each map shows until the user chooses otherwise. The first two are built-in views.
DEFAULT_SETUPS = {PIXELS: MapSetup("inputs", "pca"), LATENT: MapSetup("codes", "codes"),
                  THIRD: MapSetup("inputs", "tsne")}
BUILT_IN = (PIXELS, LATENT)


class MapStateMixin:
    """Every map's setup and projection; LabState holds the signals used here."""

    def _init_maps(self) -> None:
        self.map_setups: dict[str, MapSetup] = dict(DEFAULT_SETUPS)
        #: Maps showing a projection: (setup, fitted projection, the codes it was fitted on or
        #: None). A built-in map listed here is replaced by that projection.
        self.map_fits: dict[str, tuple[MapSetup, Any, np.ndarray | None]] = {}
        #: A replaced built-in map's own coordinates and title, kept up to date while hidden.
        self._built_in_views: dict[str, tuple[np.ndarray | None, str]] = {}
        self._knn_cache: dict[str, tuple[int, Any]] = {}
        self.projectors: dict[str, TaskRunner] = {}
        for map_id in MAP_IDS:
            runner = self.projectors[map_id] = TaskRunner(self)
            runner.progress.connect(lambda text, m=map_id: self._on_projection_progress(m, text))
            runner.succeeded.connect(lambda result, m=map_id: self._on_projected(m, result))
            runner.failed.connect(lambda exc, details, m=map_id:
                                  self._on_projection_failed(m, exc, details))
        self._umap_warmer: threading.Thread | None = None
        self.umap_warmed.connect(self.message)
        #: Per running projection: (setup, the codes it maps or None); cancelled ones listed.
        self._projecting: dict[str, tuple[MapSetup, np.ndarray | None]] = {}
        self._cancelled: set[str] = set()
        #: Where a projection's probe goes once it is done (a lab's saved place), else the middle.
        self._pending_probes: dict[str, np.ndarray] = {}
        self._init_timeline()
        self.item_errors: np.ndarray | None = None
        self.code_clusters: np.ndarray | None = None
        self.training_finished.connect(self._refresh_after_training)
        self.map_method[THIRD] = self._empty_title(THIRD)

    # ------------------------------------------------------------ projections
    def is_projecting(self, map_id: str | None = None) -> bool:
        """Whether ``map_id`` (any map, for None) is being computed."""
        return bool(self._projecting) if map_id is None else map_id in self._projecting

    def replaced(self, map_id: str) -> bool:
        """Whether a built-in map (PCA of the inputs, the codes) shows a chosen projection."""
        return map_id in BUILT_IN and map_id in self.map_fits

    def project_map(self, map_id: str, setup: MapSetup) -> bool:
        """Fit ``setup`` for ``map_id`` in the background; False (with a message) if it cannot.

        A built-in map's default setup brings that view back at once, with no projection."""
        from latentlab.core.maps import projection as proj
        from latentlab.core.maps.inverse import KNNInverse

        if self.dataset is None:
            return False
        if map_id == LATENT and self.gan is not None and setup != DEFAULT_SETUPS[LATENT]:
            self.error.emit("Cannot make this map", "A GAN's map is its generator's code space "
                            "and stays so; use another map for projections.\n\nThe maps are "
                            "unchanged.", "")
            return False
        if map_id in BUILT_IN and setup == DEFAULT_SETUPS[map_id]:
            self._show_built_in(map_id)
            return True
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
        runner = self.projectors[map_id]
        if runner.running:
            runner.cancel_and_wait()
        seed = int(self.train_cfg.seed)
        codes = x if setup.source == "codes" else None
        self.map_setups[map_id] = setup
        self._projecting[map_id] = (setup, codes)
        self._cancelled.discard(map_id)

        def task(report, cancel: threading.Event):
            from threadpoolctl import threadpool_limits

            # Leave a core to the GUI; BLAS/OpenMP threads beyond the free cores make t-SNE and
            # UMAP many times slower (30× measured on 2 cores).
            with threadpool_limits(limits=training_cpu_threads()):
                fitted = proj.fit_projection(spec, x, seed=seed, cancel=cancel, progress=report)
            # The KD-tree for decoding anywhere is built here too, so no drag waits for it.
            knn = None if fitted.exact_inverse or codes is None else KNNInverse(
                fitted.coords, codes, k=KNN_K)
            return fitted, knn

        runner.start(task)
        if map_id not in self.map_fits and map_id not in BUILT_IN:
            self.map_method[map_id] = f"{spec.label()}: computing…"
            self.map_changed.emit(map_id)
        self.projection_changed.emit(map_id)
        self.projection_progress.emit(map_id, f"{METHOD_NAMES[method]} of {len(x):,} items…")
        return True

    def cancel_projection(self, map_id: str) -> None:
        """Cancel ``map_id``'s projection: whatever it returns is dropped, the map is kept."""
        if map_id in self._projecting:
            self._cancelled.add(map_id)
            self.projectors[map_id].cancel()
            self.projection_progress.emit(map_id, "Cancelling…")

    def _projection_input(self, setup: MapSetup) -> tuple[np.ndarray | None, str]:
        assert self.dataset is not None
        if setup.source == "codes":
            if self.codes is None:
                return None, "A map of the codes needs a model: train one or open one first."
            return np.asarray(self.codes), ""
        if setup.method == "codes":
            return None, "“Codes” maps the model's codes: choose the codes as the source."
        return self.dataset.x[self.map_indices].reshape(len(self.map_indices), -1), ""

    def _on_projection_progress(self, map_id: str, text: object) -> None:
        if map_id in self._projecting:
            self.projection_progress.emit(map_id, str(text))

    def _on_projected(self, map_id: str, result: tuple[Any, Any]) -> None:
        fitted, knn = result
        pending = self._projecting.pop(map_id, None)
        if pending is None:
            return
        if map_id in self._cancelled:
            self._after_cancel(map_id)
            return
        setup, codes = pending
        if map_id in BUILT_IN and map_id not in self.map_fits:
            self._built_in_views[map_id] = (self.coords[map_id], self.map_method[map_id])
        self.coords[map_id] = np.asarray(fitted.coords, np.float32)
        self.map_fits[map_id] = (setup, fitted, codes)
        self._knn_cache.pop(map_id, None)
        if knn is not None and codes is not None:
            self._knn_cache[map_id] = (id(codes), knn)
        self.map_method[map_id] = fitted.method_label
        self.map_changed.emit(map_id)
        self.projection_changed.emit(map_id)
        self.projection_progress.emit(map_id, "")
        xy = self._pending_probes.pop(map_id, None)
        self._move_probe(map_id, np.median(self.coords[map_id], axis=0) if xy is None else xy)

    def _on_projection_failed(self, map_id: str, exc: BaseException, details: str) -> None:
        from latentlab.core.maps import projection as proj

        self._projecting.pop(map_id, None)
        if map_id in self._cancelled or isinstance(exc, proj.ProjectionCancelled):
            self._after_cancel(map_id)
            return
        self._pending_probes.pop(map_id, None)
        self._keep_shown_setup(map_id)
        self.projection_changed.emit(map_id)
        self.projection_progress.emit(map_id, "")
        readable = isinstance(exc, ValueError)  # ProjectionError is a ValueError
        message = str(exc) if readable else f"{type(exc).__name__}: {exc}"
        self.error.emit("Could not make this map", f"{message}\n\nThe maps are unchanged.",
                        "" if readable else details)

    def _after_cancel(self, map_id: str) -> None:
        self._cancelled.discard(map_id)
        self._pending_probes.pop(map_id, None)
        self._keep_shown_setup(map_id)
        self.projection_changed.emit(map_id)
        self.projection_progress.emit(map_id, "")
        self.message.emit("The projection was cancelled; the map is unchanged.")

    def _keep_shown_setup(self, map_id: str) -> None:
        """After a projection that did not finish: the map's setup is again what it shows."""
        fit = self.map_fits.get(map_id)
        if fit is not None:
            self.map_setups[map_id] = fit[0]
        elif map_id in BUILT_IN:
            self.map_setups[map_id] = DEFAULT_SETUPS[map_id]
        else:
            self.map_method[map_id] = self._empty_title(map_id)
            self.map_changed.emit(map_id)

    def _show_built_in(self, map_id: str) -> None:
        """Bring back a built-in map's own view (the baseline, the live codes)."""
        runner = self.projectors[map_id]
        if runner.running:
            runner.cancel_and_wait()
        self._projecting.pop(map_id, None)
        self._cancelled.discard(map_id)
        self._pending_probes.pop(map_id, None)
        self.map_setups[map_id] = DEFAULT_SETUPS[map_id]
        replaced = self.map_fits.pop(map_id, None) is not None
        self._knn_cache.pop(map_id, None)
        view = self._built_in_views.pop(map_id, None)
        if replaced and view is not None:
            self.coords[map_id], self.map_method[map_id] = view
            self.decoded_images[map_id] = None
            self.map_changed.emit(map_id)
            coords = self.coords[map_id]
            if coords is not None and len(coords):
                self._move_probe(map_id, np.median(coords, axis=0))
        self.projection_changed.emit(map_id)
        self.projection_progress.emit(map_id, "")

    def set_built_in_coords(self, map_id: str, coords: np.ndarray | None) -> bool:
        """New coordinates for a built-in map (the codes moved); False while it is replaced,
        when they are kept for its return."""
        if self.replaced(map_id):
            _old, title = self._built_in_views.get(map_id, (None, self.map_method[map_id]))
            self._built_in_views[map_id] = (coords, title)
            return False
        self.coords[map_id] = coords
        self.map_changed.emit(map_id)
        return True

    def warm_up_umap(self) -> None:
        """Import umap-learn and let numba compile on a background thread, once, when UMAP is
        first chosen: start-up never pays for it, and the first UMAP map starts sooner.

        A daemon thread, not a QThread: numba cannot be interrupted while it compiles, and a
        window closed meanwhile must close now; the process may end with the thread unfinished
        (what was compiled so far is in numba's cache)."""
        if self._umap_warmer is not None:
            return
        from latentlab.core.maps import nonlinear

        def warm() -> None:
            try:
                text = f"UMAP is ready (prepared in {nonlinear.warm_up_umap():.1f} s)."
            except Exception as exc:  # a message, never a traceback from a thread
                text = f"UMAP could not be prepared: {exc}"
            with contextlib.suppress(RuntimeError):  # the window closed meanwhile
                self.umap_warmed.emit(text)  # queued to the GUI thread

        self._umap_warmer = threading.Thread(target=warm, name="latentlab-umap-warm-up",
                                             daemon=True)
        self._umap_warmer.start()

    def _clear_configured_maps(self, codes_only: bool) -> None:
        """Forget projections whose source is gone (a new dataset: all; a new model: those of
        the codes). Built-in maps return to their own view (the codes map on any new model);
        the third map keeps its setup, to be applied again."""
        for map_id in MAP_IDS:
            setup = self.map_setups[map_id]
            keeps = codes_only and setup.source != "codes" and map_id != LATENT
            if map_id in self._projecting and not keeps:
                self.projectors[map_id].cancel_and_wait()
                del self._projecting[map_id]
                self._cancelled.discard(map_id)
                self.projection_changed.emit(map_id)
                self.projection_progress.emit(map_id, "")
            if keeps:
                self._knn_cache.pop(map_id, None)  # input maps interpolate the new model's codes
                continue
            if map_id in BUILT_IN:
                self._show_built_in(map_id)
                continue
            self.map_fits.pop(map_id, None)
            self._knn_cache.pop(map_id, None)
            self.coords[map_id] = None
            self.decoded_images[map_id] = None
            self.map_method[map_id] = self._empty_title(map_id)

    def _empty_title(self, map_id: str) -> str:
        setup = self.map_setups[map_id]
        return f"{METHOD_NAMES[setup.method]} of {setup.source}: press Apply"

    # -------------------------------------------------- following the model
    def _on_codes_arrived(self, codes: np.ndarray, step: int, epoch: float) -> None:
        """Each snapshot's codes: offered to the timeline; linear code maps follow them live."""
        self._timeline_codes(codes, step, epoch)
        from latentlab.core.maps import projection as proj

        for map_id, (setup, fitted, _old) in list(self.map_fits.items()):
            if setup.source != "codes" or setup.method not in ("pca", "codes"):
                continue
            if map_id in self._projecting:
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

    def _refresh_after_training(self, _event: object = None) -> None:
        """A finished run: UMAP/t-SNE maps of the codes are fitted again; colours recomputed."""
        for map_id, (setup, _fitted, _codes) in list(self.map_fits.items()):
            if setup.source == "codes" and setup.method in ("umap", "tsne"):
                self.project_map(map_id, setup)
        if self.colour_by in ("error", "cluster"):
            self.item_errors = self.code_clusters = None
            self.set_colour_by(self.colour_by, force=True)

    def _reset_map_extras(self) -> None:
        self.item_errors = self.code_clusters = None
        for map_id in self.map_setups:
            self.map_changed.emit(map_id)
        self._reset_timeline()
