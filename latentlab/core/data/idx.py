"""The IDX format of the MNIST family, raw or gzipped (detected by content, not by name).

Every malformed input raises DatasetError naming the file. Loading a folder decompresses each
file once into bytes, views the payload in place and copies it once into the float32 result.
"""

from __future__ import annotations

import math
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from latentlab.core.data.arrays import encode_labels, scale_in_place
from latentlab.core.data.dataset import Dataset, DatasetError
from latentlab.core.files.safe_io import (
    INFLATION_CHECKED_FROM,
    MAX_INFLATION,
    check_budget,
    memory_budget,
    open_regular,
    size_text,
)

# IDX type code → big-endian numpy dtype.
IDX_DTYPES: dict[int, str] = {
    0x08: ">u1",
    0x09: ">i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20
# NumPy 1.x caps arrays at 32 dimensions; no IDX file in the wild has more than 4.
_MAX_DIMS = 32
_HEADER_MAX = 4 + 4 * _MAX_DIMS


def _read_bytes(path: Path) -> bytes:
    """The IDX bytes of a raw or gzipped regular file, within the loading memory budget."""
    try:
        with open_regular(path, memory_budget(), "IDX files") as handle:
            if handle.read(2) == _GZIP_MAGIC:
                handle.seek(0)
                return _gunzip(handle, path.name)
            handle.seek(0)
            return handle.read()
    except OSError as exc:
        raise DatasetError(f"{path.name}: cannot be read ({exc.strerror or exc}).") from None


def _gunzip(handle: BinaryIO, name: str) -> bytes:
    """Decompress in chunks, never past what the IDX header promises: a small file that
    inflates to gigabytes (a decompression bomb) is refused after a few bytes too many."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    expected: int | None = None  # header and data bytes, once the header has been read
    read = 0
    try:
        while not inflater.eof:
            data = inflater.unconsumed_tail
            if not data:
                data = handle.read(_CHUNK)
                read += len(data)
            if not data:
                raise DatasetError(f"{name}: damaged gzip data (it ends early).")
            if len(out) > INFLATION_CHECKED_FROM and len(out) > MAX_INFLATION * read:
                raise DatasetError(f"{name}: inflates more than {MAX_INFLATION}-fold "
                                   f"({size_text(read)} into over {size_text(len(out))}); "
                                   "refused as a likely decompression bomb.")
            room = (expected if expected is not None else _HEADER_MAX) + 1 - len(out)
            out += inflater.decompress(data, min(room, _CHUNK * 16))  # the checks interleave
            if expected is None:
                expected = _declared_size(bytes(out[:_HEADER_MAX]), name, complete=inflater.eof)
            if expected is not None and len(out) > expected:
                raise DatasetError(f"{name}: holds more data than its header promises "
                                   f"({expected:,} bytes); refused as damaged or hostile.")
    except zlib.error as exc:
        raise DatasetError(f"{name}: damaged gzip data ({exc}).") from None
    return bytes(out)


def _declared_size(head: bytes, name: str, complete: bool) -> int | None:
    """Header plus data bytes the IDX header in ``head`` declares, checked against the memory
    budget; None while ``head`` is too short to tell (and more is coming)."""
    enough = len(head) >= 4 and len(head) >= 4 + 4 * head[3]
    if not enough and not complete and len(head) < _HEADER_MAX:
        return None
    dtype, shape = _parse_header(head, name)  # raises for anything that cannot be a header
    itemsize = dtype.itemsize
    items = math.prod(shape)
    # The raw bytes and the float32 copy made from them live together for a moment.
    check_budget(items * (itemsize + 4), name, f"an array of shape {shape}")
    return 4 + 4 * len(shape) + items * itemsize


def _parse_header(data: bytes, name: str) -> tuple[np.dtype, tuple[int, ...]]:
    """The data type and shape of an IDX header; DatasetError for a malformed one."""
    if len(data) < 4:
        raise DatasetError(f"{name}: too short to be an IDX file ({len(data)} bytes).")
    if data[0] != 0 or data[1] != 0:
        raise DatasetError(f"{name}: not an IDX file (the first two bytes must be zero).")
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        raise DatasetError(f"{name}: unknown IDX data type code 0x{code:02X}.")
    if ndim == 0:
        raise DatasetError(f"{name}: an IDX file needs at least one dimension.")
    if ndim > _MAX_DIMS:
        raise DatasetError(f"{name}: {ndim} dimensions; at most {_MAX_DIMS} are supported.")
    if len(data) < 4 + 4 * ndim:
        raise DatasetError(f"{name}: the header is cut short.")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    if 0 in shape:
        raise DatasetError(f"{name}: the header declares an empty array (shape {shape}).")
    return np.dtype(IDX_DTYPES[code]), shape


def _view_idx(data: bytes, name: str) -> np.ndarray:
    """A read-only big-endian view of the IDX payload in ``data`` (no copy)."""
    dtype, shape = _parse_header(data, name)
    header_end = 4 + 4 * len(shape)
    # Python integers: a product of 32-bit sizes may overflow int64.
    expected = math.prod(shape) * dtype.itemsize
    actual = len(data) - header_end
    if actual != expected:
        raise DatasetError(
            f"{name}: header promises {expected:,} bytes of data for shape {shape}, "
            f"the file holds {actual:,}."
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_end).reshape(shape)
    if dtype.kind == "f" and not (np.isfinite(array.min()) and np.isfinite(array.max())):
        raise DatasetError(f"{name}: the data include NaN or infinite numbers.")
    return array


def parse_idx(data: bytes, name: str) -> np.ndarray:
    """Parse IDX bytes into an array; every malformed input raises DatasetError naming ``name``."""
    array = _view_idx(data, name)
    return array.astype(array.dtype.newbyteorder("="))


def read_idx(path: str | Path) -> np.ndarray:
    path = Path(path)
    return parse_idx(_read_bytes(path), path.name)


_SPLITS = {"train": False, "t10k": True}


def _find(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def has_idx_files(folder: Path) -> bool:
    """Whether ``folder`` holds train-/t10k- IDX images (the layout load_idx_folder reads)."""
    return any(_find(folder, f"{prefix}-images-idx3-ubyte") for prefix in _SPLITS)


def _read_labels(path: Path, n_images: int) -> np.ndarray:
    labels = read_idx(path)
    if labels.ndim != 1:
        raise DatasetError(f"{path.name}: labels must be one value per image, not an array of "
                           f"shape {labels.shape}.")
    if len(labels) != n_images:
        raise DatasetError(f"{path.name}: {len(labels):,} labels for {n_images:,} images.")
    return labels


def load_idx_folder(folder: str | Path, name: str | None = None) -> Dataset:
    """Load ``train-*`` and ``t10k-*`` IDX images and labels from one folder, keeping the split.

    Images are N×H×W of any IDX type: uint8 is divided by 255, other types are brought into
    [0, 1] as ``scale_in_place`` describes. Labels are kept only when both splits have them.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a folder.")
    views: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    is_test: list[np.ndarray] = []
    names: list[str] = []
    for prefix, test in _SPLITS.items():
        img_path = _find(folder, f"{prefix}-images-idx3-ubyte")
        if img_path is None:
            continue
        img = _view_idx(_read_bytes(img_path), img_path.name)
        if img.ndim != 3:
            raise DatasetError(f"{img_path.name}: expected N×H×W images, got shape {img.shape}.")
        if views and img.shape[1:] != views[0].shape[1:]:
            raise DatasetError(
                f"{img_path.name}: images of {img.shape[1]}×{img.shape[2]} beside "
                f"{names[0]}'s {views[0].shape[1]}×{views[0].shape[2]}."
            )
        lab_path = _find(folder, f"{prefix}-labels-idx1-ubyte")
        if lab_path is not None:
            labels.append(_read_labels(lab_path, len(img)))
        views.append(img)
        names.append(img_path.name)
        is_test.append(np.full(len(img), test))
    if not views:
        raise DatasetError(
            f"{folder}: no train-images-idx3-ubyte[.gz] or t10k-images-idx3-ubyte[.gz]."
        )
    # One float32 allocation; each split's bytes are converted straight into it.
    h, w = views[0].shape[1:]
    x = np.empty((sum(len(v) for v in views), 1, h, w), dtype=np.float32)
    start = 0
    for view in views:
        x[start : start + len(view), 0] = view
        start += len(view)
    dtypes = {v.dtype.newbyteorder("=") for v in views}
    source_dtype = dtypes.pop() if len(dtypes) == 1 else np.dtype(np.float64)
    del views
    scale_in_place(x, source_dtype, names[0])
    y: np.ndarray | None = None
    class_names: tuple[str, ...] = ()
    if labels and len(labels) == len(is_test):
        y, class_names = encode_labels(np.concatenate(labels), _label_name(folder))
    return Dataset(
        name=name or folder.name,
        x=x,
        labels=y,
        class_names=class_names,
        is_test=np.concatenate(is_test),
    )


def _label_name(folder: Path) -> str:
    found = [p.name for prefix in _SPLITS if (p := _find(folder, f"{prefix}-labels-idx1-ubyte"))]
    return " and ".join(found)
