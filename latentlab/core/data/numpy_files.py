"""NumPy ``.npz`` and ``.npy`` files of images, with labels found by key.

Images may be N×H×W, N×H×W×C or N×C×H×W (C = 1 or 3), or N×D with D a square number
(flattened grey images). The channel axis of a 4-D array is the one of size 1 or 3; when both
the second and the last axis could be it, the layout whose other two axes are equal (a square
image) wins, and when that does not decide either, channels last (NumPy, PIL and Keras order).

A key is chosen only when the choice is clear: the only candidate, or the only candidate with a
conventional name (``x``, ``images``, ``y``, ``labels``…). Otherwise ``AmbiguousKeys`` lists the
candidates so the caller can ask. Pickled object arrays are never loaded (``allow_pickle=False``).
"""

from __future__ import annotations

import math
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from latentlab.core.data.arrays import encode_labels, scale_in_place, square_side
from latentlab.core.data.dataset import Dataset, DatasetError, random_split
from latentlab.core.files.safe_io import (
    INFLATION_CHECKED_FROM,
    MAX_INFLATION,
    check_budget,
    open_regular,
    printable,
    size_text,
)

IMAGE_NAMES = ("x", "images", "image", "imgs", "img", "data", "inputs", "pixels", "x_train",
               "train_images", "arr_0")
LABEL_NAMES = ("y", "labels", "label", "targets", "target", "classes", "class", "y_train",
               "train_labels")
# (train images, test images, train labels, test labels), compared without case.
SPLIT_KEYS = (
    ("x_train", "x_test", "y_train", "y_test"),
    ("train_images", "test_images", "train_labels", "test_labels"),
    ("images_train", "images_test", "labels_train", "labels_test"),
)
# Pass as labels_key to load images without labels even where label candidates exist.
NO_LABELS = ""

_PICKLE_REASON = (
    "holds pickled Python objects, which are not loaded for safety (allow_pickle=False); "
    "save plain numeric or string arrays instead"
)


class AmbiguousKeys(DatasetError):
    """Several arrays could be the images (or the labels): the caller must choose one.

    ``role`` is "images" or "labels"; ``candidates`` the keys to choose among, ``image_keys``
    and ``label_keys`` every candidate of each role (for a dialog that shows both).
    """

    def __init__(self, message: str, role: str, candidates: tuple[str, ...],
                 image_keys: tuple[str, ...], label_keys: tuple[str, ...]) -> None:
        super().__init__(message)
        self.role = role
        self.candidates = candidates
        self.image_keys = image_keys
        self.label_keys = label_keys


@dataclass(frozen=True)
class ArrayInfo:
    """One array of a NumPy file, read from its header without loading the data."""

    key: str
    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def pickled(self) -> bool:
        return self.dtype.hasobject

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize

    @property
    def n(self) -> int:
        return self.shape[0] if self.shape else 0

    @property
    def looks_like_images(self) -> bool:
        return not self.pickled and self.dtype.kind in "biuf" and _image_layout(self.shape) != ""

    @property
    def looks_like_labels(self) -> bool:
        one_per_item = len(self.shape) == 1 or (len(self.shape) == 2 and self.shape[1] == 1)
        if not one_per_item or self.pickled:
            return False
        # Float labels only under a label's name: a float vector is usually something else.
        return self.dtype.kind in "biuUS" or (
            self.dtype.kind == "f" and self.key.lower() in LABEL_NAMES)


@dataclass(frozen=True)
class NpzContents:
    """What a .npz/.npy holds, with the candidates for images and labels."""

    path: Path
    arrays: tuple[ArrayInfo, ...]
    image_keys: tuple[str, ...]
    label_keys: tuple[str, ...]
    split: tuple[str, str, str | None, str | None] | None

    def info(self, key: str) -> ArrayInfo:
        for array in self.arrays:
            if array.key == key:
                return array
        known = ", ".join(a.key for a in self.arrays)
        raise DatasetError(f"{self.path.name}: no array named {key!r} (it holds {known}).")

    def label_keys_for(self, images_key: str) -> tuple[str, ...]:
        n = self.info(images_key).n
        return tuple(k for k in self.label_keys if self.info(k).n == n)


