"""The built-in catalogue: the embedded digits and the MNIST family, downloaded once and cached.

The dialog only asks the data session to load a catalogue entry and observes how the load goes;
offline, it says so and offers local files (``open_folder_requested`` / ``open_file_requested``).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from latentlab.core.data.catalogue import CATALOGUE, CatalogueEntry, is_cached
from latentlab.core.data.source import DataSource, LoadProgress
from latentlab.lab.data_session import LoadOutcome
from latentlab.lab.latent_lab import LatentLab
from latentlab.qt.widgets.load_status import set_progress


def offline_text(entry: CatalogueEntry) -> str:
    return (f"You appear to be offline: {entry.title} needs a download. "
            "Open local files instead?")


def size_text(entry: CatalogueEntry) -> str:
    if entry.builtin:
        return "Ships with the app: no download."
    return f"Download: {entry.download_bytes / 1e6:.1f} MB, once (then cached)."


class CatalogueDialog(QDialog):
    open_folder_requested = Signal()
    open_file_requested = Signal()

    def __init__(self, lab: LatentLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.setWindowTitle("Datasets")
        self.resize(720, 420)
        self.entries = QListWidget()
        self.entries.setFixedWidth(210)
        for entry in CATALOGUE.values():
            item = QListWidgetItem(entry.title)
            item.setData(Qt.ItemDataRole.UserRole, entry.name)
            self.entries.addItem(item)
        self.title = QLabel()
        self.title.setObjectName("datasetName")
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setOpenExternalLinks(True)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.status = QLabel()
        self.status.setObjectName("caption")
        self.status.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.hide()
        self.load_button = QPushButton("Load")
        self.load_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel download")
        self.close_button = QPushButton("Close")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.load_button, self.cancel_button, self.close_button):
            buttons.addWidget(button)
        info = QVBoxLayout()
        info.addWidget(self.title)
        info.addWidget(self.details, 1)
        info.addWidget(self.status)
        info.addWidget(self.bar)
        row = QHBoxLayout()
        row.addWidget(self.entries)
        row.addLayout(info, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addLayout(buttons)

        self.entries.currentRowChanged.connect(lambda _row: self._show_entry())
        self.load_button.clicked.connect(self.load_selected)
        self.cancel_button.clicked.connect(lab.data.cancel_load)
        self.close_button.clicked.connect(self.close)
        lab.data.loading_changed.connect(self._on_loading_changed)
        lab.data.load_progress.connect(self._on_progress)
        lab.data.load_ended.connect(self._on_load_ended)
        self.entries.setCurrentRow(0)
        self._on_loading_changed()

    # ---------------------------------------------------------------- display
    @property
    def selected(self) -> CatalogueEntry:
        item = self.entries.currentItem()
        return CATALOGUE[item.data(Qt.ItemDataRole.UserRole)]

    def select(self, name: str) -> None:
        self.entries.setCurrentRow(list(CATALOGUE).index(name))

    def cached(self, entry: CatalogueEntry) -> bool:
        return is_cached(entry.name, self.lab.data.catalogue_cache_dir)

    def _show_entry(self) -> None:
        entry = self.selected
        cached = self.cached(entry)
        self.title.setText(entry.title)
        state = ("Embedded" if entry.builtin else "Cached on this computer" if cached
                 else "Not downloaded yet")
        link = f"<a href='{html.escape(entry.homepage)}'>{html.escape(entry.homepage)}</a>"
        self.details.setText(
            f"<p>{html.escape(entry.description)}</p>"
            f"<p><b>Size</b>: {html.escape(size_text(entry))}<br>"
            f"<b>Status</b>: {state}<br>"
            f"<b>Licence</b>: {html.escape(entry.licence)}<br>"
            f"<b>Source</b>: {link}</p>"
            f"<p style='color:#555'>{html.escape(entry.citation)}</p>")
        self.load_button.setText("Load" if cached else "Download and load")
        for row in range(self.entries.count()):
            item = self.entries.item(row)
            name = item.data(Qt.ItemDataRole.UserRole)
            mark = "" if CATALOGUE[name].builtin or not self.cached(CATALOGUE[name]) else "  ✓"
            item.setText(CATALOGUE[name].title + mark)
            item.setToolTip("Cached" if mark else "")

    def _ours(self, request: DataSource | None) -> bool:
        return request is not None and request.is_catalogue

    def _on_loading_changed(self) -> None:
        request = self.lab.data.loading_source
        busy = request is not None
        self.load_button.setEnabled(not busy)
        self.cancel_button.setEnabled(self._ours(request))
        self.bar.setVisible(self._ours(request))
        if self._ours(request):
            self.bar.setRange(0, 0)
            self.status.setText(f"Loading {request.label}…")
        elif busy:
            self.status.setText(f"Loading {request.label}: wait for it, or cancel it first.")

    def _on_progress(self, progress: LoadProgress) -> None:
        if self._ours(self.lab.data.loading_source):
            self.status.setText(progress.text)
            set_progress(self.bar, progress)

    # ----------------------------------------------------------------- actions
    def load_selected(self) -> None:
        entry = self.selected
        self.lab.data.load(DataSource.parse(entry.name))

    def _on_load_ended(self, outcome: LoadOutcome) -> None:
        if not outcome.source.is_catalogue:
            return
        self._show_entry()  # cached or not, now
        label = outcome.source.label
        if outcome.dataset is not None:
            self.status.setText(f"Loaded {outcome.dataset.describe()}.")
            self.close()  # its work is done; on failure it stays open, saying why
        elif outcome.cancelled:
            self.status.setText(f"Cancelled. What was downloaded of {label} is kept, and the "
                                "next download resumes from there.")
        elif outcome.offline:
            entry = CATALOGUE[outcome.source.location]
            self.status.setText(offline_text(entry))
            self._ask_offline(entry, str(outcome.error))
        else:
            self.status.setText(f"Could not load {label}: {outcome.error}")

    def _ask_offline(self, entry: CatalogueEntry, reason: str) -> None:
        """A plain, non-blocking question: open local files instead of downloading?"""
        parent = self if self.isVisible() else self.parentWidget()
        box = QMessageBox(QMessageBox.Icon.Information, "Offline", offline_text(entry),
                          QMessageBox.StandardButton.Close, parent)
        box.setObjectName("offlineBox")
        box.setInformativeText("Datasets already downloaded, the embedded digits and files on "
                               "this computer still work.")
        box.setDetailedText(reason)
        folder = box.addButton("Open folder…", QMessageBox.ButtonRole.AcceptRole)
        file = box.addButton("Open file…", QMessageBox.ButtonRole.AcceptRole)
        folder.clicked.connect(lambda: self.open_folder_requested.emit())
        file.clicked.connect(lambda: self.open_file_requested.emit())
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
