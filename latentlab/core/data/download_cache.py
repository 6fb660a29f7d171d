"""The download cache: which files are present and match their published MD5.

A file is hashed once; a small marker (``.verified.json``) remembers its size and time, so a
cached dataset opens later without reading it whole again. The marker is read with a small bound,
and a marker that is missing, oversized or not one of ours only means hashing again; only regular
files are hashed (a FIFO or a device in the cache is never read).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from latentlab.core.files.safe_io import open_regular, read_limited

if TYPE_CHECKING:
    from latentlab.core.data.download import RemoteFile

#: Remembers, per verified file, its MD5 with the size and time it was hashed at.
MARKER_NAME = ".verified.json"
PART_SUFFIX = ".part"
#: A marker holds a line per file of a dataset; anything larger is not one of ours.
MARKER_LIMIT = 64 * 1024


def md5_digest(path: Path) -> hashlib._Hash:
    """A running MD5 of ``path``'s bytes; RefusedFile (an OSError) unless a regular file."""
    digest = hashlib.md5(usedforsecurity=False)
    with open_regular(path) as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest


def md5_of(path: Path) -> str:
    return md5_digest(path).hexdigest()


def _read_marker(folder: Path) -> dict[str, dict[str, object]]:
    """The marker's entries; a missing, oversized or unreadable marker only costs a re-hash."""
    try:
        data = json.loads(read_limited(folder / MARKER_NAME, MARKER_LIMIT, "download markers"))
    except (OSError, ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return {}
    if not isinstance(data, dict):
        return {}
    return {name: seen for name, seen in data.items() if isinstance(seen, dict)}


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
