"""The IDX format of the MNIST family, raw or gzipped (detected by content, not by name)."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from latentlab.core.data.dataset import Dataset, DatasetError

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


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"{path.name}: cannot be read ({exc.strerror or exc}).") from None
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DatasetError(f"{path.name}: damaged gzip data ({exc}).") from None
    return raw


def parse_idx(data: bytes, name: str) -> np.ndarray:
    """Parse IDX bytes into an array; every malformed input raises DatasetError naming ``name``."""
    if len(data) < 4:
        raise DatasetError(f"{name}: too short to be an IDX file ({len(data)} bytes).")
    if data[0] != 0 or data[1] != 0:
        raise DatasetError(f"{name}: not an IDX file (the first two bytes must be zero).")
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        raise DatasetError(f"{name}: unknown IDX data type code 0x{code:02X}.")
    if ndim == 0:
        raise DatasetError(f"{name}: an IDX file needs at least one dimension.")
    header_end = 4 + 4 * ndim
    if len(data) < header_end:
        raise DatasetError(f"{name}: the header is cut short.")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_DTYPES[code])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(data) - header_end
    if actual != expected:
        raise DatasetError(
            f"{name}: header promises {expected:,} bytes of data for shape {shape}, "
            f"the file holds {actual:,}."
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_end).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def read_idx(path: str | Path) -> np.ndarray:
    path = Path(path)
    return parse_idx(_read_bytes(path), path.name)


_SPLITS = {"train": False, "t10k": True}


def _find(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def load_idx_folder(folder: str | Path, name: str | None = None) -> Dataset:
    """Load ``train-*`` and ``t10k-*`` IDX images and labels from one folder, keeping the split."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a folder.")
    images, labels, is_test = [], [], []
    for prefix, test in _SPLITS.items():
        img_path = _find(folder, f"{prefix}-images-idx3-ubyte")
        if img_path is None:
            continue
        img = read_idx(img_path)
        if img.ndim != 3:
            raise DatasetError(f"{img_path.name}: expected N×H×W images, got shape {img.shape}.")
        lab_path = _find(folder, f"{prefix}-labels-idx1-ubyte")
        if lab_path is not None:
            lab = read_idx(lab_path)
            if lab.ndim != 1 or len(lab) != len(img):
                raise DatasetError(f"{lab_path.name}: {len(lab):,} labels for {len(img):,} images.")
            labels.append(lab.astype(np.int64))
        images.append(img)
        is_test.append(np.full(len(img), test))
    if not images:
        raise DatasetError(
            f"{folder}: no train-images-idx3-ubyte[.gz] or t10k-images-idx3-ubyte[.gz]."
        )
    x = np.concatenate(images)
    scale = 255.0 if x.dtype == np.uint8 else max(float(x.max()), 1.0)
    x = (x.astype(np.float32) / np.float32(scale))[:, None]
    y = np.concatenate(labels) if len(labels) == len(images) else None
    class_names: tuple[str, ...] = ()
    if y is not None:
        class_names = tuple(str(i) for i in range(int(y.max()) + 1))
    return Dataset(
        name=name or folder.name,
        x=x,
        labels=y,
        class_names=class_names,
        is_test=np.concatenate(is_test),
    )
