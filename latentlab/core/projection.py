"""Projections to 2-D with both directions: ``transform`` to the map, ``inverse_transform`` back.

PCA is the linear baseline of the lecture; its inverse ``mean + coords · components`` is the best
linear reconstruction from two numbers, which the GUI shows beside the decoder's output. For text,
the baseline is LSA of TF-IDF (:class:`TfidfLSA`), whose inverse is a word distribution.

One entry point fits any of them, plus UMAP (umap-learn) and t-SNE (scikit-learn), to raw inputs
or to latent codes: :class:`ProjectionSpec` says which and with what parameters (and lists what is
wrong with them, field by field), :func:`fit_projection` runs it and returns a
:class:`FittedProjection`. UMAP and t-SNE have no inverse: :class:`KNNInverse` decodes anywhere on
their maps by interpolating the codes of the nearest map points. umap-learn and scikit-learn are
imported only when first used (:mod:`latentlab.core.nonlinear`; its ``warm_up_umap`` does it on
a background thread), never when this module is imported.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from latentlab.core.data.text import LSA, idf_weights, tfidf


class PCA:
    """Principal components by an eigen-decomposition of the covariance (fast for D ≲ 4,000)."""

    def __init__(self, n_components: int = 2) -> None:
        if n_components < 1:
            raise ValueError("PCA needs at least one component.")
        self.n_components = n_components
        self.mean_: np.ndarray | None = None
        self.components_: np.ndarray | None = None  # k×D, rows orthonormal
        self.explained_variance_: np.ndarray | None = None
        self.total_variance_ = 0.0

    def fit(self, x: np.ndarray, reference: PCA | None = None) -> PCA:
        """Fit on rows of ``x``; a ``reference`` fit fixes the signs so the map does not flip."""
        x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        if len(x) < 2:
            raise ValueError("PCA needs at least two items.")
        self.mean_ = x.mean(0)
        centred = x - self.mean_
        cov = centred.T @ centred / (len(x) - 1)
        values, vectors = np.linalg.eigh(cov)
        order = np.argsort(values)[::-1][: self.n_components]
        components = vectors[:, order].T
        # eigh's signs are arbitrary: make the largest loading positive, or follow the reference.
        if reference is not None and reference.components_ is not None and (
            reference.components_.shape == components.shape
        ):
            signs = np.sign(np.sum(components * reference.components_, axis=1))
        else:
            signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(1)])
        signs[signs == 0] = 1
        self.components_ = components * signs[:, None]
        self.explained_variance_ = np.clip(values[order], 0, None)
        self.total_variance_ = float(np.clip(values, 0, None).sum())
        if len(order) < self.n_components:  # fewer dimensions than components: pad with zeros
            pad = self.n_components - len(order)
            self.components_ = np.vstack([self.components_, np.zeros((pad, x.shape[1]))])
            self.explained_variance_ = np.concatenate([self.explained_variance_, np.zeros(pad)])
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        assert self.mean_ is not None and self.components_ is not None, "fit first"
        x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        return ((x - self.mean_) @ self.components_.T).astype(np.float32)

    def inverse_transform(self, coords: np.ndarray) -> np.ndarray:
        """``mean + coords · components``: the linear reconstruction at map coordinates."""
        assert self.mean_ is not None and self.components_ is not None, "fit first"
        coords = np.atleast_2d(np.asarray(coords, dtype=np.float64))
        return (self.mean_ + coords @ self.components_).astype(np.float32)

    @property
    def explained_variance_ratio_(self) -> np.ndarray:
        assert self.explained_variance_ is not None, "fit first"
        return self.explained_variance_ / max(self.total_variance_, 1e-12)


class TfidfLSA:
    """LSA of TF-IDF: the text counterpart of PCA of pixels, with an inverse to word weights.

    ``fit`` fixes the corpus's IDF weights and the truncated SVD of its TF-IDF rows; ``transform``
    weighs new word-probability rows by the same IDF. ``inverse_transform`` maps coordinates back
    through the components into TF-IDF space, divides by the IDF and keeps the positive part, each
    row scaled to sum to one: the word distribution at that point (zeros where nothing is positive).
    """

    def __init__(self, n_components: int = 2, seed: int = 0) -> None:
        self.lsa = LSA(n_components, seed=seed)
        self.idf_: np.ndarray | None = None

    def fit(self, x: np.ndarray) -> TfidfLSA:
        x = np.asarray(x).reshape(len(x), -1)
        self.idf_ = idf_weights(x)
        self.lsa.fit(tfidf(x, idf=self.idf_))
        return self

    @property
    def components_(self) -> np.ndarray:
        assert self.lsa.components_ is not None, "fit first"
        return self.lsa.components_

    @property
    def explained_variance_ratio_(self) -> np.ndarray:
        assert self.lsa.explained_variance_ratio_ is not None, "fit first"
        return self.lsa.explained_variance_ratio_

    def transform(self, x: np.ndarray) -> np.ndarray:
        assert self.idf_ is not None, "fit first"
        return self.lsa.transform(tfidf(np.asarray(x).reshape(len(x), -1), idf=self.idf_))

    def inverse_transform(self, coords: np.ndarray) -> np.ndarray:
        assert self.idf_ is not None, "fit first"
        coords = np.atleast_2d(np.asarray(coords, dtype=np.float32))
        words = np.clip(coords @ self.components_ / self.idf_, 0.0, None)
        totals = words.sum(axis=1, keepdims=True)
        np.divide(words, totals, out=words, where=totals > 0)
        return words.astype(np.float32)


class LatentMap:
    """Latent codes → 2-D map coordinates, and back.

    Latent size 2 is shown as it is; larger codes through PCA of the codes; a 1-D code on the
    x axis. ``refit`` follows codes as they change during training without flipping the map.
    """

    def __init__(self, latent_dim: int) -> None:
        self.latent_dim = latent_dim
        self.pca: PCA | None = None

    @property
    def method(self) -> str:
        return "PCA of codes" if self.latent_dim > 2 else "codes"

    def refit(self, codes: np.ndarray) -> None:
        if self.latent_dim > 2:
            self.pca = PCA(2).fit(codes, reference=self.pca)

    def transform(self, codes: np.ndarray) -> np.ndarray:
        codes = np.asarray(codes, dtype=np.float32).reshape(len(codes), self.latent_dim)
        if self.latent_dim == 2:
            return codes.copy()
        if self.latent_dim == 1:
            return np.hstack([codes, np.zeros_like(codes)])
        if self.pca is None:
            raise RuntimeError("LatentMap: refit on codes before projecting them.")
        return self.pca.transform(codes)

    def inverse_transform(self, xy: np.ndarray) -> np.ndarray:
        xy = np.atleast_2d(np.asarray(xy, dtype=np.float32))
        if self.latent_dim == 2:
            return xy.copy()
        if self.latent_dim == 1:
            return xy[:, :1].copy()
        if self.pca is None:
            raise RuntimeError("LatentMap: refit on codes before inverting map points.")
        return self.pca.inverse_transform(xy)


# ------------------------------------------------------------------ one interface for all maps

METHODS = ("pca", "lsa", "umap", "tsne", "codes")
METHOD_NAMES = {"pca": "PCA", "lsa": "LSA", "umap": "UMAP", "tsne": "t-SNE", "codes": "codes"}
#: Each method's parameters and their defaults (``None``: the library's own choice).
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "pca": {},
    "lsa": {},
    "umap": {"n_neighbors": 15, "min_dist": 0.1, "n_epochs": None},
    "tsne": {"perplexity": 30.0, "max_iter": 1000},
    "codes": {},
}
#: UMAP's spectral layout and neighbour graph need a handful of points whatever n_neighbors is.
UMAP_MIN_ITEMS = 10


class ProjectionError(ValueError):
    """A projection that cannot run on this input, with the reason (nothing was changed)."""


class ProjectionCancelled(Exception):
    """The caller's ``cancel`` event was set before the projection finished."""


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
    model: Any = None  # PCA, TfidfLSA, LatentMap, umap.UMAP or sklearn TSNE

    def inverse(self, xy: np.ndarray | tuple[float, float]) -> np.ndarray:
        """The D-vector at map point ``xy`` (or M×D for M×2 points); exact maps only."""
        if not self.exact_inverse:
            raise ProjectionError(f"{METHOD_NAMES[self.spec.method]} has no exact inverse: "
                                  "interpolate the codes of nearby map points (KNNInverse)")
        xy = np.asarray(xy, dtype=np.float32)
        out = self.model.inverse_transform(np.atleast_2d(xy))
        return out[0] if xy.ndim == 1 else out

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Map new rows (PCA, LSA, codes); UMAP and t-SNE maps hold only the fitted items."""
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
    gradient-descent iteration (:mod:`latentlab.core.nonlinear`), which covers most of their
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
        from latentlab.core import nonlinear  # imports umap-learn or scikit-learn's t-SNE

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


def check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise ProjectionCancelled("projection cancelled")


class RandomizedPCA:
    """scikit-learn's randomized PCA for very wide inputs, behind PCA's interface."""

    def __init__(self, n_components: int, seed: int) -> None:
        from sklearn.decomposition import PCA as SkPCA

        self.pca = SkPCA(n_components, svd_solver="randomized", random_state=seed)

    def fit(self, x: np.ndarray) -> RandomizedPCA:
        self.pca.fit(x)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        return self.pca.transform(x).astype(np.float32)

    def inverse_transform(self, coords: np.ndarray) -> np.ndarray:
        return self.pca.inverse_transform(coords).astype(np.float32)


# --------------------------------------------------------------------------- decode anywhere

class KNNInverse:
    """Decode anywhere on a map without an inverse: interpolate the codes of nearby map points.

    A KD-tree over the map coordinates finds the ``k`` nearest points; their codes are averaged
    with weights ``1 / distance**power`` (normalised to sum to 1). At a stored point (distance 0)
    the result is exactly that point's code.
    """

    def __init__(self, map_coords: np.ndarray, codes: np.ndarray, k: int = 8,
                 power: float = 2.0) -> None:
        from scipy.spatial import cKDTree

        coords = np.asarray(map_coords, dtype=np.float64).reshape(-1, 2)
        self.codes = np.asarray(codes, dtype=np.float32).reshape(len(codes), -1)
        if len(coords) != len(self.codes):
            raise ProjectionError(f"{len(coords)} map points against {len(self.codes)} codes")
        if len(coords) == 0:
            raise ProjectionError("decoding a map needs at least one point with a code")
        if not (np.isfinite(coords).all() and np.isfinite(self.codes).all()):
            raise ProjectionError("map points and codes must be finite")
        self.k = max(1, min(int(k), len(coords)))
        self.power = float(power)
        self.tree = cKDTree(coords)

    def weights(self, xy: np.ndarray | tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
        """Indices (M×k) of the nearest stored points to each of M points, and their weights."""
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        dist, idx = self.tree.query(xy, k=self.k)
        dist, idx = dist.reshape(len(xy), self.k), idx.reshape(len(xy), self.k)
        exact = dist[:, 0] == 0.0
        with np.errstate(divide="ignore"):
            w = 1.0 / np.power(dist, self.power)
        w[exact] = 0.0
        w[exact, 0] = 1.0  # on a stored point: that point's code, exactly
        w /= w.sum(axis=1, keepdims=True)
        return idx, w

    def __call__(self, xy: np.ndarray | tuple[float, float]) -> np.ndarray:
        """The interpolated code at ``xy`` (a d-vector), or M×d for M×2 points."""
        single = np.asarray(xy).ndim == 1
        idx, w = self.weights(xy)
        out = np.einsum("mk,mkd->md", w, self.codes[idx], dtype=np.float64).astype(np.float32)
        exact = w[:, 0] == 1.0
        out[exact] = self.codes[idx[exact, 0]]
        return out[0] if single else out
