"""The one dataset value object every source produces."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentlab.core.data.pixels import as_float


class DatasetError(ValueError):
    """A dataset could not be loaded or is malformed; the message names the file and the reason."""


class LoadCancelled(Exception):
    """A load was cancelled through its ``cancel`` event; nothing was returned."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """Images as N×C×H×W in [0, 1], optional integer labels, and a train/test split.

    8-bit images keep their pixels as uint8 (value / 255 is the float; a quarter of the
    memory, and an ``np.memmap`` for a cached image folder); other images are float32. Whoever
    needs floats converts the rows it uses: :meth:`images` (NumPy) or
    ``core.data.pixels.tensor_images`` (a torch batch, on its device).

    A text corpus is the same object with ``vocabulary`` set: ``x`` is N×1×1×V, each row the
    word probabilities of one document over ``vocabulary`` (all zeros for a document with no
    known word), and ``documents`` may hold the texts themselves (for hover snippets).
    ``lengths`` holds each document's count of vocabulary words, so that a model can score the
    counts themselves (a multinomial over the document's words) rather than their proportions.
    ``skipped`` lists (file, reason) for items a loader could not read, as one summary.
    ``targets`` holds each item's partner image (the B of an A → B pair, same shape as ``x``)
    for a dataset loaded as pairs; None otherwise. ``domains`` says which of two domains each
    item belongs to (0: A, 1: B) in a dataset of two domains for unpaired translation
    (``core.data.domains``); None otherwise.
    """

    name: str
    x: np.ndarray
    labels: np.ndarray | None
    class_names: tuple[str, ...]
    is_test: np.ndarray
    vocabulary: tuple[str, ...] | None = None
    documents: tuple[str, ...] | None = None
    skipped: tuple[tuple[str, str], ...] = ()
    lengths: np.ndarray | None = None
    targets: np.ndarray | None = None
    domains: np.ndarray | None = None

    def __post_init__(self) -> None:
        x = self.x
        if x.ndim != 4:
            raise DatasetError(f"{self.name}: images must be N×C×H×W, got shape {x.shape}.")
        if x.dtype != np.float32 and (x.dtype != np.uint8 or self.vocabulary is not None):
            raise DatasetError(f"{self.name}: images must be float32 or uint8 (word vectors "
                               f"float32), got {x.dtype}.")
        if len(x) == 0:
            raise DatasetError(f"{self.name}: the dataset holds no items.")
        if x.size == 0:
            raise DatasetError(f"{self.name}: the items are empty (shape {x.shape}).")
        # Every uint8 value is a valid pixel. min and max propagate NaN and expose ±inf
        # without a full boolean temporary.
        if x.dtype == np.float32 and not (np.isfinite(x.min()) and np.isfinite(x.max())):
            raise DatasetError(f"{self.name}: images contain NaN or infinite values.")
        if self.is_test.shape != (len(x),) or self.is_test.dtype != bool:
            raise DatasetError(f"{self.name}: the split mask must be one bool per item.")
        if self.labels is not None:
            if self.labels.shape != (len(x),):
                raise DatasetError(
                    f"{self.name}: {len(self.labels):,} labels for {len(x):,} images."
                )
            n_classes = len(self.class_names)
            if len(self.labels) and (self.labels.min() < 0 or self.labels.max() >= n_classes):
                raise DatasetError(
                    f"{self.name}: labels must lie in 0…{len(self.class_names) - 1}."
                )
        self._check_text()
        self._check_targets()
        if self.domains is not None and (self.domains.shape != (len(x),)
                                         or not np.isin(self.domains, (0, 1)).all()):
            raise DatasetError(f"{self.name}: the domains must be one 0 (A) or 1 (B) per item.")

    def _check_targets(self) -> None:
        t = self.targets
        if t is None:
            return
        if t.shape != self.x.shape or t.dtype != np.float32:
            raise DatasetError(f"{self.name}: the pairs' B images must be float32 of the A "
                               f"images' shape {self.x.shape}, got {t.dtype} {t.shape}.")
        if not (np.isfinite(t.min()) and np.isfinite(t.max())):
            raise DatasetError(f"{self.name}: the B images contain NaN or infinite values.")

    def _check_text(self) -> None:
        if self.vocabulary is not None:
            if self.x.shape[1:3] != (1, 1):
                raise DatasetError(
                    f"{self.name}: a text corpus stores N×1×1×V word vectors, got {self.x.shape}."
                )
            if len(self.vocabulary) != self.x.shape[3]:
                raise DatasetError(
                    f"{self.name}: {len(self.vocabulary):,} vocabulary words for "
                    f"{self.x.shape[3]:,} vector entries."
                )
        if self.lengths is not None and (self.lengths.shape != (len(self.x),)
                                         or self.lengths.min() < 0):
            raise DatasetError(
                f"{self.name}: document lengths must be one non-negative count per document."
            )
        if self.documents is not None and len(self.documents) != len(self.x):
            raise DatasetError(
                f"{self.name}: {len(self.documents):,} documents for {len(self.x):,} vectors."
            )

    def images(self, indices: np.ndarray | slice | int | None = None) -> np.ndarray:
        """The items at ``indices`` (all for None; one C×H×W item for an int) as float32 in
        [0, 1]: uint8 pixels are converted (value / 255, exactly as the loaders computed it)."""
        return as_float(self.x if indices is None else self.x[indices])

    @property
    def n(self) -> int:
        return len(self.x)

    @property
    def kind(self) -> str:
        """"text" for a bag-of-words corpus, else "image"."""
        return "text" if self.vocabulary is not None else "image"

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one item."""
        c, h, w = self.x.shape[1:]
        return int(c), int(h), int(w)

    @property
    def train_indices(self) -> np.ndarray:
        return np.flatnonzero(~self.is_test)

    @property
    def test_indices(self) -> np.ndarray:
        return np.flatnonzero(self.is_test)

    def class_counts(self) -> dict[str, int]:
        """Items per class name, in class order (every class, zero counts included)."""
        if self.labels is None:
            return {}
        counts = np.bincount(self.labels, minlength=len(self.class_names))
        return {name: int(c) for name, c in zip(self.class_names, counts, strict=True)}

    def describe(self) -> str:
        if self.vocabulary is not None:
            parts = [self.name, f"{self.n:,} documents", f"{len(self.vocabulary):,} words"]
        else:
            c, h, w = self.input_shape
            parts = [self.name, f"{self.n:,} images", f"{h}×{w}" + ("" if c == 1 else f"×{c}")]
        if self.targets is not None:
            parts[1] = f"{self.n:,} pairs"
        if self.labels is not None:
            parts.append(f"{len(self.class_names)} classes")
        if self.skipped:
            parts.append(f"{len(self.skipped):,} skipped")
        return " · ".join(parts)


def random_split(n: int, test_fraction: float, seed: int) -> np.ndarray:
    """A seeded boolean test mask holding round(n·test_fraction) items."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(n, dtype=bool)
    mask[rng.permutation(n)[: round(n * test_fraction)]] = True
    return mask
