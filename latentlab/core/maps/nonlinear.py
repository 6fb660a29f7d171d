"""UMAP (umap-learn) and t-SNE (scikit-learn) behind ``projection.fit_projection``, imported
only when a map needs them: with progress, and cancellable while they iterate.

numba's compiled code for UMAP is cached in the user cache folder; :func:`warm_up_umap` imports
umap-learn and compiles once, for a background thread.
"""

from __future__ import annotations

import sys
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from contextlib import contextmanager
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
        if text:
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


def fit_tsne(x: np.ndarray, p: dict[str, Any], seed: int, cancel: threading.Event | None,
             say: Callable[[str], None]) -> Any:
    say("t-SNE: loading scikit-learn")
    from sklearn.manifold import TSNE

    model = TSNE(2, perplexity=float(p["perplexity"]), max_iter=int(p["max_iter"]),
                 init="pca", learning_rate="auto", random_state=seed)
    say("t-SNE: affinities between neighbours")
    with _iteration_hooks(cancel, say, int(p["max_iter"])):
        model.fit(x)
    return model


# scikit-learn's t-SNE has no callback. Its gradient descent (a private function, called twice
# per fit) is wrapped once, process-wide, so the objective it calls every iteration first checks
# the cancel event and reports progress of whichever t-SNE runs on this thread; other threads'
# t-SNEs (another map) and fits without hooks run unchanged.
_hooks = threading.local()
_wrap_lock = threading.Lock()
PROGRESS_EVERY = 50  # iterations


@contextmanager
def _iteration_hooks(cancel: threading.Event | None, say: Callable[[str], None], total: int):
    _wrap_gradient_descent()
    _hooks.active = (cancel, say, total)
    try:
        yield
    finally:
        _hooks.active = None


def _wrap_gradient_descent() -> None:
    from sklearn.manifold import _t_sne

    with _wrap_lock:
        original = getattr(_t_sne, "_gradient_descent", None)
        if original is None or getattr(original, "latentlab_hooked", False):
            return  # already wrapped, or a scikit-learn without it: cancel applies after the fit

        def hooked(objective, p0, it, *args, **kwargs):
            active = getattr(_hooks, "active", None)
            if active is None:
                return original(objective, p0, it, *args, **kwargs)
            cancel, say, total = active
            count = [it]

            def checked(*a, **k):
                check_cancel(cancel)
                count[0] += 1
                if count[0] % PROGRESS_EVERY == 0:
                    say(f"t-SNE: iteration {count[0]:,} of {total:,}")
                return objective(*a, **k)

            return original(checked, p0, it, *args, **kwargs)

        hooked.latentlab_hooked = True
        _t_sne._gradient_descent = hooked


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