def _image_layout(shape: tuple[int, ...]) -> str:
    """"flat", "nhw", "nchw", "nhwc", or "" when ``shape`` is not a stack of images."""
    if len(shape) == 2:
        side = square_side(shape[1])
        return "flat" if side is not None and side >= 4 else ""
    if len(shape) == 3:
        return "nhw" if min(shape[1:]) >= 2 else ""
    if len(shape) == 4:
        first, last = shape[1] in (1, 3), shape[3] in (1, 3)
        if first and last:
            square_first, square_last = shape[2] == shape[3], shape[1] == shape[2]
            return "nchw" if square_first and not square_last else "nhwc"
        return "nchw" if first else "nhwc" if last else ""
    return ""


def _read_header(handle: BinaryIO, key: str, name: str, size: int) -> ArrayInfo:
    """The array's header; ``size`` is the bytes the file (or zip member) holds, which must
    cover what the header declares — a tiny file claiming terabytes is refused here."""
    try:
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(handle)
        else:  # version 3 (utf-8 field names): rare; NumPy reads its header privately only
            shape, _, dtype = np.lib.format._read_array_header(handle, version)
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object" in str(exc).lower():
            return ArrayInfo(key, (), np.dtype(object))
        raise DatasetError(f"{name}: array {printable(key)!r} is not a valid NumPy array "
                           f"({exc}).") from None
    except (OSError, EOFError, AttributeError) as exc:
        raise DatasetError(f"{name}: array {printable(key)!r} cannot be read ({exc}).") from None
    info = ArrayInfo(key, tuple(int(d) for d in shape), np.dtype(dtype))
    declared = info.nbytes
    available = size - handle.tell()
    if not info.pickled and declared > available:
        raise DatasetError(f"{name}: array {printable(key)!r} declares shape {info.shape} "
                           f"({size_text(declared)}), but the file holds "
                           f"{size_text(max(available, 0))} of data.")
    return info


def _list_arrays(path: Path) -> tuple[ArrayInfo, ...]:
    try:
        with open_regular(path) as handle:
            if path.suffix.lower() == ".npy":
                return (_read_header(handle, "array", path.name, os.fstat(handle.fileno())
                                     .st_size),)
            with zipfile.ZipFile(handle) as archive:
                arrays = []
                for member in archive.infolist():
                    if member.filename.endswith(".npy"):
                        _refuse_bomb(member, path.name)
                        with archive.open(member) as stream:
                            arrays.append(_read_header(stream, member.filename[:-4], path.name,
                                                       member.file_size))
                return tuple(arrays)
    # RuntimeError: zipfile's answer to an encrypted member.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error,
            NotImplementedError, RuntimeError) as exc:
        raise DatasetError(f"{path.name}: not a valid .npz archive ({exc}).") from None
    except OSError as exc:
        raise DatasetError(f"{path.name}: cannot be read ({exc.strerror or exc}).") from None


def _refuse_bomb(member: zipfile.ZipInfo, name: str) -> None:
    """A member that inflates like nothing but runs of one byte value is not image data."""
    ratio = member.file_size / max(member.compress_size, 1)
    if member.file_size > INFLATION_CHECKED_FROM and ratio > MAX_INFLATION:
        raise DatasetError(f"{name}: {printable(member.filename)} inflates {ratio:,.0f}-fold "
                           f"({size_text(member.compress_size)} into "
                           f"{size_text(member.file_size)}); refused as a likely decompression "
                           "bomb.")


def _find_split(arrays: tuple[ArrayInfo, ...]) -> tuple[str, str, str | None, str | None] | None:
    by_lower = {a.key.lower(): a for a in arrays}
    for x_train, x_test, y_train, y_test in SPLIT_KEYS:
        train, test = by_lower.get(x_train), by_lower.get(x_test)
        if not (train and test and train.looks_like_images and test.looks_like_images):
            continue
        if train.shape[1:] != test.shape[1:]:
            continue
        labels = by_lower.get(y_train), by_lower.get(y_test)
        if all(lab and lab.looks_like_labels for lab in labels):
            return train.key, test.key, labels[0].key, labels[1].key  # counts checked later
        return train.key, test.key, None, None
    return None


