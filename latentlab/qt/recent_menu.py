"""File → Open Recent (labs, checkpoints, datasets) and File → Recent models… (the autosaves).

The menu is rebuilt from the lab's recent files each time it is about to show, so it lists
what another window saved too. A chosen file opens as File → Open would open it; one that has
gone is dropped from the list, with a message naming it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMenu, QWidget

from latentlab.core.files.recent import RecentFile
from latentlab.core.files.safe_io import printable
from latentlab.core.files.userdirs import user_data_folder
from latentlab.lab.recent import RecentFiles
from latentlab.qt.actions import make_action
from latentlab.qt.data_actions import DataActions
from latentlab.qt.file_actions import FileActions
from latentlab.qt.widgets.recent_models_dialog import RecentModelsDialog


def entry_text(index: int, recent: RecentFile) -> str:
    """"&1  lesson.latentlab — lab, in lessons": a shortcut digit, the name, where it lies."""
    key = f"&{index}  " if index < 10 else f"{index}  "
    where = recent.path.parent.name or str(recent.path.parent)
    name = printable(recent.path.name, 60).replace("&", "&&")
    return f"{key}{name} — {recent.kind}, in {printable(where, 40).replace('&', '&&')}"


class RecentMenu(QObject):
    def __init__(self, recent: RecentFiles, files: FileActions, data: DataActions,
                 window: QWidget) -> None:
        super().__init__(window)
        self.recent, self.files, self.data, self.window = recent, files, data, window
        self.menu = QMenu("Open &Recent", window)
        self.menu.setObjectName("recentMenu")
        self.menu.aboutToShow.connect(self.rebuild)
        self.models_action = make_action(
            window, "Recent models…", "", self.show_models,
            "Every training run's model, saved automatically: the last ones are kept")
        self.dialog: RecentModelsDialog | None = None
        recent.changed.connect(self.rebuild)
        files.lab.engine.changed.connect(self._on_engine)
        self._on_engine()
        self.rebuild()

    def _on_engine(self) -> None:
        self.models_action.setEnabled(self.files.lab.engine.ready)  # they open with torch

    def rebuild(self) -> None:
        self.menu.clear()
        files = self.recent.files
        for index, recent in enumerate(files, start=1):
            action = self.menu.addAction(entry_text(index, recent))
            action.setStatusTip(printable(str(recent.path)))
            action.setToolTip(printable(str(recent.path)))
            action.triggered.connect(lambda _=False, r=recent: self.open(r))
            # Models and labs are built with torch: they wait until it has loaded.
            action.setEnabled(recent.kind == "dataset" or self.files.lab.engine.ready)
        if not files:
            self.menu.addAction("No recent files").setEnabled(False)
        self.menu.addSeparator()
        clear = self.menu.addAction("Clear recent files")
        clear.setEnabled(bool(files))
        clear.triggered.connect(lambda _=False: self.recent.clear())

    def open(self, recent: RecentFile) -> None:
        """Open ``recent`` as File → Open would; a file that has gone is dropped (said why)."""
        if not self.recent.check(recent):
            return
        if recent.kind == "dataset":
            self.data.load_path(recent.path)
        else:
            self.files.open_path(recent.path)

    def show_models(self) -> RecentModelsDialog:
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = RecentModelsDialog(user_data_folder("models"), self._open_model,
                                         self.window)
        self.dialog.open()
        return self.dialog

    def _open_model(self, path: Path) -> None:
        if path.exists():
            self.files.open_path(path)
        else:
            self.recent.check(RecentFile("model", path))  # says it is gone
