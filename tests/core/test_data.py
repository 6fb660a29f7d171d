from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from latentlab.core.data import Dataset, DatasetError, load_idx_folder, read_idx
from latentlab.core.data.idx import IDX_DTYPES


def test_digits_is_the_embedded_default(digits: Dataset) -> None:
    assert digits.n == 1797
    assert digits.input_shape == (1, 8, 8)
    assert digits.x.dtype == np.float32 and digits.x.min() >= 0.0 and digits.x.max() <= 1.0
    assert len(digits.class_names) == 10 and set(np.unique(digits.labels)) == set(range(10))
    assert digits.is_test.sum() == round(0.2 * 1797)
    assert "1,797 images" in digits.describe()


def idx_bytes(array: np.ndarray, code: int) -> bytes:
    header = struct.pack(">BBBB", 0, 0, code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.dtype(IDX_DTYPES[code])).tobytes()


@pytest.mark.parametrize("code", sorted(IDX_DTYPES))
@pytest.mark.parametrize("compress", [False, True])
def test_idx_round_trip_every_dtype(tmp_path: Path, code: int, compress: bool) -> None:
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(np.float64)
    if code == 0x08:
        array = np.abs(array)
    data = idx_bytes(array, code)
    path = tmp_path / "file.idx"
    # Gzip is recognised by content, whatever the name says.
    path.write_bytes(gzip.compress(data) if compress else data)
    np.testing.assert_array_equal(read_idx(path), array)


def test_idx_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(idx_bytes(np.zeros((2, 2, 2)), 0x08)[:-1])
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte: header promises"):
        read_idx(path)
    path.write_bytes(b"\x01\x00\x08\x01")
    with pytest.raises(DatasetError, match="not an IDX file"):
        read_idx(path)


def test_idx_folder_keeps_the_split_and_checks_label_counts(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 6), ("t10k", 4)):
        images = rng.integers(0, 256, (n, 28, 28)).astype(np.uint8)
        (tmp_path / f"{prefix}-images-idx3-ubyte.gz").write_bytes(
            gzip.compress(idx_bytes(images, 0x08)))
        (tmp_path / f"{prefix}-labels-idx1-ubyte").write_bytes(
            idx_bytes(np.arange(n) % 3, 0x08))
    data = load_idx_folder(tmp_path)
    assert data.n == 10 and data.input_shape == (1, 28, 28)
    assert data.is_test.tolist() == [False] * 6 + [True] * 4
    assert data.class_names == ("0", "1", "2")

    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.arange(3), 0x08))
    with pytest.raises(DatasetError, match="t10k-labels-idx1-ubyte: 3 labels for 4 images"):
        load_idx_folder(tmp_path)


def test_dataset_refuses_nan_and_mismatched_labels() -> None:
    x = np.zeros((3, 1, 2, 2), np.float32)
    with pytest.raises(DatasetError, match="2 labels for 3 images"):
        Dataset("d", x, np.zeros(2, np.int64), ("a",), np.zeros(3, bool))
    x[0, 0, 0, 0] = np.nan
    with pytest.raises(DatasetError, match="NaN"):
        Dataset("d", x, None, (), np.zeros(3, bool))


def test_dataset_counts_classes_and_tells_text_from_images(digits: Dataset) -> None:
    counts = digits.class_counts()
    assert list(counts) == list(digits.class_names) and sum(counts.values()) == digits.n
    assert digits.kind == "image" and digits.vocabulary is None and digits.skipped == ()
    x = np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 0.0]], np.float32)[:, None, None, :]
    corpus = Dataset("c", x, np.array([1, 1]), ("a", "b", "c"), np.zeros(2, bool),
                     vocabulary=("x", "y", "z"), documents=("x y", ""))
    assert corpus.kind == "text" and corpus.class_counts() == {"a": 0, "b": 2, "c": 0}
    assert corpus.describe() == "c · 2 documents · 3 words · 3 classes"


def test_dataset_checks_text_fields() -> None:
    x = np.zeros((2, 1, 1, 3), np.float32)
    with pytest.raises(DatasetError, match="2 vocabulary words for 3 vector entries"):
        Dataset("c", x, None, (), np.zeros(2, bool), vocabulary=("a", "b"))
    with pytest.raises(DatasetError, match="1 documents for 2 vectors"):
        Dataset("c", x, None, (), np.zeros(2, bool), vocabulary=("a", "b", "c"), documents=("",))
    with pytest.raises(DatasetError, match="N×1×1×V"):
        Dataset("c", np.zeros((2, 1, 3, 1), np.float32), None, (), np.zeros(2, bool),
                vocabulary=("a",))
    with pytest.raises(DatasetError, match="items are empty"):
        Dataset("c", np.zeros((2, 1, 0, 3), np.float32), None, (), np.zeros(2, bool))
