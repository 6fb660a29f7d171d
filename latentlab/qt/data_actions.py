"""The File menu's dataset actions: open a file or folder, the catalogue, and the questions a load
may need answered (image size, which NumPy arrays). Talks to the data session only; it loads.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFileDialog, QWidget

from latentlab.core.data import folder_kind
from latentlab.core.data.source import DataSource
from latentlab.lab.data_session import LoadOutcome
from latentlab.lab.latent_lab import LatentLab
from latentlab.qt.actions import make_action
from latentlab.qt.widgets.catalogue_dialog import CatalogueDialog
from latentlab.qt.widgets.load_dialogs import ImageOptionsDialog, KeyChoiceDialog

FILE_FILTER = ("Datasets (*.npz *.npy *.csv *.tsv *-ubyte *-ubyte.gz);;"
               "NumPy arrays (*.npz *.npy);;CSV of pixels or text (*.csv *.tsv);;"
               "IDX files (*-ubyte *-ubyte.gz);;All files (*)")


class DataActions(QObject):
    """Owned by the main window, which puts ``actions`` into its File menu."""

    def __init__(self, lab: LatentLab, window: QWidget) -> None:
        super().__init__(window)
        self.lab = lab
        self.window = window
        self.last_folder = str(Path.home())
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
                                              self.last_folder, FILE_FILTER)
        if path:
            self.load_path(path)

    def open_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self.window, "Open a dataset folder",
                                                self.last_folder)
        if path:
            self.load_path(path)

    def load_path(self, path: str | Path) -> None:
        """Load a file or folder; a folder of images first asks for the size and colour."""
        path = Path(path)
        self.last_folder = str(path if path.is_dir() else path.parent)
        if path.is_dir() and folder_kind(path) == "images":
            dialog = ImageOptionsDialog(path.name, self.window)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.accepted.connect(lambda: self.lab.data.load(
                DataSource.parse(path, **dialog.options())))
            dialog.open()
            return
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
