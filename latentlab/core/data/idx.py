"""The IDX format of the MNIST family, raw or gzipped (detected by content, not by name).

Every malformed input raises DatasetError naming the file. Loading a folder decompresses each
file once into bytes, views the payload in place and copies it once into the float32 result.
"""

from __future__ import annotations

import math
import os
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


class _Inflater:
    """Gunzips a file in chunks. A small file that inflates to gigabytes (a decompression
    bomb) is refused after a few bytes too many."""

    def __init__(self, handle: BinaryIO, name: str) -> None:
        self.handle, self.name = handle, name
        self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self.read_bytes = self.produced = 0

    @property
    def eof(self) -> bool:
        return self._zlib.eof

    def chunk(self, room: int, most: int = _CHUNK * 16) -> bytes:
        """At most ``room`` (≥ 1) and ``most`` more inflated bytes; DatasetError for damaged
        gzip data."""
        data = self._zlib.unconsumed_tail
        if not data:
            data = self.handle.read(_CHUNK)
            self.read_bytes += len(data)
        if not data:
            raise DatasetError(f"{self.name}: damaged gzip data (it ends early).")
        if (self.produced > INFLATION_CHECKED_FROM
                and self.produced > MAX_INFLATION * self.read_bytes):
            raise DatasetError(f"{self.name}: inflates more than {MAX_INFLATION}-fold "
                               f"({size_text(self.read_bytes)} into over "
                               f"{size_text(self.produced)}); refused as a likely "
                               "decompression bomb.")
        try:
            out = self._zlib.decompress(data, min(room, most))
        except zlib.error as exc:
            raise DatasetError(f"{self.name}: damaged gzip data ({exc}).") from None
        self.produced += len(out)
        return out


def _gunzip(handle: BinaryIO, name: str) -> bytes:
    """Decompress in chunks, never past what the IDX header promises."""
    inflater = _Inflater(handle, name)
    out = bytearray()
    expected: int | None = None  # header and data bytes, once the header has been read
    while not inflater.eof:
        # The checks interleave with the inflating.
        out += inflater.chunk((expected if expected is not None else _HEADER_MAX) + 1 - len(out))
        if expected is None:
            expected = _declared_size(bytes(out[:_HEADER_MAX]), name, complete=inflater.eof)
        if expected is not None and len(out) > expected:
            raise DatasetError(f"{name}: holds more data than its header promises "
                               f"({expected:,} bytes); refused as damaged or hostile.")
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


def _head(path: Path) -> bytes:
    """The first bytes of a raw or gzipped IDX file: enough for any header."""
    with open_regular(path) as handle:
        if handle.read(2) != _GZIP_MAGIC:
            handle.seek(0)
            return handle.read(_HEADER_MAX)
        handle.seek(0)
        inflater, out = _Inflater(handle, path.name), bytearray()
        while not inflater.eof and len(out) < _HEADER_MAX:
            out += inflater.chunk(_HEADER_MAX - len(out))
        return bytes(out)


def _read_into(path: Path, out: np.ndarray, shape: tuple[int, ...]) -> None:
    """Fill the C-contiguous ``out`` with the payload of the IDX file of ``shape`` at
    ``path``, streamed (a gzipped file is never held whole): DatasetError unless the file
    holds exactly that payload."""
    name, view = path.name, memoryview(out).cast("B")
    start, total = 4 + 4 * len(shape), 4 + 4 * len(shape) + len(view)
    with open_regular(path) as handle:
        if handle.read(2) == _GZIP_MAGIC:
            handle.seek(0)
            inflater = _Inflater(handle, name)
            while not inflater.eof:
                chunk = memoryview(inflater.chunk(total + 1 - inflater.produced, _CHUNK))
                if inflater.produced > total:
                    raise DatasetError(f"{name}: holds more data than its header promises "
                                       f"({total:,} bytes); refused as damaged or hostile.")
                begin = inflater.produced - len(chunk)  # the chunk's offset in the file
                skip = max(0, start - begin)
                view[begin + skip - start : inflater.produced - start] = chunk[skip:]
            held = inflater.produced
        else:
            handle.seek(start)
            held = start
            while held < total and (n := handle.readinto(view[held - start :])):
                held += n
            held += len(handle.read(1))
    if held != total:
        raise DatasetError(f"{name}: header promises {total - start:,} bytes of data for shape "
                           f"{shape}, the file holds {max(held - start, 0):,}.")


