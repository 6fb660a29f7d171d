"""One entry point for every map: :class:`ProjectionSpec` says which method (PCA, LSA, UMAP,
t-SNE or the codes themselves, :mod:`latentlab.core.maps.methods`) with what parameters, and lists
what is wrong with them, field by field; :func:`fit_projection` fits it to raw inputs or to latent
codes and returns a :class:`FittedProjection`.

PCA, LSA and the codes have an exact inverse (:mod:`latentlab.core.maps.linear`). UMAP and t-SNE
have none: :class:`~latentlab.core.maps.inverse.KNNInverse` decodes anywhere on their maps by
interpolating the codes of the nearest map points. umap-learn and scikit-learn are imported only
when first used (:mod:`latentlab.core.maps.nonlinear`; its ``warm_up_umap`` does it on a
background thread), never when this module is imported.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from latentlab.core.maps.linear import PCA, LatentMap, RandomizedPCA, TfidfLSA
from latentlab.core.maps.methods import (
    DEFAULT_PARAMS,
    METHOD_NAMES,
    METHODS,
    UMAP_MIN_ITEMS,
    ProjectionCancelled,
    ProjectionError,
    check_cancel,
)

__all__ = ["FittedProjection", "ProjectionCancelled", "ProjectionError", "ProjectionSpec",
           "fit_projection", "validate_input"]


@dataclass(frozen=True)
class ProjectionSpec:
    """Which projection, with which parameters, of what (``source`` names it in the label).

    ``params`` holds only what differs from :data:`DEFAULT_PARAMS`; :attr:`resolved` has all.
    UMAP: ``n_neighbors`` (int ≥ 2), ``min_dist`` (0 ≤ d ≤ 1), ``n_epochs`` (None = umap's
    choice). t-SNE: ``perplexity`` (> 0 and < the number of items), ``max_iter`` (≥ 250).
    """

    method: str
    params: dict[str, Any] = field(default_factory=dict)
    source: str = "inputs"  # "pixels", "codes", "TF-IDF", ...

    @property
    def resolved(self) -> dict[str, Any]:
        return {**DEFAULT_PARAMS.get(self.method, {}), **self.params}

    def problems(self, n_items: int | None = None) -> dict[str, str]:
        """What is wrong with this spec (for ``n_items`` items when given), keyed by field name;
        empty when it can run."""
        if self.method not in METHODS:
            return {"method": f"unknown projection {self.method!r}; choose one of "
                              f"{', '.join(METHODS)}"}
        found: dict[str, str] = {}
        known = DEFAULT_PARAMS[self.method]
        for key in self.params:
            if key not in known:
                found[key] = (f"{METHOD_NAMES[self.method]} has no parameter {key!r}"
                              + (f" (it takes {', '.join(known)})" if known else ""))
        p = self.resolved
        name = METHOD_NAMES[self.method]
        if self.method == "umap":
            k = p["n_neighbors"]
            if not _is_int(k) or k < 2:
                found["n_neighbors"] = f"n_neighbors must be a whole number ≥ 2 (got {k!r})"
            elif n_items is not None and n_items < max(k + 1, UMAP_MIN_ITEMS):
                found["n_neighbors"] = (
                    f"UMAP with {k} neighbours needs at least {max(k + 1, UMAP_MIN_ITEMS)} "
                    f"items (got {n_items})"
                    + ("; lower n_neighbors" if n_items >= UMAP_MIN_ITEMS else ""))
            d = p["min_dist"]
            if not _is_number(d) or not 0.0 <= d <= 1.0:
                found["min_dist"] = f"min_dist must lie in 0…1 (got {d!r})"
            e = p["n_epochs"]
            if e is not None and (not _is_int(e) or e < 1):
                found["n_epochs"] = f"n_epochs must be a whole number ≥ 1 or None (got {e!r})"
        elif self.method == "tsne":
            perp = p["perplexity"]
            if not _is_number(perp) or perp <= 0:
                found["perplexity"] = f"perplexity must be a positive number (got {perp!r})"
            elif n_items is not None and perp >= n_items:
                found["perplexity"] = (f"t-SNE's perplexity ({perp:g}) must be less than the "
                                       f"number of items ({n_items})")
            it = p["max_iter"]
            if not _is_int(it) or it < 250:
                found["max_iter"] = f"max_iter must be a whole number ≥ 250 (got {it!r})"
        if n_items is not None and n_items < 2 and "n_neighbors" not in found:
            found["items"] = f"{name} needs at least two items (got {n_items})"
        return found

    def label(self) -> str:
        """What the map's title says, e.g. "UMAP of codes · 15 neighbours, min dist 0.1"."""
        p = self.resolved
        if self.method == "codes":
            return self.source
        head = f"{METHOD_NAMES.get(self.method, self.method)} of {self.source}"
        if self.method == "umap":
            return f"{head} · {p['n_neighbors']} neighbours, min dist {p['min_dist']:g}"
        if self.method == "tsne":
            return f"{head} · perplexity {p['perplexity']:g}"
        return head


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, bool) and bool(np.isfinite(value)))


