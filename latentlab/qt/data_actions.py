"""The File menu's dataset actions: open a file or folder, the catalogue, and the questions a load
may need answered (image size, which NumPy arrays). Talks to the data session only; it loads.

Whether a folder holds images (and so needs a size first) is a look of bounded time on the
window's thread: a folder too large to tell in that time is loaded as it is, its kind decided by
the load in the background (images at the default size).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFileDialog, QWidget

from latentlab.core.data.idx import has_idx_files
from latentlab.core.data.images import IMAGE_SUFFIXES
from latentlab.core.data.source import DataSource
from latentlab.core.files.safe_io import printable
from latentlab.lab.data_session import LoadOutcome
from latentlab.lab.latent_lab import LatentLab
from latentlab.lab.recent import RecentFiles
from latentlab.qt.actions import make_action
from latentlab.qt.widgets.catalogue_dialog import CatalogueDialog
from latentlab.qt.widgets.load_dialogs import ImageOptionsDialog, KeyChoiceDialog

#: How long the window may look into a folder to tell whether it holds images.
LOOK_BUDGET_S = 0.05

FILE_FILTER = ("Datasets (*.npz *.npy *.csv *.tsv *-ubyte *-ubyte.gz);;"
               "NumPy arrays (*.npz *.npy);;CSV of pixels or text (*.csv *.tsv);;"
               "IDX files (*-ubyte *-ubyte.gz);;All files (*)")


class DataActions(QObject):
    """Owned by the main window, which puts ``actions`` into its File menu."""

    def __init__(self, lab: LatentLab, window: QWidget, recent: RecentFiles) -> None:
        super().__init__(window)
        self.lab = lab
        self.window = window
        self.recent = recent  # the dialogs start in the last folder a dataset was chosen in
        self.catalogue: CatalogueDialog | None = None
        self.open_file_action = make_action(
            self.window, "Open dataset file…", "Ctrl+O", self.open_file,
            "A .npz/.npy file, a CSV of pixels or of text, or an IDX file")
        self.open_folder_action = make_action(
            self.window, "Open dataset folder…", "Ctrl+Shift+O", self.open_folder,
            "A folder of IDX files, of images (class subfolders are labels) or of .txt files")
        self.catalogue_action = make_action(
            self.window, "Datasets…", "Ctrl+D", self.show_catalogue,
            "Digits, MNIST, Fashion-MNIST and Kuzushiji-MNIST (downloaded once, then cached)")
        self.actions = (self.open_file_action, self.open_folder_action, self.catalogue_action)
        lab.data.load_ended.connect(self._on_load_ended)

    # ------------------------------------------------------------ choosing
    def open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a dataset file",
                                              self.recent.folder("datasets"), FILE_FILTER)
        if path:
            self.recent.remember_folder("datasets", path)
            self.load_path(path)

    def open_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self.window, "Open a dataset folder",
                                                self.recent.folder("datasets"))
        if path:
            self.recent.remember_folder("datasets", path)
            self.load_path(path)

    def load_path(self, path: str | Path) -> None:
        """Load a file or folder; a folder of images first asks for the size and colour."""
        path = Path(path)
        images = holds_images(path, LOOK_BUDGET_S) if path.is_dir() else False
        if images:
            dialog = ImageOptionsDialog(path.name, self.window)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.accepted.connect(lambda: self.lab.data.load(
                DataSource.parse(path, **dialog.options())))
            dialog.open()
            return
        if images is None:
            self.lab.notes.say(f"{printable(path.name)} is too large to look through first: "
                               "any images in it load at the default size.")
        self.lab.data.load(DataSource.parse(path))

    def show_catalogue(self) -> CatalogueDialog:
        if self.catalogue is None:
            self.catalogue = CatalogueDialog(self.lab, self.window)
            self.catalogue.open_folder_requested.connect(self._open_local(self.open_folder))
            self.catalogue.open_file_requested.connect(self._open_local(self.open_file))
        self.catalogue.show()
        self.catalogue.raise_()
        self.catalogue.activateWindow()
        return self.catalogue

    def _open_local(self, choose):
        def run() -> None:
            if self.catalogue is not None:
                self.catalogue.close()
            choose()
        return run

    # ------------------------------------------------------------ answers
    def _on_load_ended(self, outcome: LoadOutcome) -> None:
        problem = outcome.ambiguous
        if problem is None:
            return
        dialog = KeyChoiceDialog(problem, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        source = outcome.source
        dialog.accepted.connect(
            lambda: self.lab.data.load(source.with_options(**dialog.options())))
        dialog.open()


def holds_images(folder: Path, budget_s: float = LOOK_BUDGET_S) -> bool | None:
    """Whether the loader would read ``folder`` as images (not IDX files, and an image file in
    it or a visible subfolder); None when that cannot be told within ``budget_s``."""
    if has_idx_files(folder):
        return False
    deadline = time.monotonic() + budget_s
    stack = [folder]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    if time.monotonic() > deadline:
                        return None
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir():
                        if not entry.is_symlink():  # as the loader walks: links are not followed
                            stack.append(Path(entry.path))
                    elif os.path.splitext(entry.name)[1].lower() in IMAGE_SUFFIXES:
                        return True
        except OSError:  # an unreadable subfolder: the loader skips it too
            continue
    return False
