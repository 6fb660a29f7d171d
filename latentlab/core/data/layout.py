"""Which files of a folder are items, and their classes and split, by the folder layout.

- ``root/<class>/**/file`` gives labelled items, class names the subfolder names (sorted with
  numbers in numeric order, so "2" comes before "10");
- ``root/train/…`` and ``root/test/…`` (each flat or with class subfolders) keep that split;
- a flat ``root/file`` set is unlabelled.

Hidden files and folders (a leading dot, as macOS's ``._x.png`` companions) are never items.
Symbolic links are followed only while they stay inside the folder the user named, and no
folder is walked twice, so a link back into a folder that holds it cannot loop. What is passed
over is listed in ``skipped`` as (path, reason): files beside the layout (beside class folders,
outside train/ and test/), links that lead outside the folder, loop or lead nowhere, folders
that cannot be listed, and devices, FIFOs and sockets named like items.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentlab.core.data.dataset import DatasetError
from latentlab.core.files.safe_io import RefusedFile, check_regular, printable


@dataclass(frozen=True)
class FolderLayout:
    root: Path
    files: tuple[Path, ...]
    labels: np.ndarray | None
    class_names: tuple[str, ...]
    is_test: np.ndarray | None
    #: (path, reason) for what was passed over, sorted by path.
    skipped: tuple[tuple[Path, str], ...]


@dataclass(frozen=True)
class _Item:
    path: Path
    real: str | None  # a folder's real path (links resolved); None for a file
    via_link: bool


NOT_IN_CLASS = "not in a class folder"
OUTSIDE_SPLIT = "outside train/ and test/"


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(part)) if part.isdigit() else (1, part.lower())
                 for part in re.split(r"(\d+)", text) if part)


def _visible(name: str) -> bool:
    return not name.startswith(".") and name != "__MACOSX"


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    """The visible entries of ``folder``, sorted; OSError when it cannot be listed."""
    with os.scandir(folder) as it:
        return sorted((e for e in it if _visible(e.name)), key=lambda e: natural_key(e.name))


class _Walk:
    """One scan of a folder: the real folders walked so far and what was passed over."""

    def __init__(self, root: Path, suffixes: frozenset[str]) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self._inside = os.path.join(self.real_root, "")
        self.suffixes = suffixes
        self.seen: set[str] = set()
        self.skipped: list[tuple[Path, str]] = []

    def _is_inside(self, real: str) -> bool:
        return real == self.real_root or real.startswith(self._inside)

    def _link(self, entry: os.DirEntry[str], matches: bool) -> _Item | None:
        """A link's target as an item, or None when it is passed over (listed with why)."""
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()  # follows the link
            real = os.path.realpath(entry.path)
            if not is_dir:
                check_regular(entry.path)
        except RefusedFile as exc:
            if matches:
                self.skipped.append((path, f"a link to a file that {exc.strerror}"))
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                reason = "a link that loops"
            elif exc.errno in (errno.ENOENT, errno.ENOTDIR):
                reason = "a link to nothing (its target is missing)"
            else:
                reason = f"a link that cannot be followed ({exc.strerror or exc})"
            self.skipped.append((path, reason))
            return None
        if is_dir:
            if not self._is_inside(real):
                self.skipped.append((path, "a link to a folder outside the folder"))
                return None
            return _Item(path, real, True)
        if not matches:
            return None
        if not self._is_inside(real):
            self.skipped.append((path, "a link to a file outside the folder"))
            return None
        return _Item(path, None, True)

    def listing(self, folder: _Item) -> list[_Item]:
        """The subfolders and matching regular files of ``folder``, in name order."""
        assert folder.real is not None
        try:
            entries = _entries(folder.path)
        except OSError as exc:
            if folder.path == self.root:
                raise DatasetError(f"{printable(str(folder.path))}: cannot be listed "
                                   f"({exc.strerror or exc}).") from None
            self.skipped.append((folder.path, f"cannot be listed ({exc.strerror or exc})"))
            return []
        items = []
        for entry in entries:
            matches = os.path.splitext(entry.name)[1].lower() in self.suffixes
            if entry.is_symlink():
                item = self._link(entry, matches)
                if item is not None:
                    items.append(item)
            elif entry.is_dir(follow_symlinks=False):
                items.append(_Item(Path(entry.path), os.path.join(folder.real, entry.name),
                                   False))
            elif matches and entry.is_file(follow_symlinks=False):  # no stat: the listing says
                items.append(_Item(Path(entry.path), None, False))
            elif matches:
                try:
                    check_regular(entry.path)  # says what it is instead
                except OSError as exc:
                    self.skipped.append((Path(entry.path), exc.strerror or str(exc)))
                else:
                    items.append(_Item(Path(entry.path), None, False))
        return items

    def enter(self, folder: _Item, holder: str) -> bool:
        """Whether to walk ``folder`` (in the folder whose real path is ``holder``): not
        when it was walked already, which also stops every loop."""
        assert folder.real is not None
        if folder.real not in self.seen:
            self.seen.add(folder.real)
            return True
        if os.path.join(holder, "").startswith(os.path.join(folder.real, "")):
            reason = "a link back to a folder that holds it (it would loop)"
        elif folder.via_link:
            reason = "a link to a folder read already"
        else:
            reason = "a folder read already through a link"
        self.skipped.append((folder.path, reason))
        return False

    def files_under(self, folder: _Item, holder: str) -> list[Path]:
        """Matching files anywhere under ``folder``, in a stable order (depth first)."""
        if not self.enter(folder, holder):
            return []
        found: list[Path] = []
        stack: list[tuple[str, Iterator[_Item]]] = [(folder.real or "", iter(self.listing(folder)))]
        while stack:  # no recursion: any depth of folders is walked
            real, items = stack[-1]
            item = next(items, None)
            if item is None:
                stack.pop()
            elif item.real is None:
                found.append(item.path)
            elif self.enter(item, real):
                stack.append((item.real, iter(self.listing(item))))
        return found

    def part(self, folder: _Item, holder: str) -> tuple[dict[str, list[Path]], list[Path]]:
        """Class subfolder → its files (subfolders with none left out), and the loose files."""
        classes: dict[str, list[Path]] = {}
        loose: list[Path] = []
        if not self.enter(folder, holder):
            return classes, loose
        assert folder.real is not None
        for item in self.listing(folder):
            if item.real is None:
                loose.append(item.path)
            elif files := self.files_under(item, folder.real):
                classes[item.path.name] = files
        return classes, loose


