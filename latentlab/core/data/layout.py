"""Which files of a folder are items, and their classes and split, by the folder layout.

- ``root/<class>/**/file`` gives labelled items, class names the subfolder names (sorted with
  numbers in numeric order, so "2" comes before "10");
- ``root/train/…`` and ``root/test/…`` (each flat or with class subfolders) keep that split;
- a flat ``root/file`` set is unlabelled.

Hidden files and folders (a leading dot, as macOS's ``._x.png`` companions) are never items.
Files that match but lie outside the layout (beside class folders) are listed in ``outside``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentlab.core.data.dataset import DatasetError


@dataclass(frozen=True)
class FolderLayout:
    root: Path
    files: tuple[Path, ...]
    labels: np.ndarray | None
    class_names: tuple[str, ...]
    is_test: np.ndarray | None
    outside: tuple[Path, ...]


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(part)) if part.isdigit() else (1, part.lower())
                 for part in re.split(r"(\d+)", text) if part)


def _visible(name: str) -> bool:
    return not name.startswith(".") and name != "__MACOSX"


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            return sorted((e for e in it if _visible(e.name)), key=lambda e: natural_key(e.name))
    except OSError as exc:
        raise DatasetError(f"{folder}: cannot be listed ({exc.strerror or exc}).") from None


def _matches(entry: os.DirEntry[str], suffixes: frozenset[str]) -> bool:
    return os.path.splitext(entry.name)[1].lower() in suffixes and entry.is_file()


def files_under(folder: Path, suffixes: frozenset[str]) -> list[Path]:
    """Matching files anywhere under ``folder``, in a stable order."""
    found: list[Path] = []
    for entry in _entries(folder):
        if entry.is_dir():
            found.extend(files_under(Path(entry.path), suffixes))
        elif _matches(entry, suffixes):
            found.append(Path(entry.path))
    return found


def _part(folder: Path, suffixes: frozenset[str]) -> tuple[dict[str, list[Path]], list[Path]]:
    """Class subfolder → its files (subfolders with none left out), and the loose files."""
    classes: dict[str, list[Path]] = {}
    loose: list[Path] = []
    for entry in _entries(folder):
        if entry.is_dir():
            files = files_under(Path(entry.path), suffixes)
            if files:
                classes[entry.name] = files
        elif _matches(entry, suffixes):
            loose.append(Path(entry.path))
    return classes, loose


def _flatten(groups: Iterable[list[Path]]) -> list[Path]:
    return [path for group in groups for path in group]


def scan_folder(root: str | Path, suffixes: frozenset[str], what: str) -> FolderLayout:
    """The items of ``root`` by its layout; DatasetError when it holds none.

    ``suffixes`` are lower-case with the dot (".png"); ``what`` names them in messages.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder.")
    classes, loose = _part(root, suffixes)
    # By folder, not by content: an empty test/ still marks the split layout.
    by_lower = {e.name.lower(): e.name for e in _entries(root) if e.is_dir()}
    if "train" in by_lower and "test" in by_lower:
        train, test = by_lower["train"], by_lower["test"]
        parts = [_part(root / train, suffixes), _part(root / test, suffixes)]
        others = _flatten(files for name, files in classes.items() if name not in (train, test))
        if any(part_classes for part_classes, _ in parts):
            names = sorted({c for part_classes, _ in parts for c in part_classes}, key=natural_key)
            index = {c: i for i, c in enumerate(names)}
            files, labels, is_test = [], [], []
            for test_flag, (part_classes, _) in enumerate(parts):
                for c, paths in part_classes.items():
                    files += paths
                    labels += [index[c]] * len(paths)
                    is_test += [bool(test_flag)] * len(paths)
            outside = loose + parts[0][1] + parts[1][1] + others
            return FolderLayout(root, tuple(files), np.array(labels, np.int64), tuple(names),
                                np.array(is_test, bool), tuple(outside))
        files = parts[0][1] + parts[1][1]
        is_test = np.repeat([False, True], [len(parts[0][1]), len(parts[1][1])])
        return FolderLayout(root, tuple(files), None, (), is_test, tuple(loose + others))
    if classes:
        names = list(classes)
        labels = np.repeat(np.arange(len(names)), [len(classes[c]) for c in names])
        return FolderLayout(root, tuple(_flatten(classes.values())), labels.astype(np.int64),
                            tuple(names), None, tuple(loose))
    if not loose:
        kinds = ", ".join(sorted(suffixes))
        raise DatasetError(f"{root}: the folder holds no {what} files ({kinds}).")
    return FolderLayout(root, tuple(loose), None, (), None, ())