@dataclass
class FittedProjection:
    """A fitted map: ``coords`` (N×2 float32) of the fitted rows, and the way back if any.

    ``exact_inverse`` says whether :meth:`inverse` exists (PCA, LSA, codes); UMAP and t-SNE
    raise there: decode their maps through :class:`KNNInverse` over the items' codes.
    """

    spec: ProjectionSpec
    coords: np.ndarray
    method_label: str
    exact_inverse: bool
    seconds: float
    model: Any = None  # PCA, TfidfLSA, LatentMap, umap.UMAP or nonlinear.TsneMap

    def inverse(self, xy: np.ndarray | tuple[float, float]) -> np.ndarray:
        """The D-vector at map point ``xy`` (or M×D for M×2 points); exact maps only."""
        if not self.exact_inverse:
            raise ProjectionError(f"{METHOD_NAMES[self.spec.method]} has no exact inverse: "
                                  "interpolate the codes of nearby map points (KNNInverse)")
        xy = np.asarray(xy, dtype=np.float32)
        out = self.model.inverse_transform(np.atleast_2d(xy))
        return out[0] if xy.ndim == 1 else out

    def place(self, x: np.ndarray) -> np.ndarray:
        """New rows (a test split, a new batch) placed into this map without refitting it:
        exact maps transform them; t-SNE optimises the new points alone with the map held
        (openTSNE), UMAP embeds them against its fitted graph (umap-learn's transform)."""
        return self.model.transform(np.asarray(x).reshape(len(x), -1))

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Map new rows exactly (PCA, LSA, codes); UMAP and t-SNE maps hold only the fitted
        items, and ``place`` fits new ones in among them."""
        if not self.exact_inverse:
            raise ProjectionError(f"{METHOD_NAMES[self.spec.method]} maps only the items it "
                                  "was fitted on")
        return self.model.transform(np.asarray(x).reshape(len(x), -1))


def validate_input(spec: ProjectionSpec, x: np.ndarray) -> np.ndarray:
    """``x`` as an N×D float32 matrix, or :class:`ProjectionError` naming every problem."""
    x = np.asarray(x)
    if x.ndim < 2:
        raise ProjectionError(f"{spec.label()}: expected one row per item, got shape {x.shape}")
    x = x.reshape(len(x), -1)
    found = spec.problems(len(x))
    if x.shape[1] == 0:
        found["inputs"] = "the items have no dimensions"
    elif not np.issubdtype(x.dtype, np.number):
        found["inputs"] = f"the values must be numbers, not {x.dtype}"
    else:
        bad = ~np.isfinite(x).all(axis=1)
        if bad.any():
            rows = np.flatnonzero(bad)
            found["inputs"] = (f"{len(rows)} of {len(x)} items have NaN or infinite values "
                               f"(first: item {rows[0]})")
    if spec.method == "lsa" and "inputs" not in found and (x < 0).any():
        found["inputs"] = "LSA of TF-IDF needs non-negative word counts or probabilities"
    if found:
        reasons = "; ".join(f"{key}: {why}" for key, why in found.items())
        raise ProjectionError(f"Cannot compute {spec.label()}: {reasons}.")
    return np.ascontiguousarray(x, dtype=np.float32)


def fit_projection(spec: ProjectionSpec, x: np.ndarray, seed: int = 0,
                   cancel: threading.Event | None = None,
                   progress: Callable[[str], None] | None = None) -> FittedProjection:
    """Fit ``spec`` to the rows of ``x`` (N×D) and return the map, seeded (same seed, same map).

    Raises :class:`ProjectionError` before any work when the input or the parameters cannot
    work, and :class:`ProjectionCancelled` when ``cancel`` is set. Meant for a worker thread;
    ``progress`` receives short messages from it.

    Cancellation runs in-process, not in a child process: a spawned child would have to import
    umap and load numba's compiled code again and copy the data across (seconds, and 220 MB for
    70,000 × 784), which costs more than the 1.1× budget on everyday sizes. So ``cancel`` is
    checked before the work and after it, for UMAP once per layout epoch, and for t-SNE once per
    gradient-descent iteration (:mod:`latentlab.core.maps.nonlinear`), which covers most of their
    time on large data. UMAP's nearest-neighbour search and spectral start, and t-SNE's
    affinities, cannot be interrupted: a cancel there takes effect when that step returns.
    """
    say = progress or (lambda _message: None)
    x = validate_input(spec, x)
    check_cancel(cancel)
    start = time.perf_counter()
    p = spec.resolved
    label = spec.label()
    say(f"{label}: {len(x):,} items × {x.shape[1]:,} dimensions")
    if spec.method == "pca":
        model: Any = (PCA(2) if x.shape[1] <= 4096 else RandomizedPCA(2, seed)).fit(x)
        exact = True
    elif spec.method == "lsa":
        model, exact = TfidfLSA(2, seed=seed).fit(x), True
    elif spec.method == "codes":
        model = LatentMap(x.shape[1])
        model.refit(x)
        exact = True
        if x.shape[1] > 2:
            label = f"PCA of {spec.source}"
    else:
        from latentlab.core.maps import nonlinear  # imports umap-learn or openTSNE

        fit = nonlinear.fit_umap if spec.method == "umap" else nonlinear.fit_tsne
        model, exact = fit(x, p, seed, cancel, say), False
    check_cancel(cancel)
    coords = model.embedding_ if not exact else model.transform(x)
    coords = np.ascontiguousarray(coords, dtype=np.float32)
    if not np.isfinite(coords).all():
        raise ProjectionError(f"{label} gave non-finite coordinates; try other parameters")
    seconds = time.perf_counter() - start
    say(f"{label}: done in {seconds:.1f} s")
    return FittedProjection(spec, coords, label, exact, seconds, model)