def _flatten(groups: Iterable[list[Path]]) -> list[Path]:
    return [path for group in groups for path in group]


def _layout(walk: _Walk, files: list[Path], labels: np.ndarray | None,
            class_names: tuple[str, ...], is_test: np.ndarray | None,
            passed: list[tuple[Path, str]]) -> FolderLayout:
    skipped = sorted(passed + walk.skipped,
                     key=lambda s: natural_key(s[0].relative_to(walk.root).as_posix()))
    return FolderLayout(walk.root, tuple(files), labels, class_names, is_test, tuple(skipped))


def scan_folder(root: str | Path, suffixes: frozenset[str], what: str) -> FolderLayout:
    """The items of ``root`` by its layout; DatasetError when it holds none.

    ``suffixes`` are lower-case with the dot (".png"); ``what`` names them in messages.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{printable(str(root))}: not a folder.")
    walk = _Walk(root, suffixes)
    top = _Item(root, walk.real_root, False)
    walk.seen.add(walk.real_root)
    items = walk.listing(top)
    loose = [item.path for item in items if item.real is None]
    folders = [item for item in items if item.real is not None]
    # By folder, not by content: an empty test/ still marks the split layout.
    by_lower = {item.path.name.lower(): item for item in folders}
    if "train" in by_lower and "test" in by_lower:
        train, test = by_lower["train"], by_lower["test"]
        parts = [walk.part(train, walk.real_root), walk.part(test, walk.real_root)]
        others = _flatten(walk.files_under(item, walk.real_root) for item in folders
                          if item not in (train, test))
        outside = [(p, OUTSIDE_SPLIT) for p in loose + others]
        if any(part_classes for part_classes, _ in parts):
            names = sorted({c for part_classes, _ in parts for c in part_classes}, key=natural_key)
            index = {c: i for i, c in enumerate(names)}
            files, labels, is_test = [], [], []
            for test_flag, (part_classes, _) in enumerate(parts):
                for c, paths in part_classes.items():
                    files += paths
                    labels += [index[c]] * len(paths)
                    is_test += [bool(test_flag)] * len(paths)
            outside += [(p, NOT_IN_CLASS) for p in parts[0][1] + parts[1][1]]
            return _layout(walk, files, np.array(labels, np.int64), tuple(names),
                           np.array(is_test, bool), outside)
        files = parts[0][1] + parts[1][1]
        is_test = np.repeat([False, True], [len(parts[0][1]), len(parts[1][1])])
        return _layout(walk, files, None, (), is_test, outside)
    classes = {}
    for item in folders:
        if files := walk.files_under(item, walk.real_root):
            classes[item.path.name] = files
    if classes:
        names = list(classes)
        labels = np.repeat(np.arange(len(names)), [len(classes[c]) for c in names])
        return _layout(walk, _flatten(classes.values()), labels.astype(np.int64),
                       tuple(names), None, [(p, NOT_IN_CLASS) for p in loose])
    if not loose:
        kinds = ", ".join(sorted(suffixes))
        passed = ""
        if walk.skipped:
            path, reason = _layout(walk, [], None, (), None, []).skipped[0]
            passed = (f"; {len(walk.skipped):,} passed over, e.g. "
                      f"{printable(path.relative_to(root).as_posix())}: {reason}")
        raise DatasetError(f"{printable(str(root))}: the folder holds no {what} files "
                           f"({kinds}){passed}.")
    return _layout(walk, loose, None, (), None, [])
