"""Two domains of images in one dataset, for unpaired translation (CycleGAN).

The dataset holds domain A's items, then domain B's, at one size and one channel count, with
``domains`` saying which is which (0: A, 1: B); each domain keeps its own train/test split and
labels (class names merged by name, so a "7" is a 7 in both). The domains can be:

- two datasets (``two_domains``): resized to the larger height and width of the two (bilinear,
  antialiased when shrinking); a grey domain beside a colour one is made colour (its grey in
  each channel);
- two label subsets of one dataset (``class_subsets``);
- one dataset and a version of it (``derived_pair``): half its items as they are, the other half
  inverted, with thickened strokes or on coloured backgrounds — never the same item in both, so
  there are no pairs to learn from;
- the built-in pair ``digits_to_mnist``: scikit-learn's 8×8 scanned digits, upscaled to 20×20 and
  centred in 28×28 as MNIST's are framed, and the embedded MNIST sample (like USPS ↔ MNIST).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from latentlab.core.data.builtin import MNIST_SAMPLE, load_builtin, load_digits
from latentlab.core.data.dataset import Dataset, DatasetError

#: Versions of a dataset that make a second domain (``derived_pair``).
DERIVED_DOMAINS = {"inverted": "ink and paper swapped (1 − x)",
                   "thick": "strokes thickened (a 3×3 dilation)",
                   "coloured": "in colour, on a coloured background"}
#: MNIST's digits fill a 20×20 box centred in 28×28 (LeCun et al.'s normalisation).
MNIST_BOX, MNIST_SIDE = 20, 28


def _resized(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if x.shape[2:] == size:
        return x
    import torch  # not at import: the command line's options name these domains without it
    import torch.nn.functional as F

    shrinking = size[0] < x.shape[2] or size[1] < x.shape[3]
    out = F.interpolate(torch.from_numpy(x), size=size, mode="bilinear", align_corners=False,
                        antialias=shrinking)
    return np.ascontiguousarray(out.clamp(0, 1).numpy())


def _with_channels(data: Dataset, channels: int) -> np.ndarray:
    c = data.input_shape[0]
    if c == channels:
        return data.images()
    if c == 1 and channels == 3:
        return np.ascontiguousarray(np.repeat(data.images(), 3, axis=1))
    raise DatasetError(f"{data.name}: its images have {c} channels, and the other domain's "
                       f"{channels}; only grey images are made colour to match.")


def _merged_labels(a: Dataset, b: Dataset) -> tuple[np.ndarray | None, tuple[str, ...]]:
    """Both domains' labels over the union of their class names (A's first), or none when
    either domain is unlabelled."""
    if a.labels is None or b.labels is None:
        return None, ()
    names = list(a.class_names) + [n for n in b.class_names if n not in a.class_names]
    index = {n: i for i, n in enumerate(names)}
    relabel_b = np.array([index[n] for n in b.class_names], np.int64)
    return np.concatenate([a.labels, relabel_b[b.labels]]).astype(np.int64), tuple(names)


def two_domains(a: Dataset, b: Dataset, name: str | None = None) -> Dataset:
    """One dataset of A's items then B's, at one size and channel count (module docstring)."""
    for data in (a, b):
        if data.kind == "text":
            raise DatasetError(f"{data.name}: CycleGAN translates images, and this dataset is "
                               "text.")
    size = (max(a.input_shape[1], b.input_shape[1]), max(a.input_shape[2], b.input_shape[2]))
    channels = max(a.input_shape[0], b.input_shape[0])
    x = np.concatenate([_resized(_with_channels(d, channels), size) for d in (a, b)])
    labels, class_names = _merged_labels(a, b)
    return Dataset(name=name or f"{a.name} ↔ {b.name}", x=x, labels=labels,
                   class_names=class_names, is_test=np.concatenate([a.is_test, b.is_test]),
                   domains=np.repeat(np.array([0, 1], np.int8), [a.n, b.n]))


def _subset(data: Dataset, rows: np.ndarray, name: str) -> Dataset:
    return Dataset(name=name, x=data.images(rows),
                   labels=None if data.labels is None else data.labels[rows],
                   class_names=data.class_names, is_test=data.is_test[rows])


def class_subsets(data: Dataset, classes_a: list[str], classes_b: list[str]) -> Dataset:
    """Domain A: the items of ``classes_a`` (class names); B: those of ``classes_b``."""
    if data.labels is None:
        raise DatasetError(f"{data.name}: domains by class need labels, and this dataset has "
                           "none.")
    parts = []
    for side, names in (("A", classes_a), ("B", classes_b)):
        unknown = [n for n in names if n not in data.class_names]
        if not names or unknown:
            raise DatasetError(f"{data.name}: domain {side}'s classes "
                               f"{', '.join(unknown) or '(none)'} are not among its classes "
                               f"({', '.join(data.class_names)}).")
        wanted = [data.class_names.index(n) for n in names]
        parts.append(_subset(data, np.flatnonzero(np.isin(data.labels, wanted)),
                             f"{data.name} {'+'.join(names)}"))
    return two_domains(*parts)


def derived_images(x: np.ndarray, kind: str, seed: int = 0) -> np.ndarray:
    """``x`` (N×C×H×W in [0, 1]) made into another domain: inverted, thick or coloured."""
    if kind == "inverted":
        return np.ascontiguousarray(1.0 - x)
    if kind == "thick":
        import torch
        import torch.nn.functional as F

        t = torch.from_numpy(x)
        return np.ascontiguousarray(F.max_pool2d(t, 3, stride=1, padding=1).numpy())
    if kind == "coloured":
        grey = x.mean(1, keepdims=True)
        rng = np.random.default_rng(seed)
        # A dark-ish background and a light ink, each a random hue: the digit stays legible.
        background = rng.uniform(0.0, 0.5, (len(x), 3, 1, 1)).astype(np.float32)
        ink = rng.uniform(0.6, 1.0, (len(x), 3, 1, 1)).astype(np.float32)
        return np.ascontiguousarray(background * (1 - grey) + ink * grey)
    raise DatasetError(f"Second domain: unknown kind {kind!r}; choose one of "
                       f"{', '.join(DERIVED_DOMAINS)}.")


def derived_pair(data: Dataset, kind: str, seed: int = 0) -> Dataset:
    """Domain A: every other item of ``data`` as it is; B: the rest, made ``kind``."""
    if kind not in DERIVED_DOMAINS:
        derived_images(data.images(slice(0, 0)), kind)  # raises, naming the kinds
    if data.kind == "text":
        raise DatasetError(f"{data.name}: CycleGAN translates images, and this dataset is text.")
    if data.n < 4:
        raise DatasetError(f"{data.name}: two domains from one dataset need at least 4 items "
                           f"(it holds {data.n}).")
    rows_a, rows_b = np.arange(0, data.n, 2), np.arange(1, data.n, 2)
    a = _subset(data, rows_a, data.name)
    b = _subset(data, rows_b, f"{data.name} {kind}")
    b = Dataset(name=b.name, x=derived_images(b.x, kind, seed), labels=b.labels,
                class_names=b.class_names, is_test=b.is_test)
    return two_domains(a, b)


def framed_like_mnist(x: np.ndarray) -> np.ndarray:
    """Digits that fill their frame (the 8×8 scans) → 28×28 with the digit in the centre
    20×20 box, as MNIST's digits are framed."""
    box = _resized(x, (MNIST_BOX, MNIST_BOX))
    margin = (MNIST_SIDE - MNIST_BOX) // 2
    return np.ascontiguousarray(np.pad(box, ((0, 0), (0, 0), (margin,) * 2, (margin,) * 2)))


