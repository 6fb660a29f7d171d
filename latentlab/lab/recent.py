"""Recent files and last folders: what the File menu offers to open again, and where each file
dialog starts. Kept between sessions (``core.files.recent``); the only writer of that file.

It notes what the lab's files say the user opened or saved (labs, checkpoints) and every
dataset loaded from a file or folder. A recent file that has gone is dropped when chosen, with
a message naming it.
"""

from __future__ import annotations

from pathlib import Path

from psygnal import Signal

from latentlab.core.files.recent import RecentFile, RecentStore
from latentlab.core.files.safe_io import printable
from latentlab.lab.data_session import DataSession, LoadOutcome
from latentlab.lab.files import LabFiles
from latentlab.lab.notifications import Notifications

#: The kinds of file dialog whose last folder is remembered.
FOLDER_KINDS = ("labs", "models", "datasets")


class RecentFiles:
    changed = Signal()  # the list of recent files changed

    def __init__(self, files: LabFiles, data: DataSession, notes: Notifications,
                 store: RecentStore | None = None) -> None:
        self._store = store or RecentStore()
        self._notes = notes
        self._warned = False
        files.used.connect(self.add)
        data.load_ended.connect(self._on_load_ended)

    @property
    def files(self) -> list[RecentFile]:
        return self._store.files()

    def add(self, kind: str, path: Path) -> None:
        self._said(self._store.add(kind, path))
        self.changed.emit()

    def clear(self) -> None:
        self._said(self._store.clear())
        self.changed.emit()

    def check(self, recent: RecentFile) -> bool:
        """Whether ``recent`` is still there; if not, it is dropped and the user told."""
        if recent.path.exists():
            return True
        self._said(self._store.remove(recent.path))
        self._notes.say(f"{printable(str(recent.path))} is not there any more; removed from "
                        "the recent files.")
        self.changed.emit()
        return False

    def folder(self, kind: str) -> str:
        """Where a file dialog of ``kind`` starts: the last folder chosen in one, else home."""
        return self._store.folder(kind) or str(Path.home())

    def latest_folder(self, *kinds: str) -> str:
        """Where a dialog for several kinds starts: the folder of the newest recent file of
        one of them, else the first kind's."""
        for recent in self.files:
            if f"{recent.kind}s" in kinds and recent.path.parent.is_dir():
                return str(recent.path.parent)
        return self.folder(kinds[0])

    def remember_folder(self, kind: str, chosen: str | Path) -> None:
        """A file or folder of ``kind`` was chosen: its dialog starts there next time."""
        self._said(self._store.set_folder(kind, Path(chosen).parent))  # where it was chosen

    def _on_load_ended(self, outcome: LoadOutcome) -> None:
        if outcome.dataset is not None and not outcome.source.is_catalogue:
            self.add("dataset", Path(outcome.source.location))

    def _said(self, problem: str) -> None:
        # Once a session: a read-only config folder should not repeat itself at every open.
        if problem and not self._warned:
            self._warned = True
            self._notes.say(f"Recent files are not remembered: {printable(problem)}.")
