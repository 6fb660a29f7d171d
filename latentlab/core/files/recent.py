"""Recent files (labs, checkpoints, datasets) and the last folder of each kind, kept between
sessions in ``recent.json`` in the user's config folder.

The file is read again on every question, so two windows (or two running apps) share it; the
last writer wins, and nothing in it is the user's work (a lost entry is only a shortcut).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from latentlab.core.files.json_state import read_state, write_state
from latentlab.core.files.userdirs import user_config_file

KINDS = ("lab", "model", "dataset")
#: How many recent files the menu lists.
MAX_RECENT = 10


@dataclass(frozen=True)
class RecentFile:
    kind: str  # one of KINDS
    path: Path


class RecentStore:
    """Reads and writes one recent-files file (the user's, unless ``path`` says otherwise)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or user_config_file("recent.json")

    def _state(self) -> dict:
        return read_state(self.path)

    def _save(self, state: dict) -> str:
        return write_state(self.path, state)

    def files(self) -> list[RecentFile]:
        """Newest first; entries that are not a kind and a path are skipped."""
        raw = self._state().get("files", [])
        found = [RecentFile(e["kind"], Path(e["path"])) for e in raw if isinstance(raw, list)
                 and isinstance(e, dict) and e.get("kind") in KINDS
                 and isinstance(e.get("path"), str) and e["path"] and "\0" not in e["path"]]
        return found[:MAX_RECENT]

    def _save_files(self, files: list[RecentFile]) -> str:
        state = self._state()
        state["files"] = [{"kind": f.kind, "path": str(f.path)} for f in files[:MAX_RECENT]]
        return self._save(state)

    def add(self, kind: str, path: str | Path) -> str:
        """Put ``path`` first; empty, or why it could not be remembered."""
        path = Path(os.path.abspath(Path(path).expanduser()))
        rest = [f for f in self.files() if f.path != path]
        return self._save_files([RecentFile(kind, path), *rest])

    def remove(self, path: Path) -> str:
        return self._save_files([f for f in self.files() if f.path != path])

    def clear(self) -> str:
        return self._save_files([])

    def folder(self, kind: str) -> str | None:
        """The last folder a file of ``kind`` was chosen in, if it is still there."""
        folders = self._state().get("folders")
        folder = folders.get(kind) if isinstance(folders, dict) else None
        return folder if isinstance(folder, str) and os.path.isdir(folder) else None

    def set_folder(self, kind: str, folder: str | Path) -> str:
        state = self._state()
        folders = state.get("folders") if isinstance(state.get("folders"), dict) else {}
        state["folders"] = {**folders, kind: os.path.abspath(folder)}
        return self._save(state)
