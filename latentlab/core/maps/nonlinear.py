"""UMAP (umap-learn) and t-SNE (openTSNE) behind ``projection.fit_projection``, imported only
when a map needs them: with progress by phase (neighbours, then layout), and cancellable while
they iterate.

numba's compiled code for UMAP is cached in the user cache folder; :func:`warm_up_umap` imports
umap-learn and compiles once, for a background thread.
"""

from __future__ import annotations

import re
import sys
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from latentlab.core.maps.methods import DEFAULT_PARAMS, check_cancel


class _EpochStream:
    """A file for umap-learn's tqdm bar: reports epochs, and raises there on cancel."""

    def __init__(self, cancel: threading.Event | None, say: Callable[[str], None]) -> None:
        self.cancel, self.say = cancel, say

    def write(self, text: str) -> None:
        check_cancel(self.cancel)
        text = text.strip("\r\n ")
        counted = re.search(r"(\d+)/(\d+)", text)  # tqdm's "… 80/200 [00:01]"
        if counted:
            self.say(f"UMAP: layout epoch {counted[1]} of {counted[2]}")
        elif text:
            self.say(f"UMAP: layout epoch {text}")

    def flush(self) -> None:
        pass


def umap_model(params: Mapping[str, Any], seed: int, **extra: Any) -> Any:
    """An unfitted ``umap.UMAP`` with these parameters (imports umap: seconds the first time).

    numba's compiled code is cached in the user cache folder unless numba is already imported
    or the user chose a folder (``userdirs.configure_numba_cache``).
    """
    _configure_numba_cache()
    import umap

    kwargs = {"n_neighbors": int(params["n_neighbors"]), "min_dist": float(params["min_dist"]),
              "n_components": 2, "random_state": seed}
    if params.get("n_epochs") is not None:
        kwargs["n_epochs"] = int(params["n_epochs"])
    return umap.UMAP(**kwargs, **extra)


def _configure_numba_cache() -> None:
    if "numba" not in sys.modules:  # numba reads its cache settings once, on import
        from latentlab.core.files.userdirs import configure_numba_cache, user_cache_folder

        configure_numba_cache(user_cache_folder())


def fit_umap(x: np.ndarray, p: dict[str, Any], seed: int, cancel: threading.Event | None,
              say: Callable[[str], None]) -> Any:
    say("UMAP: loading umap-learn (compiled code comes from the cache after the first run)")
    stream = _EpochStream(cancel, say)
    model = umap_model(p, seed, tqdm_kwds={"disable": False, "file": stream, "mininterval": 0.5,
                                           "bar_format": "{n_fmt}/{total_fmt}"})
    check_cancel(cancel)
    say("UMAP: finding nearest neighbours")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "n_jobs overridden by random_state"
        model.fit(x)
    return model


#: t-SNE's early exaggeration phase (van der Maaten's 250 iterations at 12×), then the rest.
EXAGGERATION_ITER, EXAGGERATION = 250, 12.0
#: The learning rate is N / exaggeration (Belkina et al. 2019, openTSNE's "auto") but at least
#: this (scikit-learn's floor of 50, in openTSNE's gradient units): a few hundred items at N/12
#: barely leave their tiny PCA start within 250 iterations.
MIN_LEARNING_RATE = 200.0
PROGRESS_EVERY = 50  # iterations between progress reports (and cancel checks)


class TsneMap:
    """A fitted t-SNE: ``embedding_`` (N×2) and ``transform``, which places new items into the
    map without refitting it (openTSNE's optimisation of the new points alone, the map held)."""

    def __init__(self, embedding: Any) -> None:
        self._embedding = embedding
        self.embedding_ = np.array(embedding)

    def transform(self, x: np.ndarray) -> np.ndarray:
        # openTSNE's transform first centres the map in place (its bounding box on the origin)
        # and places the new points in that frame: both go back to the map's own frame.
        centre = (self._embedding.max(0) + self._embedding.min(0)) / 2
        placed = np.asarray(self._embedding.transform(np.asarray(x, dtype=np.float64)))
        self._embedding += centre
        return placed + centre


