"""Autosaved models: which files of the models folder the app wrote by itself, listed and bounded.

Every training run is autosaved into the user data folder's ``models``. An index beside them
(``autosaves.json``) names the files the app wrote, when, and whether the run diverged; pruning
deletes only files it names, oldest first, past ``KEEP`` of them or ``MAX_BYTES`` in all (the
newest is always kept). A model the user saved by hand — even into that folder, even over an
autosave's name — is not in the index, so it is never deleted.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from latentlab.core.files.json_state import read_state, write_state

INDEX_NAME = "autosaves.json"
SUFFIX = ".safetensors"  # as checkpoints have (not imported: that would load torch)
#: How many autosaves are kept, and how many bytes they may take together.
KEEP = 50
MAX_BYTES = 2 << 30


@dataclass(frozen=True)
class Autosave:
    path: Path
    saved: float  # seconds since the epoch
    diverged: bool = False  # the loss became NaN: the weights are those from before it did
    size: int = 0


def _entries(folder: Path) -> list[dict]:
    raw = read_state(folder / INDEX_NAME).get("autosaves", [])
    # Only plain names in this folder: an index edited to point elsewhere deletes nothing there.
    return [e for e in raw if isinstance(e, dict) and isinstance(e.get("name"), str)
            and e["name"] and os.path.basename(e["name"]) == e["name"]
            and e["name"] not in (".", "..")] if isinstance(raw, list) else []


def _write(folder: Path, entries: list[dict]) -> str:
    return write_state(folder / INDEX_NAME, {"autosaves": entries})


def autosaves(folder: Path) -> list[Autosave]:
    """The autosaves still on disk, newest first."""
    found = []
    for entry in _entries(folder):
        path = folder / entry["name"]
        try:
            stat = path.stat()
        except OSError:
            continue
        saved = entry.get("saved")
        found.append(Autosave(path, saved if isinstance(saved, int | float) else stat.st_mtime,
                              entry.get("diverged") is True, stat.st_size))
    return sorted(found, key=lambda a: a.saved, reverse=True)


def new_path(folder: Path, name: str, diverged: bool = False) -> Path:
    """A path for a new autosave named ``name``, the time and, for a diverged run, "-diverged";
    never an existing file's (two runs within a second)."""
    stem = f"{name}-{time.strftime('%Y%m%d-%H%M%S')}{'-diverged' if diverged else ''}"
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)
    path, n = folder / f"{stem}{SUFFIX}", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}{SUFFIX}"
    return path


def record(path: Path, diverged: bool = False) -> str:
    """Note ``path`` (in its folder's index) as autosaved; empty, or why the index was not
    written (the model itself is saved either way)."""
    folder = path.parent
    entries = [e for e in _entries(folder) if e["name"] != path.name]
    entries.append({"name": path.name, "saved": time.time(), "diverged": diverged})
    return _write(folder, entries)


def forget(path: Path) -> None:
    """``path`` is the user's now (saved by hand over an autosave): never prune it."""
    entries = _entries(path.parent)
    kept = [e for e in entries if e["name"] != path.name]
    if len(kept) != len(entries):
        _write(path.parent, kept)


def prune(folder: Path, keep: int = KEEP, max_bytes: int = MAX_BYTES) -> list[Path]:
    """Delete the oldest autosaves past ``keep`` or ``max_bytes``; the paths deleted."""
    kept, deleted, total = [], [], 0
    for autosave in autosaves(folder):  # newest first
        if kept and (len(kept) >= keep or total + autosave.size > max_bytes):
            try:
                autosave.path.unlink()
                deleted.append(autosave.path)
                continue
            except OSError:  # in use or read-only: tried again after the next run
                pass
        kept.append(autosave)
        total += autosave.size
    if deleted:
        names = {a.path.name for a in kept}
        _write(folder, [e for e in _entries(folder) if e["name"] in names])
    return deleted
