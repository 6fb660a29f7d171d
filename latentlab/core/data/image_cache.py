"""Image folders decoded once: their pixels kept as a memory-mapped file in the user cache.

An entry is a folder ``<cache>/images/<key>/`` holding ``pixels`` (N×C×H×W uint8, C-order)
and ``meta.json`` (the shape, the files that could not be decoded with the reason, and a CRC-32
of the pixels). The key hashes the folder's path, the loader's size and colour mode, and every
image file's relative name, size and modification time: a changed, added or removed file
gives another key, so the folder is decoded again. Reopening reads ``meta.json``, checks the
pixels' size and CRC (reading the file once, which leaves nothing in this process's memory)
and maps the pixels read-only. An entry that fails any check is removed and decoded again.

An entry is written into a temporary folder beside the others and renamed into place when it
is complete: a cancelled or failed decode leaves nothing behind. The cache is bounded: after
each new entry, the least recently opened ones are removed while the total exceeds
``CACHE_LIMIT_BYTES`` (the newest entry is always kept). ``$LATENTLAB_IMAGE_CACHE`` names
another folder for it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentlab.core.files.safe_io import read_limited

CACHE_ENV = "LATENTLAB_IMAGE_CACHE"
#: The cache's bound: least recently opened entries go first once the total is over it.
CACHE_LIMIT_BYTES = 8 << 30
_FORMAT = 1
_PIXELS, _META = "pixels", "meta.json"
_META_LIMIT = 64 << 20
_READ_CHUNK = 16 << 20
#: A temporary entry untouched this long belongs to a process that is gone.
_STALE_TEMP_S = 24 * 3600


def cache_root() -> Path:
    """``$LATENTLAB_IMAGE_CACHE``, else ``images/`` in the user cache folder."""
    override = os.environ.get(CACHE_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    from latentlab.core.files.userdirs import user_cache_folder  # platformdirs, when needed

    return user_cache_folder().path / "images"


def folder_key(root: Path, files: Sequence[Path], size: int, mode: str) -> str:
    """The cache key of ``files`` under ``root`` decoded at ``size`` in ``mode``."""
    digest = hashlib.sha256(json.dumps(
        {"format": _FORMAT, "root": os.path.realpath(root), "size": size, "mode": mode}
    ).encode())
    for path in files:
        try:
            info = os.stat(path)
            stamp = f"{info.st_size}:{info.st_mtime_ns}"
        except OSError:
            stamp = "unreadable"  # decoding will skip it; a later fix changes the key
        digest.update(f"{path.relative_to(root).as_posix()}\0{stamp}\n".encode())
    return digest.hexdigest()[:40]


@dataclass(frozen=True)
class CachedImages:
    """An entry's pixels (a read-only memory map) and the files that could not be decoded
    (index among the folder's files → reason)."""

    pixels: np.ndarray
    errors: dict[int, str]


def _crc32(path: Path) -> int:
    crc = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_READ_CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


def open_entry(entry: Path, n_files: int, verify: bool = True) -> CachedImages | None:
    """The entry at ``entry`` for a folder of ``n_files`` image files, or None when it is
    missing; a damaged or inconsistent entry is removed (and None returned). ``verify``: check
    the pixels' CRC (not for an entry this process has just written and checksummed)."""
    if not entry.is_dir():
        return None
    try:
        meta = json.loads(read_limited(entry / _META, _META_LIMIT, "cache records"))
        shape = tuple(int(d) for d in meta["shape"])
        errors = {int(i): str(reason) for i, reason in meta["errors"]}
        pixels_path = entry / _PIXELS
        valid = (meta["format"] == _FORMAT and len(shape) == 4 and min(shape) > 0
                 and shape[0] + len(errors) == n_files
                 and all(0 <= i < n_files for i in errors)
                 and pixels_path.stat().st_size == int(np.prod(shape))
                 and (not verify or _crc32(pixels_path) == int(meta["crc32"])))
        if valid:
            pixels = np.memmap(pixels_path, dtype=np.uint8, mode="r", shape=shape)
            with contextlib.suppress(OSError):  # the least recently opened go first
                os.utime(entry / _META)
            return CachedImages(pixels, errors)
    except (OSError, ValueError, KeyError, TypeError):
        pass  # unreadable, truncated or not ours: decoded again
    shutil.rmtree(entry, ignore_errors=True)
    return None


class EntryWriter:
    """A new entry, written in a temporary folder and renamed into place by :meth:`commit`."""

    def __init__(self, root: Path, key: str) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root, self.key = root, key
        self.folder = Path(tempfile.mkdtemp(prefix=f".{key}-", suffix=".tmp", dir=root))

    def buffer(self, shape: tuple[int, ...]) -> np.ndarray:
        """A zeroed uint8 scratch array of ``shape`` on disk (decoding writes into it)."""
        return np.memmap(self.folder / "decoding", dtype=np.uint8, mode="w+", shape=shape)

    def commit(self, chunks: Iterator[np.ndarray], shape: tuple[int, ...],
               errors: dict[int, str]) -> Path:
        """Write the pixels (N×C×H×W uint8, in chunks of rows) and the record, then move the
        entry into place; the final entry's folder."""
        crc = 0
        with open(self.folder / _PIXELS, "wb") as handle:
            for chunk in chunks:
                data = np.ascontiguousarray(chunk, dtype=np.uint8)
                crc = zlib.crc32(memoryview(data).cast("B"), crc)
                handle.write(memoryview(data).cast("B"))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileNotFoundError):
            (self.folder / "decoding").unlink()
        meta = {"format": _FORMAT, "shape": list(shape), "crc32": crc,
                "errors": sorted([i, reason] for i, reason in errors.items())}
        (self.folder / _META).write_text(json.dumps(meta))
        final = self.root / self.key
        shutil.rmtree(final, ignore_errors=True)  # a stale entry that failed its checks
        try:
            os.rename(self.folder, final)
        except OSError:
            if not final.is_dir():  # not another process's entry of the same folder
                raise
        return final

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _entry_bytes(entry: Path) -> int:
    return sum(p.stat().st_size for p in entry.iterdir() if p.is_file())


def evict(root: Path, keep: Path, limit: int = CACHE_LIMIT_BYTES) -> list[Path]:
    """Remove the least recently opened entries of ``root`` (never ``keep``) while the
    entries take more than ``limit`` bytes; the entries removed."""
    entries = []
    for entry in root.iterdir() if root.is_dir() else ():
        if entry.name.startswith(".") or not entry.is_dir():
            with contextlib.suppress(OSError):  # left by a process that was killed
                if time.time() - entry.stat().st_mtime > _STALE_TEMP_S:
                    shutil.rmtree(entry, ignore_errors=True)
            continue  # another process's entry in the making
        with contextlib.suppress(OSError):
            entries.append(((entry / _META).stat().st_mtime, entry, _entry_bytes(entry)))
    total = sum(size for _, _, size in entries)
    removed = []
    for _, entry, size in sorted(entries, key=lambda e: e[0]):
        if total <= limit:
            break
        if entry == keep:
            continue
        shutil.rmtree(entry, ignore_errors=True)
        total -= size
        removed.append(entry)
    return removed