def inspect_npz(path: str | Path) -> NpzContents:
    """The arrays of a .npz or .npy file and which of them could be images or labels."""
    path = Path(path)
    arrays = _list_arrays(path)
    if not arrays:
        raise DatasetError(f"{path.name}: the archive holds no NumPy arrays.")
    return NpzContents(
        path=path,
        arrays=arrays,
        image_keys=tuple(a.key for a in arrays if a.looks_like_images),
        label_keys=tuple(a.key for a in arrays if a.looks_like_labels),
        split=_find_split(arrays),
    )


def _pick(candidates: tuple[str, ...], conventional: tuple[str, ...]) -> str | None:
    """The only candidate, or the only one with a conventional name; None when unclear."""
    if len(candidates) == 1:
        return candidates[0]
    named = [k for k in candidates if k.lower() in conventional]
    return named[0] if len(named) == 1 else None


def _choose(contents: NpzContents, images_key: str | None,
            labels_key: str | None) -> tuple[str, str | None]:
    name = contents.path.name
    if contents.path.suffix.lower() == ".npy" and contents.arrays[0].pickled:
        raise DatasetError(f"{name}: {_PICKLE_REASON}.")
    if images_key is None:
        if not contents.image_keys:
            pickled = [a.key for a in contents.arrays if a.pickled]
            shapes = ", ".join(f"{a.key} {a.shape}" for a in contents.arrays if not a.pickled)
            reason = f"; {', '.join(pickled)} {_PICKLE_REASON}" if pickled else ""
            raise DatasetError(
                f"{name}: no array looks like images (N×H×W, N×H×W×C or N×C×H×W with C = 1 "
                f"or 3, or N×D with D square){': ' + shapes if shapes else ''}{reason}."
            )
        images_key = _pick(contents.image_keys, IMAGE_NAMES)
        if images_key is None:
            raise AmbiguousKeys(
                f"{name}: several arrays could be the images "
                f"({', '.join(contents.image_keys)}); choose one.",
                "images", contents.image_keys, contents.image_keys, contents.label_keys)
    info = contents.info(images_key)
    if info.pickled:
        raise DatasetError(f"{name}: {images_key} {_PICKLE_REASON}.")
    if not info.looks_like_images:
        raise DatasetError(f"{name}: {images_key} of shape {info.shape} and type {info.dtype} "
                           "is not a stack of images.")
    if labels_key == NO_LABELS:
        return images_key, None
    if labels_key is None:
        for array in contents.arrays:
            if array.pickled and array.key.lower() in LABEL_NAMES:
                raise DatasetError(f"{name}: {array.key} {_PICKLE_REASON}.")
        candidates = contents.label_keys_for(images_key)
        if not candidates:
            _refuse_miscounted_labels(contents, (images_key,), (info.n,))
            return images_key, None
        labels_key = _pick(candidates, LABEL_NAMES)
        if labels_key is None:
            raise AmbiguousKeys(
                f"{name}: several arrays could be the labels of {images_key} "
                f"({', '.join(candidates)}); choose one, or none.",
                "labels", candidates, contents.image_keys, candidates)
    labels = contents.info(labels_key)
    if labels.pickled:
        raise DatasetError(f"{name}: {labels_key} {_PICKLE_REASON}.")
    if labels.n != info.n or not (labels.looks_like_labels or labels.dtype.kind == "f"):
        raise DatasetError(f"{name}: {labels_key} of shape {labels.shape} cannot label "
                           f"{info.n:,} images.")
    return images_key, labels_key


def _refuse_miscounted_labels(contents: NpzContents, image_keys: tuple[str, ...],
                              counts: tuple[int, ...],
                              label_keys: tuple[str | None, ...] | None = None) -> None:
    """Labels by name (or ``label_keys``) whose count differs from the images' are an error,
    never silently dropped."""
    if label_keys is None:
        named = [a.key for a in contents.arrays if a.key.lower() in LABEL_NAMES
                 and a.looks_like_labels]
        label_keys = (named[0] if named else None,) * len(image_keys)
    for images_key, n, labels_key in zip(image_keys, counts, label_keys, strict=True):
        if labels_key is not None and contents.info(labels_key).n != n:
            raise DatasetError(
                f"{contents.path.name}: {printable(labels_key)} holds "
                f"{contents.info(labels_key).n:,} labels for the {n:,} images of "
                f"{printable(images_key)}; choose other labels, or none.")


