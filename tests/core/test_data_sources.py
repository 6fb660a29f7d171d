"""Dataset sources: IDX hardening, NumPy files, image folders, CSVs, text corpora, load_source.

Every fixture is a small real file (PNG/JPEG through Pillow, gzip, npz) written to tmp_path.
"""

from __future__ import annotations

import gzip
import struct
import tempfile
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from latentlab.core.data import (
    LSA,
    NO_LABELS,
    AmbiguousKeys,
    DatasetError,
    LoadCancelled,
    inspect_npz,
    load_idx_folder,
    load_image_folder,
    load_numpy,
    load_pixel_csv,
    load_source,
    load_text_csv,
    load_text_folder,
    parse_idx,
    read_idx,
    tfidf,
    tokenize,
)
from latentlab.core.data.idx import IDX_DTYPES

# ---------------------------------------------------------------------------------------------
# IDX


def idx_bytes(array: np.ndarray, code: int) -> bytes:
    header = struct.pack(">BBBB", 0, 0, code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.asarray(array).astype(np.dtype(IDX_DTYPES[code])).tobytes()


def write_idx(path: Path, array: np.ndarray, code: int = 0x08, compress: bool = False) -> None:
    data = idx_bytes(array, code)
    path.write_bytes(gzip.compress(data) if compress else data)


@pytest.mark.parametrize("code", sorted(IDX_DTYPES))
@pytest.mark.parametrize("compress", [False, True])
def test_idx_folder_reads_every_dtype_into_the_unit_range(tmp_path: Path, code: int,
                                                          compress: bool) -> None:
    images = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    if code in (0x09, 0x0B, 0x0C):
        images = images - 5  # signed data: stretched from [min, max]
    suffix = ".gz" if compress else ""
    write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", images, code, compress)
    write_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}", np.array([1, 0]), code, compress)
    data = load_idx_folder(tmp_path)
    if code == 0x08:
        expected = images / 255.0
    elif images.min() < 0:
        expected = (images - images.min()) / (images.max() - images.min())
    else:
        expected = images / images.max()
    np.testing.assert_allclose(data.images()[:, 0], expected, rtol=1e-6)
    assert data.labels.tolist() == [1, 0] and data.class_names == ("0", "1")


def test_idx_label_count_mismatch_names_the_file_and_both_counts(tmp_path: Path) -> None:
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((1000, 2, 2)), compress=True)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(999), compress=True)
    with pytest.raises(DatasetError,
                       match=r"^train-labels-idx1-ubyte\.gz: 999 labels for 1,000 images\.$"):
        load_idx_folder(tmp_path)


@pytest.mark.parametrize(("data", "message"), [
    # Four dims of 2³²−1: the product overflows int64 but must still be caught.
    (struct.pack(">BBBB4I", 0, 0, 8, 4, *[2**32 - 1] * 4) + b"\0" * 16, "header promises"),
    (struct.pack(">BBBB3I", 0, 0, 8, 3, 5, 0, 2), "empty array"),
    (struct.pack(">BBBBI", 0, 0, 8, 40, 1) + b"\0" * 160, "40 dimensions"),
    (struct.pack(">BBBBI", 0, 0, 0x0A, 1, 1) + b"\0", "unknown IDX data type code 0x0A"),
    (struct.pack(">BBBB", 0, 0, 8, 0), "at least one dimension"),
    (struct.pack(">BBBB", 0, 0, 8, 2) + b"\0\0\0", "header is cut short"),
    (b"\0\0", "too short"),
    (idx_bytes(np.array([0.5, np.nan]), 0x0D), "NaN or infinite"),
    (idx_bytes(np.array([0.5, np.inf]), 0x0E), "NaN or infinite"),
])
def test_malformed_idx_headers_raise_dataset_errors(data: bytes, message: str) -> None:
    with pytest.raises(DatasetError, match=rf"^some-file: .*{message}"):
        parse_idx(data, "some-file")


def test_truncated_gzip_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((4, 3, 3)), 0x08))[:-10])
    with pytest.raises(DatasetError, match=r"^t10k-images-idx3-ubyte\.gz: damaged gzip"):
        read_idx(path)


FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=64))
def test_fuzz_any_bytes_parse_or_raise_dataset_error(data: bytes) -> None:
    try:
        parse_idx(data, "fuzz")
    except DatasetError as exc:
        assert str(exc).startswith("fuzz: ")


@FUZZ
@given(code=st.integers(0, 255), dims=st.lists(
    st.sampled_from([0, 1, 2, 3, 7, 2**16, 2**31, 2**32 - 1]), min_size=0, max_size=6),
    payload=st.binary(max_size=96), declared_ndim=st.none() | st.integers(0, 255))
def test_fuzz_structured_headers_parse_or_raise_dataset_error(
        code: int, dims: list[int], payload: bytes, declared_ndim: int | None) -> None:
    ndim = len(dims) if declared_ndim is None else declared_ndim
    data = struct.pack(">BBBB", 0, 0, code, ndim) + struct.pack(f">{len(dims)}I", *dims) + payload
    try:
        array = parse_idx(data, "fuzz")
    except DatasetError as exc:
        assert str(exc).startswith("fuzz: ")
    else:
        assert array.shape == tuple(dims) and array.dtype.isnative


@FUZZ
@given(images=st.binary(max_size=80), labels=st.binary(max_size=24),
       cut=st.integers(0, 200), compress=st.booleans())
def test_fuzz_idx_folders_load_or_raise_dataset_error(images: bytes, labels: bytes, cut: int,
                                                      compress: bool) -> None:
    # Valid-looking headers with fuzzed payloads, optionally gzipped and cut anywhere.
    image_data = struct.pack(">BBBB3I", 0, 0, 8, 3, 2, 2, 2) + images
    label_data = struct.pack(">BBBBI", 0, 0, 8, 1, 2) + labels
    if compress:
        image_data = gzip.compress(image_data)
        image_data = image_data[: max(len(image_data) - cut, 0)]
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "train-images-idx3-ubyte").write_bytes(image_data)
        (Path(folder) / "train-labels-idx1-ubyte").write_bytes(label_data)
        try:
            data = load_idx_folder(folder)
        except DatasetError:
            return
        x = data.images()
        assert x.shape == (2, 1, 2, 2) and 0 <= x.min() <= x.max() <= 1