def _refuse_likely_bomb(path: Path, payload: int) -> None:
    """Refuse, before the pixels are allocated, a gzipped file whose header promises more than
    the inflation that ``_Inflater`` would refuse on the way (a header honest about a bomb)."""
    try:
        with open_regular(path) as handle:
            packed = os.fstat(handle.fileno()).st_size
            gzipped = handle.read(2) == _GZIP_MAGIC
    except OSError as exc:
        raise DatasetError(f"{path.name}: cannot be read ({exc.strerror or exc}).") from None
    if gzipped and payload > INFLATION_CHECKED_FROM and payload > MAX_INFLATION * packed:
        raise DatasetError(f"{path.name}: inflates more than {MAX_INFLATION}-fold "
                           f"({size_text(packed)} into {size_text(payload)}); refused as a "
                           "likely decompression bomb.")


def _read_uint8_images(paths: list[Path], shapes: list[tuple[int, ...]]) -> np.ndarray:
    """The 8-bit images of ``paths`` as one N×1×H×W uint8 array, each file streamed into its
    rows: memory holds the pixels once, never a decompressed copy beside them."""
    n = sum(shape[0] for shape in shapes)
    h, w = shapes[0][1:]
    check_budget(n * h * w, paths[0].name, f"{n:,} images of {h}×{w}")
    for path, shape in zip(paths, shapes, strict=True):
        _refuse_likely_bomb(path, math.prod(shape))
    x = np.empty((n, 1, h, w), dtype=np.uint8)
    start = 0
    for path, shape in zip(paths, shapes, strict=True):
        _read_into(path, x[start : start + shape[0]], shape)
        start += shape[0]
    return x


def load_idx_folder(folder: str | Path, name: str | None = None) -> Dataset:
    """Load ``train-*`` and ``t10k-*`` IDX images and labels from one folder, keeping the split.

    Images are N×H×W of any IDX type: uint8 stays uint8 (``Dataset.images`` divides by 255),
    other types become float32 in [0, 1] as ``scale_in_place`` describes. Labels are kept
    only when both splits have them.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a folder.")
    found = [(prefix, p, test) for prefix, test in _SPLITS.items()
             if (p := _find(folder, f"{prefix}-images-idx3-ubyte")) is not None]
    paths = [(p, test) for _, p, test in found]
    if not paths:
        raise DatasetError(
            f"{folder}: no train-images-idx3-ubyte[.gz] or t10k-images-idx3-ubyte[.gz]."
        )
    headers = [_header(path) for path, _ in paths]
    for (path, _), (_, shape) in zip(paths, headers, strict=True):
        if len(shape) != 3:
            raise DatasetError(f"{path.name}: expected N×H×W images, got shape {shape}.")
        first = headers[0][1]
        if shape[1:] != first[1:]:
            raise DatasetError(f"{path.name}: images of {shape[1]}×{shape[2]} beside "
                               f"{paths[0][0].name}'s {first[1]}×{first[2]}.")
    labels = [_read_labels(lab, shape[0])
              for (prefix, _, _), (_, shape) in zip(found, headers, strict=True)
              if (lab := _find(folder, f"{prefix}-labels-idx1-ubyte")) is not None]
    if all(dtype == np.uint8 for dtype, _ in headers):
        x = _read_uint8_images([p for p, _ in paths], [shape for _, shape in headers])
    else:
        x = _read_float_images([p for p, _ in paths])
    y: np.ndarray | None = None
    class_names: tuple[str, ...] = ()
    if labels and len(labels) == len(paths):
        y, class_names = encode_labels(np.concatenate(labels), _label_name(folder))
    is_test = np.concatenate([np.full(shape[0], test) for (_, test), (_, shape)
                              in zip(paths, headers, strict=True)])
    return Dataset(name=name or folder.name, x=x, labels=y, class_names=class_names,
                   is_test=is_test)


def _header(path: Path) -> tuple[np.dtype, tuple[int, ...]]:
    try:
        return _parse_header(_head(path), path.name)
    except OSError as exc:
        raise DatasetError(f"{path.name}: cannot be read ({exc.strerror or exc}).") from None


def _read_float_images(paths: list[Path]) -> np.ndarray:
    """Images of other IDX types as one N×1×H×W float32 array in [0, 1]."""
    views = [_view_idx(_read_bytes(path), path.name) for path in paths]
    # One float32 allocation; each split's bytes are converted straight into it.
    h, w = views[0].shape[1:]
    x = np.empty((sum(len(v) for v in views), 1, h, w), dtype=np.float32)
    start = 0
    for view in views:
        x[start : start + len(view), 0] = view
        start += len(view)
    dtypes = {v.dtype.newbyteorder("=") for v in views}
    source_dtype = dtypes.pop() if len(dtypes) == 1 else np.dtype(np.float64)
    scale_in_place(x, source_dtype, paths[0].name)
    return x


def _label_name(folder: Path) -> str:
    found = [p.name for prefix in _SPLITS if (p := _find(folder, f"{prefix}-labels-idx1-ubyte"))]
    return " and ".join(found)