def to_images(arrays: list[np.ndarray], name: str) -> np.ndarray:
    """Stacks of one layout as one N×C×H×W array (one copy): uint8 kept as uint8, other
    types as float32 in [0, 1]."""
    layout = _image_layout(arrays[0].shape)
    views = []
    for a in arrays:
        if layout == "flat":
            side = square_side(a.shape[1]) or 0
            a = a.reshape(len(a), 1, side, side)
        elif layout == "nhw":
            a = a[:, None]
        elif layout == "nhwc":
            a = a.transpose(0, 3, 1, 2)
        views.append(a)
    dtypes = {a.dtype for a in arrays}
    eight_bit = dtypes == {np.dtype(np.uint8)}
    x = np.empty((sum(len(v) for v in views), *views[0].shape[1:]),
                 dtype=np.uint8 if eight_bit else np.float32)
    start = 0
    for v in views:
        x[start : start + len(v)] = v
        start += len(v)
    if not eight_bit:
        scale_in_place(x, dtypes.pop() if len(dtypes) == 1 else np.dtype(np.float64), name)
    return x


def load_arrays(path: Path, contents: NpzContents, keys: list[str],
                 images: int) -> list[np.ndarray]:
    """The arrays named ``keys``, after checking that they and the float32 copy of the first
    ``images`` of them fit the memory budget."""
    infos = [contents.info(k) for k in keys]
    check_budget(sum(i.nbytes for i in infos) + sum(math.prod(i.shape) * 4
                                                    for i in infos[:images]),
                 path.name, ", ".join(f"{printable(i.key)} {i.shape}" for i in infos))
    try:
        with open_regular(path) as handle:
            if path.suffix.lower() == ".npy":
                return [np.load(handle, allow_pickle=False)]
            with np.load(handle, allow_pickle=False) as archive:
                return [archive[k] for k in keys]
    except ValueError as exc:
        if "pickle" in str(exc):
            raise DatasetError(f"{path.name}: {_PICKLE_REASON}.") from None
        raise DatasetError(f"{path.name}: cannot be read ({exc}).") from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError,
            RuntimeError) as exc:
        raise DatasetError(f"{path.name}: cannot be read ({exc}).") from None


def load_numpy(path: str | Path, images_key: str | None = None, labels_key: str | None = None,
               *, name: str | None = None, test_fraction: float = 0.2,
               seed: int = 0) -> Dataset:
    """Images (and labels) from a .npz or .npy file; see the module docstring for the rules.

    Raises AmbiguousKeys when the images or labels cannot be chosen without a key. A file with
    x_train/x_test (and y_train/y_test) keeps that split unless ``images_key`` is given; other
    files hold out a seeded ``test_fraction``. ``labels_key=NO_LABELS`` loads no labels.
    """
    path = Path(path)
    contents = inspect_npz(path)
    if images_key is None and labels_key in (None, NO_LABELS) and contents.split is not None:
        x_train, x_test, y_train, y_test = contents.split
        with_labels = bool(y_train and y_test and labels_key is None)
        if with_labels:
            _refuse_miscounted_labels(contents, (x_train, x_test),
                                      (contents.info(x_train).n, contents.info(x_test).n),
                                      (y_train, y_test))
        keys = [x_train, x_test] + ([y_train, y_test] if with_labels else [])
        arrays = load_arrays(path, contents, keys, 2)
        x = to_images(arrays[:2], path.name)
        is_test = np.repeat([False, True], [len(arrays[0]), len(arrays[1])])
        label_arrays = arrays[2:]
    else:
        images_key, labels_key = _choose(contents, images_key, labels_key)
        keys = [images_key] + ([labels_key] if labels_key else [])
        arrays = load_arrays(path, contents, keys, 1)
        x = to_images(arrays[:1], path.name)
        is_test = random_split(len(x), test_fraction, seed)
        label_arrays = arrays[1:]
    labels, class_names = None, ()
    if label_arrays:
        flat = [a.reshape(len(a)) for a in label_arrays]
        labels, class_names = encode_labels(np.concatenate(flat), f"{path.name} ({keys[-1]})")
    return Dataset(name or path.stem, x, labels, class_names, is_test)
