"""Datasets that ship with the installed packages, so the app works offline on first launch."""

from __future__ import annotations

import gzip
import importlib.util
from collections.abc import Callable
from pathlib import Path

import numpy as np

from latentlab.core.data.dataset import Dataset, DatasetError, random_split


def _sklearn_data_file(name: str) -> Path:
    """A data file shipped inside scikit-learn, found without importing scikit-learn (≈1 s)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError("digits: scikit-learn is not installed, and it ships this dataset.")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / name
    if not path.is_file():
        raise DatasetError(f"digits: {path} is missing from the scikit-learn installation.")
    return path


def load_digits() -> Dataset:
    """scikit-learn's 8×8 handwritten digits (1,797 images, 10 classes), 20 % held out."""
    path = _sklearn_data_file("digits.csv.gz")
    try:
        with gzip.open(path, "rt") as handle:
            table = np.loadtxt(handle, delimiter=",", dtype=np.float32)
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path.name}: cannot be read ({exc}).") from None
    if table.ndim != 2 or table.shape[1] != 65:
        raise DatasetError(f"{path.name}: expected 64 pixels and a label per row.")
    # Each row: 64 pixel counts 0…16 (4×4 blocks of a 32×32 bitmap), then the digit.
    x = (table[:, :64] / 16.0).reshape(-1, 1, 8, 8)
    labels = table[:, 64].astype(np.int64)
    return Dataset(
        name="digits",
        x=x,
        labels=labels,
        class_names=tuple(str(i) for i in range(10)),
        is_test=random_split(len(x), 0.2, seed=0),
    )


def load_mnist_sample() -> Dataset:
    """5,000 MNIST digits shipped with latentlab (4,000 train / 1,000 test, 400 / 100 per class,
    shuffled): MNIST itself at 28×28, offline."""
    from importlib.resources import as_file, files

    from latentlab.core.data.idx import load_idx_folder

    with as_file(files("latentlab.resources") / MNIST_SAMPLE) as folder:
        return load_idx_folder(folder, name=MNIST_SAMPLE)


#: The embedded MNIST sample's name (a folder of IDX files in latentlab.resources).
MNIST_SAMPLE = "mnist-5k"
BUILTIN_DATASETS: dict[str, Callable[[], Dataset]] = {"digits": load_digits,
                                                      MNIST_SAMPLE: load_mnist_sample}


def load_builtin(name: str) -> Dataset:
    try:
        loader = BUILTIN_DATASETS[name]
    except KeyError:
        known = ", ".join(sorted(BUILTIN_DATASETS))
        raise KeyError(f"Unknown built-in dataset {name!r}; known: {known}.") from None
    return loader()
