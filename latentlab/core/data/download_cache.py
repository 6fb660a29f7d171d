"""The download cache: which files are present and match their published MD5.

A file is hashed once; a small marker (``.verified.json``) remembers its size and time, so a
cached dataset opens later without reading it whole again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from latentlab.core.data.download import RemoteFile

#: Remembers, per verified file, its MD5 with the size and time it was hashed at.
MARKER_NAME = ".verified.json"
PART_SUFFIX = ".part"



def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _read_marker(folder: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record_verified(folder: Path, path: Path, md5: str) -> None:
    """Note in the marker that ``path`` (as it is now) has ``md5``; best effort only."""
    marker = _read_marker(folder)
    stat = path.stat()
    marker[path.name] = {"md5": md5, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    tmp = folder / (MARKER_NAME + PART_SUFFIX)
    try:
        tmp.write_text(json.dumps(marker, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, folder / MARKER_NAME)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only cache only costs a re-hash next time


def is_verified(folder: Path, file: RemoteFile, *, record: bool = True) -> bool:
    """Whether ``folder`` holds ``file`` with its published MD5 (hashed once, then remembered)."""
    path = folder / file.filename
    try:
        stat = path.stat()
    except OSError:
        return False
    seen = _read_marker(folder).get(file.filename)
    if seen == {"md5": file.md5, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}:
        return True
    try:
        ok = md5_of(path) == file.md5
    except OSError:
        return False
    if ok and record:
        record_verified(folder, path, file.md5)
    return ok


def all_verified(files: Sequence[RemoteFile], folder: Path) -> bool:
    return all(is_verified(folder, file) for file in files)