def fit_tsne(x: np.ndarray, p: dict[str, Any], seed: int, cancel: threading.Event | None,
             say: Callable[[str], None]) -> TsneMap:
    """openTSNE (Poličar et al.): neighbours and affinities (approximate neighbours above a
    thousand items), a PCA start, then gradient descent (Barnes-Hut, or FFT-interpolated
    repulsion above 10,000 items) — the early-exaggeration phase and the rest, as scikit-learn
    runs them, in ``max_iter`` iterations. Each phase says what it does; every PROGRESS_EVERY
    iterations the cancel event is checked."""
    say("t-SNE: loading openTSNE")
    from openTSNE import TSNEEmbedding, affinity, initialization

    threads = max(1, torch_threads())
    data = np.asarray(x, dtype=np.float64)
    say(f"t-SNE: finding nearest neighbours ({len(data):,} items)")
    affinities = affinity.PerplexityBasedNN(data, perplexity=float(p["perplexity"]),
                                            n_jobs=threads, random_state=seed)
    check_cancel(cancel)
    start = initialization.pca(data, random_state=seed)
    total = int(p["max_iter"])
    done = [0]

    def report(iteration: int, _error: float, _embedding: np.ndarray) -> bool:
        check_cancel(cancel)
        say(f"t-SNE: layout iteration {done[0] + iteration:,} of {total:,}")
        return False  # never stop early: a cancel raises instead

    # Barnes-Hut below 10,000 items, FFT-interpolated repulsion above (openTSNE's "auto"):
    # FFT's grid grows with the map's extent, which costs more than it saves on small maps
    # (1,797 digits: 24 s against 4 s for Barnes-Hut).
    embedding = TSNEEmbedding(start, affinities, negative_gradient_method="auto",
                              n_jobs=threads, random_state=seed, callbacks=report,
                              callbacks_every_iters=PROGRESS_EVERY)

    def rate(exaggeration: float) -> float:
        return max(len(data) / exaggeration, MIN_LEARNING_RATE)

    say("t-SNE: layout, early exaggeration")
    embedding = embedding.optimize(EXAGGERATION_ITER, exaggeration=EXAGGERATION, momentum=0.5,
                                   learning_rate=rate(EXAGGERATION), propagate_exception=True)
    done[0] = EXAGGERATION_ITER
    embedding = embedding.optimize(total - EXAGGERATION_ITER, momentum=0.8,
                                   learning_rate=rate(1.0), propagate_exception=True)
    return TsneMap(embedding)


def torch_threads() -> int:
    """The threads the process computes with (torch's setting, as the rest of the app)."""
    import torch

    return torch.get_num_threads()


# ---------------------------------------------------------------------------- UMAP warm-up

_warm_lock = threading.Lock()
_warm_seconds: float | None = None


def warm_up_umap() -> float:
    """Import umap-learn and run a tiny fit so numba compiles (or loads from its cache) the code
    UMAP needs; seconds taken. For a background thread at start-up; later calls return at once.

    numba's cache goes to the user cache folder, as for every UMAP here (:func:`umap_model`).
    """
    global _warm_seconds
    with _warm_lock:
        if _warm_seconds is not None:
            return 0.0
        start = time.perf_counter()
        x = np.random.default_rng(0).random((300, 16), dtype=np.float32)
        model = umap_model(DEFAULT_PARAMS["umap"], 0, n_epochs=20,
                           force_approximation_algorithm=True)  # compile NN-descent too
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(x)
        _warm_seconds = time.perf_counter() - start
        return _warm_seconds


def warm_up_umap_in_background(done: Callable[[str], None]) -> threading.Thread:
    """:func:`warm_up_umap` on a daemon thread; ``done`` gets one line saying how it went.

    A daemon thread: numba cannot be interrupted while it compiles, and a window closed
    meanwhile must close now; the process may end with the thread unfinished (what was compiled
    so far is in numba's cache).
    """

    def warm() -> None:
        try:
            text = f"UMAP is ready (prepared in {warm_up_umap():.1f} s)."
        except Exception as exc:  # a message, never a traceback from a thread
            text = f"UMAP could not be prepared: {exc}"
        done(text)

    thread = threading.Thread(target=warm, name="latentlab-umap-warm-up", daemon=True)
    thread.start()
    return thread