def test_idx_folder_streams_8_bit_images_into_one_uint8_copy(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    # 15.7 MB of pixels, repeating within gzip's window so that it compresses fast.
    images = np.resize(rng.integers(0, 256, (30, 28, 28), dtype=np.uint8), (20_000, 28, 28))
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images, compress=True)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", images[:, 0, 0] % 10, compress=True)
    tracemalloc.start()
    try:
        data = load_idx_folder(tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The pixels once, beside a few 1 MB chunks of the gzip stream: never the file's bytes.
    assert peak <= images.size + (5 << 20), f"peak {peak:,} bytes"
    assert data.x.dtype == np.uint8
    np.testing.assert_array_equal(data.x[:, 0], images)


# ---------------------------------------------------------------------------------------------
# NumPy files


def test_npz_picks_conventional_keys_and_names_string_labels(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (10, 5, 5), dtype=np.uint8)
    path = tmp_path / "set.npz"
    np.savez(path, x=x, y=np.array(["dog", "cat"] * 5), ids=np.arange(10))
    data = load_numpy(path)
    np.testing.assert_allclose(data.images()[:, 0], x / 255.0, rtol=1e-6)
    assert data.class_names == ("cat", "dog") and data.labels.tolist() == [1, 0] * 5
    assert data.is_test.sum() == 2
    assert load_numpy(path, labels_key=NO_LABELS).labels is None


@pytest.mark.parametrize(("shape", "channels_last"), [
    ((4, 6, 5, 3), True), ((4, 3, 6, 5), False), ((4, 1, 5, 5), False), ((4, 5, 5, 1), True),
    # Both the second and last axes could hold the channels: the square layout wins...
    ((4, 3, 5, 5), False), ((4, 5, 5, 3), True),
    # ...and channels last when that does not decide either.
    ((4, 3, 3, 3), True),
])
def test_npz_channel_axis_rule(tmp_path: Path, shape: tuple[int, ...], channels_last: bool) -> None:
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    np.savez(tmp_path / "c.npz", images=x)
    data = load_numpy(tmp_path / "c.npz")
    expected = x.transpose(0, 3, 1, 2) if channels_last else x
    np.testing.assert_array_equal(data.x, expected)


def test_npz_keeps_a_train_test_split_and_reads_flat_images(tmp_path: Path) -> None:
    np.savez(tmp_path / "s.npz", x_train=np.zeros((6, 16)), y_train=np.arange(6) % 2,
             x_test=np.ones((3, 16)), y_test=np.array([0, 1, 1]))
    data = load_numpy(tmp_path / "s.npz")
    assert data.input_shape == (1, 4, 4) and data.is_test.tolist() == [False] * 6 + [True] * 3
    assert data.labels.tolist() == [0, 1, 0, 1, 0, 1, 0, 1, 1]
    unlabelled = load_numpy(tmp_path / "s.npz", labels_key=NO_LABELS)
    assert unlabelled.labels is None and unlabelled.is_test.sum() == 3


def test_ambiguous_npz_keys_list_the_candidates(tmp_path: Path) -> None:
    path = tmp_path / "odd.npz"
    np.savez(path, clean=np.zeros((5, 4, 4)), noisy=np.ones((5, 4, 4)),
             a=np.arange(5), b=np.arange(5) % 2)
    contents = inspect_npz(path)
    assert contents.image_keys == ("clean", "noisy") and contents.label_keys == ("a", "b")
    with pytest.raises(AmbiguousKeys, match=r"odd\.npz: .*images \(clean, noisy\)") as info:
        load_numpy(path)
    assert info.value.role == "images" and info.value.candidates == ("clean", "noisy")
    with pytest.raises(AmbiguousKeys, match="labels of noisy") as info:
        load_numpy(path, images_key="noisy")
    assert info.value.candidates == ("a", "b")
    data = load_numpy(path, images_key="noisy", labels_key="b")
    assert data.x.min() == 1.0 and data.labels.tolist() == [0, 1, 0, 1, 0]
    with pytest.raises(DatasetError, match="no array named 'nope'"):
        load_numpy(path, images_key="nope")


def test_pickled_arrays_are_refused_with_the_reason(tmp_path: Path) -> None:
    objects = np.array([1, "a", None], dtype=object)
    np.savez(tmp_path / "o.npz", x=np.zeros((3, 4, 4)), y=objects)
    with pytest.raises(DatasetError, match=r"o\.npz: y holds pickled.*allow_pickle=False"):
        load_numpy(tmp_path / "o.npz")
    np.save(tmp_path / "o.npy", objects)
    with pytest.raises(DatasetError, match=r"o\.npy: holds pickled.*allow_pickle=False"):
        load_numpy(tmp_path / "o.npy")


def test_npy_float_images_scale_by_their_maximum_and_must_be_finite(tmp_path: Path) -> None:
    x = np.linspace(0, 4, 2 * 9).reshape(2, 3, 3)
    np.save(tmp_path / "f.npy", x)
    np.testing.assert_allclose(load_numpy(tmp_path / "f.npy").x[:, 0], x / 4, rtol=1e-6)
    x[0, 0, 0] = np.nan
    np.save(tmp_path / "f.npy", x)
    with pytest.raises(DatasetError, match=r"f\.npy: .*NaN"):
        load_numpy(tmp_path / "f.npy")
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    with pytest.raises(DatasetError, match=r"broken\.npz: not a valid \.npz"):
        load_numpy(tmp_path / "broken.npz")


# ---------------------------------------------------------------------------------------------
# Image folders


def save_png(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def grey(value: int, size: tuple[int, int] = (8, 8)) -> np.ndarray:
    return np.full(size, value, dtype=np.uint8)


def test_image_folder_labels_by_subfolder_and_summarises_what_it_skips(tmp_path: Path) -> None:
    save_png(tmp_path / "b" / "1.png", grey(255))
    save_png(tmp_path / "b" / "deeper" / "2.png", grey(255, (20, 12)))  # mixed sizes are fine
    Image.fromarray(grey(0)).save(tmp_path / "b" / "3.jpg", quality=95)
    save_png(tmp_path / "a" / "4.png", grey(51))
    (tmp_path / "a" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (tmp_path / "a" / "notes.txt").write_text("not an image")
    (tmp_path / "a" / "._4.png").write_bytes(b"macOS metadata")
    save_png(tmp_path / "loose.png", grey(0))
    seen: list[tuple[int, int]] = []
    data = load_image_folder(tmp_path, size=6, progress=lambda d, t: seen.append((d, t)))
    assert data.class_names == ("a", "b") and data.class_counts() == {"a": 1, "b": 3}
    assert data.input_shape == (1, 6, 6)  # "auto" stays grey: no image has colour
    np.testing.assert_allclose(data.images(data.labels == 0), 0.2, atol=1e-6)
    assert data.skipped == (("a/broken.png", "not a readable image"),
                            ("loose.png", "not in a class folder"))
    assert seen[0] == (0, 5) and seen[-1] == (5, 5)
    assert "2 skipped" in data.describe()


def test_image_folder_colour_modes_and_transparency(tmp_path: Path) -> None:
    save_png(tmp_path / "grey.png", grey(100))
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:4, :, 3] = 255  # top half opaque red, bottom half transparent → black
    save_png(tmp_path / "red.png", rgba)
    data = load_image_folder(tmp_path, size=8, test_fraction=0)
    assert data.input_shape == (3, 8, 8) and data.labels is None
    red = data.images(1)
    assert red[0, :4].min() == 1.0 and red[:, 4:].max() == 0.0 and red[1:, :4].max() == 0.0
    np.testing.assert_allclose(data.images(0), 100 / 255, atol=1e-6)
    assert load_image_folder(tmp_path, size=8, mode="gray").input_shape == (1, 8, 8)
    forced = load_image_folder(tmp_path, size=4, mode="rgb", test_fraction=0)
    assert forced.input_shape == (3, 4, 4) and np.ptp(forced.images(0), axis=0).max() == 0


def test_image_folder_keeps_a_train_test_layout_and_a_single_class(tmp_path: Path) -> None:
    for part, count in (("train", 3), ("test", 2)):
        for i in range(count):
            save_png(tmp_path / part / "only" / f"{i}.png", grey(10 * i))
    data = load_image_folder(tmp_path)
    assert data.class_names == ("only",) and data.labels.tolist() == [0] * 5
    assert data.is_test.tolist() == [False, False, False, True, True]


def test_image_folder_errors_name_the_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetError, match=rf"^{empty}: the folder holds no image files"):
        load_image_folder(empty)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.png").write_bytes(b"nope")
    (bad / "y.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    with pytest.raises(DatasetError, match=rf"^{bad}: none of its 2 image files could be read"):
        load_image_folder(bad)


def test_image_folder_loading_can_be_cancelled(tmp_path: Path) -> None:
    for i in range(300):
        save_png(tmp_path / f"{i}.png", grey(i % 256, (4, 4)))
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        cancel.set()  # cancel as soon as loading starts

    with pytest.raises(LoadCancelled):
        load_image_folder(tmp_path, progress=progress, cancel=cancel, workers=1)


def test_sixteen_bit_greyscale_is_scaled(tmp_path: Path) -> None:
    Image.fromarray(np.full((4, 4), 65535, np.uint16)).save(tmp_path / "deep.png")
    save_png(tmp_path / "other.png", grey(0, (4, 4)))
    data = load_image_folder(tmp_path, size=4, test_fraction=0)
    assert data.images(0).min() == 1.0 and data.images(1).max() == 0.0


# ---------------------------------------------------------------------------------------------
# CSV of pixels


def write_csv(path: Path, header: list[str] | None, rows: list[list[object]]) -> Path:
    lines = ([",".join(header)] if header else []) + [",".join(map(str, r)) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def pixel_rows(n: int, with_label: bool) -> list[list[object]]:
    rng = np.random.default_rng(0)
    return [([i % 3] if with_label else []) + rng.integers(0, 256, 16).tolist() for i in range(n)]


def test_pixel_csv_in_the_kaggle_and_the_headerless_layouts(tmp_path: Path) -> None:
    rows = pixel_rows(10, with_label=True)
    header = ["label"] + [f"pixel{i}" for i in range(16)]
    kaggle = load_pixel_csv(write_csv(tmp_path / "k.csv", header, rows))
    bare = load_pixel_csv(write_csv(tmp_path / "b.csv", None, rows))
    for data in (kaggle, bare):
        assert data.input_shape == (1, 4, 4) and data.class_names == ("0", "1", "2")
        np.testing.assert_allclose(data.images().reshape(10, 16),
                                   np.array([r[1:] for r in rows]) / 255, rtol=1e-6)


def test_pixel_csv_without_a_label_column_is_unlabelled(tmp_path: Path) -> None:
    header = [f"pixel{i}" for i in range(16)]
    data = load_pixel_csv(write_csv(tmp_path / "u.csv", header, pixel_rows(5, False)))
    assert data.labels is None and data.n == 5


def test_pixel_csv_with_named_labels(tmp_path: Path) -> None:
    rows = [[name, *[0.5] * 9] for name in ("cat", "dog", "cat")]
    data = load_pixel_csv(write_csv(tmp_path / "n.csv", ["class", *"abcdefghi"], rows))
    assert data.class_names == ("cat", "dog") and data.labels.tolist() == [0, 1, 0]
    np.testing.assert_allclose(data.x, 0.5)


def test_pixel_csv_errors_name_the_file_line_and_reason(tmp_path: Path) -> None:
    header = ["label"] + [f"pixel{i}" for i in range(16)]
    rows = pixel_rows(6, with_label=True)
    rows[3][5] = "12x"
    with pytest.raises(DatasetError,
                       match=r"^bad\.csv: line 5, column 6 \(pixel4\): '12x' is not a number"):
        load_pixel_csv(write_csv(tmp_path / "bad.csv", header, rows))
    rows = pixel_rows(6, with_label=True)
    rows[2] = rows[2][:-1]
    with pytest.raises(DatasetError, match=r"^ragged\.csv: line 4 has 16 cells, expected 17"):
        load_pixel_csv(write_csv(tmp_path / "ragged.csv", header, rows))
    with pytest.raises(DatasetError, match=r"^odd\.csv: 15 columns make no square image"):
        load_pixel_csv(write_csv(tmp_path / "odd.csv", None, [[1] * 15]))
    rows = [[1, *[0.5] * 16], [2, *[0.5] * 15, "inf"]]
    with pytest.raises(DatasetError, match=r"^inf\.csv: line 3 holds NaN or infinity"):
        load_pixel_csv(write_csv(tmp_path / "inf.csv", header, rows))


# ---------------------------------------------------------------------------------------------
# Text corpora


def test_tokenizer_drops_stop_words_and_stems_plurals_only_on_request() -> None:
    text = "The cats' owners DON'T like Mary's puppies, 42 times!"
    assert tokenize(text) == ["cats", "owners", "mary", "puppies", "times"]
    assert tokenize(text, stem=True) == ["cat", "owner", "mary", "puppy", "time"]


def test_text_folder_keeps_empty_documents_as_zero_rows(tmp_path: Path) -> None:
    (tmp_path / "pets").mkdir()
    (tmp_path / "money").mkdir()
    (tmp_path / "pets" / "a.txt").write_text("cat cat dog")
    (tmp_path / "pets" / "b.txt").write_text("")
    (tmp_path / "money" / "c.txt").write_text("the of and")  # only stop words
    (tmp_path / "money" / "d.txt").write_bytes(b"stocks \xff bonds stocks")  # not UTF-8
    data = load_text_folder(tmp_path, max_words=3)
    assert data.kind == "text" and data.class_names == ("money", "pets")
    assert data.vocabulary == ("cat", "stocks", "bonds")  # by count, ties alphabetical
    assert data.x.shape == (4, 1, 1, 3)
    # Class folders in order: money/c, money/d, pets/a, pets/b.
    np.testing.assert_allclose(data.x.sum(axis=-1).ravel(), [0, 1, 1, 0])
    np.testing.assert_allclose(data.x[1].ravel(), [0, 2 / 3, 1 / 3])
    np.testing.assert_allclose(data.x[2].ravel(), [1, 0, 0])  # "dog" is outside the top 3
    assert data.documents[3] == "" and data.documents[1] == "stocks \ufffd bonds stocks"
    assert data.labels.tolist() == [0, 0, 1, 1]
    assert "4 documents · 3 words · 2 classes" in data.describe()


def test_text_csv_found_by_content_through_load_source(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text('id,review,stars\n1,"Great phone, great battery",5\n2,"",1\n'
                    '3,"Terrible battery life",1\n')
    data = load_source(path)
    assert data.kind == "text" and data.n == 3 and data.labels is None
    assert data.vocabulary[:2] == ("battery", "great")
    labelled = load_text_csv(path, label_column="stars")
    assert labelled.class_names == ("0", "1", "2", "3", "4", "5")
    with pytest.raises(DatasetError, match=r"reviews\.csv: no column 'nope'"):
        load_text_csv(path, label_column="nope")


def test_tfidf_rows_have_unit_length_and_empty_rows_stay_zero() -> None:
    counts = np.array([[2, 1, 0], [0, 1, 0], [0, 0, 0]], np.float32)
    weighted = tfidf(counts)
    np.testing.assert_allclose(np.linalg.norm(weighted, axis=1), [1, 1, 0], rtol=1e-6)
    assert weighted[0, 0] > weighted[0, 1] * 2  # rarer word weighs more


@pytest.mark.parametrize("side", [40, 600])  # exact SVD, and the randomised one
def test_lsa_matches_the_exact_svd(side: int) -> None:
    rng = np.random.default_rng(0)
    x = rng.random((side, 3)) @ rng.random((3, side)) + 0.01 * rng.random((side, side))
    lsa = LSA(2).fit(x)
    _, s, _ = np.linalg.svd(x)
    np.testing.assert_allclose(lsa.singular_values_, s[:2], rtol=1e-4)
    assert lsa.transform(x).shape == (side, 2)
    np.testing.assert_array_equal(LSA(2).fit_transform(x), lsa.transform(x))  # deterministic


# ---------------------------------------------------------------------------------------------
# load_source


def test_load_source_dispatches_on_what_the_path_holds(tmp_path: Path) -> None:
    assert load_source("digits").n == 1797
    idx = tmp_path / "idx"
    idx.mkdir()
    write_idx(idx / "t10k-images-idx3-ubyte.gz", np.zeros((3, 2, 2)), compress=True)
    assert load_source(idx).is_test.all()
    assert load_source(idx / "t10k-images-idx3-ubyte.gz").n == 3
    np.save(tmp_path / "a.npy", np.zeros((2, 3, 3)))
    # Options a loader does not take are left out: every source accepts progress and size.
    assert load_source(tmp_path / "a.npy", size=5, progress=print).input_shape == (1, 3, 3)
    pictures = tmp_path / "pictures"
    save_png(pictures / "x" / "1.png", grey(0))
    assert load_source(str(pictures), size=5).input_shape == (1, 5, 5)
    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / "one.txt").write_text("hello world")
    assert load_source(texts).vocabulary == ("hello", "world")
    csv = write_csv(tmp_path / "p.csv", None, pixel_rows(3, with_label=True))
    assert load_source(csv).kind == "image"


def test_load_source_errors_name_the_path_and_what_is_supported(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"missing: no such file or folder.*supported:.*digits"):
        load_source(str(tmp_path / "missing"))
    (tmp_path / "notes.docx").write_bytes(b"x")
    with pytest.raises(DatasetError, match=r"notes\.docx: unsupported file type; supported"):
        load_source(tmp_path / "notes.docx")
    with pytest.raises(DatasetError, match=r"holds nothing loadable"):
        load_source(tmp_path)
    with pytest.raises(TypeError, match="unknown options: colour"):
        load_source("digits", colour=True)
