"""One entry point for every local dataset source: ``load_source(path_or_name, **options)``.

It dispatches on what the argument is: a built-in name; a folder of IDX files
(train-/t10k-), of images, or of .txt files; a .npz/.npy file; a CSV of pixels or of text
(decided by content); an IDX file (its folder is loaded). Options go to the loader chosen, and
each loader takes only the options it knows, so a caller may pass, say, ``progress`` and
``cancel`` to every source.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from latentlab.core.data.builtin import BUILTIN_DATASETS, load_builtin
from latentlab.core.data.csv_files import load_pixel_csv, sniff_csv
from latentlab.core.data.dataset import Dataset, DatasetError
from latentlab.core.data.idx import has_idx_files, load_idx_folder
from latentlab.core.data.images import IMAGE_SUFFIXES, load_image_folder
from latentlab.core.data.numpy_files import load_numpy
from latentlab.core.data.pairs import load_pairs
from latentlab.core.data.text_sources import TEXT_SUFFIXES, load_text_csv, load_text_folder
from latentlab.core.files.safe_io import printable

SUPPORTED = (
    "a built-in name ({names}), a folder of IDX files (train-/t10k-images-idx3-ubyte[.gz]), "
    "a folder of images (class subfolders optional), a folder of .txt files, "
    "a .npz or .npy file, or a .csv of pixels or text"
)

_LOADERS: tuple[Callable[..., Dataset], ...] = (
    load_idx_folder, load_image_folder, load_text_folder, load_numpy, load_pixel_csv,
    load_text_csv,
)


#: The type each loader option takes; options come from files too (labs, checkpoints), so a
#: wrong type is a message naming the option, never a TypeError deep inside a loader.
OPTION_TYPES: dict[str, tuple[type, ...]] = {
    "name": (str,), "test_fraction": (float, int), "seed": (int,), "size": (int,),
    "mode": (str,), "workers": (int,), "images_key": (str,), "labels_key": (str,),
    "max_words": (int,), "stem": (bool,), "text_column": (str,), "label_column": (str,),
    "pairs": (bool,),
}


def check_option_types(options: dict[str, Any]) -> None:
    """DatasetError naming the first option whose value has the wrong type."""
    for key, value in options.items():
        kinds = OPTION_TYPES.get(key)
        if kinds is None or value is None:
            continue
        is_bool = isinstance(value, bool)
        if not isinstance(value, kinds) or (is_bool and bool not in kinds):
            names = " or ".join({str: "text", int: "a whole number", float: "a number",
                                 bool: "true or false"}[k] for k in kinds)
            raise DatasetError(f"dataset option {key!r} must be {names}, not "
                               f"{printable(repr(value), 60)}.")


def _supported() -> str:
    return SUPPORTED.format(names=", ".join(sorted(BUILTIN_DATASETS)))


def _accepted(loader: Callable[..., Dataset]) -> set[str]:
    parameters = inspect.signature(loader).parameters.values()
    return {p.name for p in parameters if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}


def _only_accepted(loader: Callable[..., Dataset], options: dict[str, Any]) -> dict[str, Any]:
    parameters = inspect.signature(loader).parameters.values()
    if any(p.kind == p.VAR_KEYWORD for p in parameters):
        return options
    accepted = _accepted(loader)
    return {k: v for k, v in options.items() if k in accepted}


def _call(loader: Callable[..., Dataset], path: Path, options: dict[str, Any]) -> Dataset:
    return loader(path, **_only_accepted(loader, options))


def _contains(folder: Path, suffixes: frozenset[str]) -> bool:
    """Whether any visible file under ``folder`` has one of ``suffixes`` (stops at the first).

    Walks with a stack, not recursion, and never into linked folders: a folder nested
    thousands deep or a link loop costs a walk, never a RecursionError.
    """
    pending = [folder]
    while pending:
        try:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(Path(entry.path))
                    elif os.path.splitext(entry.name)[1].lower() in suffixes:
                        return True
        except OSError:  # an unreadable subfolder: the loader lists it as skipped
            continue
    return False


def folder_kind(path: str | Path) -> str | None:
    """What ``load_source`` would read from the folder: "idx", "images", "text", or None.

    Lets a caller ask for loader options first (say, the image size) without loading anything.
    """
    path = Path(path)
    if has_idx_files(path):
        return "idx"
    if _contains(path, IMAGE_SUFFIXES):
        return "images"
    if _contains(path, TEXT_SUFFIXES):
        return "text"
    return None


_FOLDER_LOADERS: dict[str, Callable[..., Dataset]] = {
    "idx": load_idx_folder, "images": load_image_folder, "text": load_text_folder,
}


def _load_folder(path: Path, options: dict[str, Any]) -> Dataset:
    kind = folder_kind(path)
    if kind is None:
        raise DatasetError(f"{path}: the folder holds nothing loadable; supported: {_supported()}.")
    return _call(_FOLDER_LOADERS[kind], path, options)


def _load_file(path: Path, options: dict[str, Any]) -> Dataset:
    suffix = path.suffix.lower()
    if suffix in (".npz", ".npy"):
        return _call(load_numpy, path, options)
    if suffix in (".csv", ".tsv"):
        info = sniff_csv(path)
        loader = load_text_csv if info.kind == "text" else load_pixel_csv
        return _call(loader, path, {**options, "info": info})
    if "idx" in path.name.lower() and has_idx_files(path.parent):
        return _call(load_idx_folder, path.parent, options)
    raise DatasetError(f"{path.name}: unsupported file type; supported: {_supported()}.")


def load_source(path_or_name: str | Path, **options: Any) -> Dataset:
    """Load any supported source as a Dataset; DatasetError names the path and the reason.

    Options (each used by the loaders that take it): name, test_fraction, seed, progress,
    cancel; size, mode, workers (images); images_key, labels_key (NumPy); max_words, stem,
    text_column, label_column (text); pairs (A → B pairs: ``pairs.load_pairs``).
    """
    known = (set().union(*map(_accepted, _LOADERS)) - {"info", "folder", "path"}) | {"pairs"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"load_source got unknown options: {', '.join(unknown)}.")
    check_option_types(options)
    text = str(path_or_name)
    pairs = bool(options.pop("pairs", False))
    if isinstance(path_or_name, str) and text in BUILTIN_DATASETS:
        if pairs:
            raise DatasetError(f"{text}: a built-in dataset holds no A → B pairs; pairs are "
                               f"read from a folder with A/ and B/ or a .npz with A and B.")
        return load_builtin(text)
    path = Path(text).expanduser()
    if pairs and path.exists():
        return load_pairs(path, options)
    if path.is_dir():
        return _load_folder(path, options)
    if path.exists():  # devices and FIFOs too: the loaders refuse them by what they are
        return _load_file(path, options)
    raise DatasetError(f"{text}: no such file or folder, nor a dataset name; supported: "
                       f"{_supported()}.")


def not_a_dataset(path: str | Path) -> str | None:
    """Why ``load_source`` would not even try the file or folder ``path``, or None when it
    would (it may still find the contents wrong): cheap, for refusing before a window opens."""
    path = Path(path).expanduser()
    if not path.exists():
        return "no such file or folder"
    if path.is_dir():
        return None if folder_kind(path) else "the folder holds no IDX, image or .txt files"
    if path.suffix.lower() in (".npz", ".npy", ".csv", ".tsv"):
        return None
    if "idx" in path.name.lower() and has_idx_files(path.parent):
        return None
    return "unsupported file type"
