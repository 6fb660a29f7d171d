"""Linear maps to 2-D with an exact inverse: the lecture's baseline.

PCA's inverse ``mean + coords · components`` is the best linear reconstruction from two
numbers, which the GUI shows beside the decoder's output. For text, the baseline is LSA of
TF-IDF (:class:`TfidfLSA`), whose inverse is a word distribution. :class:`LatentMap` shows a
model's codes: as they are in 2-D, through PCA of the codes above.
"""

from __future__ import annotations

import numpy as np

from latentlab.core.data.pixels import as_float
from latentlab.core.data.text import LSA, idf_weights, tfidf

#: Rows of float64 per chunk of a PCA fit or transform: about 8 MB.
_CHUNK_BYTES = 8 << 20


def _chunk_rows(dims: int) -> int:
    return max(1, _CHUNK_BYTES // (8 * max(dims, 1)))


def _float64(rows: np.ndarray) -> np.ndarray:
    """Rows as float64; 8-bit pixels first as the float32 value / 255 a float dataset holds."""
    return np.asarray(as_float(rows) if rows.dtype == np.uint8 else rows, dtype=np.float64)


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
        """Fit on rows of ``x`` (floats, or 8-bit pixels read as value / 255); a ``reference``
        fit fixes the signs so the map does not flip. Rows are taken a chunk at a time, so
        memory holds one chunk as float64 beside the D×D covariance, never all of them."""
        x = np.asarray(x)
        x = x.reshape(len(x), -1)
        if len(x) < 2:
            raise ValueError("PCA needs at least two items.")
        step = _chunk_rows(x.shape[1])
        chunks = range(0, len(x), step)
        self.mean_ = sum(_float64(x[i : i + step]).sum(0) for i in chunks) / len(x)
        cov = np.zeros((x.shape[1], x.shape[1]))
        for i in chunks:
            centred = _float64(x[i : i + step]) - self.mean_
            cov += centred.T @ centred
        cov /= len(x) - 1
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
        """Coordinates of the rows of ``x`` (floats or 8-bit pixels), a chunk at a time."""
        assert self.mean_ is not None and self.components_ is not None, "fit first"
        x = np.asarray(x)
        x = x.reshape(len(x), -1)
        step = _chunk_rows(x.shape[1])
        out = np.empty((len(x), len(self.components_)), dtype=np.float32)
        for i in range(0, len(x), step):
            out[i : i + step] = (_float64(x[i : i + step]) - self.mean_) @ self.components_.T
        return out

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