def framed_digits(digits: Dataset) -> Dataset:
    """The built-in 8×8 digits at 28×28, framed as MNIST's (``framed_like_mnist``)."""
    return Dataset(name="digits 8×8 upscaled", x=framed_like_mnist(digits.x),
                   labels=digits.labels, class_names=digits.class_names, is_test=digits.is_test)


def digits_to_mnist() -> Dataset:
    """The built-in pair: the 8×8 digits framed as MNIST's (A) ↔ the MNIST sample (B)."""
    return two_domains(framed_digits(load_digits()), load_builtin(MNIST_SAMPLE),
                       name="digits → MNIST")


def pair_from_spec(data: Dataset, source: str, spec: dict[str, object],
                   load: Callable[[str], Dataset]) -> Dataset:
    """The two domains ``spec`` describes (as a checkpoint records them) from ``data``, loaded
    from ``source``: ``{"b": SOURCE}`` (``load`` reads it), ``{"derive": KIND}`` or
    ``{"classes_a": [...], "classes_b": [...]}``. The built-in 8×8 digits beside 28×28 images
    are framed as MNIST's digits are. DatasetError for a spec of none of these forms."""
    b_source, derive = spec.get("b"), spec.get("derive")
    classes_a, classes_b = spec.get("classes_a"), spec.get("classes_b")
    if isinstance(b_source, str):
        b = load(b_source)
        if source == "digits" and b.input_shape[1:] == (MNIST_SIDE, MNIST_SIDE):
            data = framed_digits(data)
        return two_domains(data, b)
    if isinstance(derive, str):
        return derived_pair(data, derive)
    if isinstance(classes_a, list) and isinstance(classes_b, list):
        return class_subsets(data, [str(c) for c in classes_a], [str(c) for c in classes_b])
    raise DatasetError(f"{data.name}: the second domain is given in no form this latentlab "
                       "reads.")


def domain_rows(data: Dataset, domain: int, test: bool | None = None) -> np.ndarray:
    """Indices of ``domain``'s items (its test ones, its train ones, or all)."""
    if data.domains is None:
        raise DatasetError(f"{data.name}: the dataset is not two domains.")
    mask = data.domains == domain
    if test is not None:
        mask &= data.is_test == test
    return np.flatnonzero(mask)


__all__ = ["DERIVED_DOMAINS", "class_subsets", "derived_images", "derived_pair",
           "digits_to_mnist", "domain_rows", "framed_digits", "framed_like_mnist",
           "pair_from_spec", "two_domains"]
