"""File → Recent models…: the autosaved models, newest first, with what each one is; opening one
loads it like File → Open.

Only the small header of each checkpoint is read (there are at most ``autosaves.KEEP``), when
the dialog opens; one that cannot be read says why in its row.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from latentlab.core.files.autosaves import KEEP, Autosave, autosaves
from latentlab.core.files.checkpoint import CheckpointError, read_meta
from latentlab.core.files.checkpoint_meta import family_noun
from latentlab.core.files.safe_io import printable

COLUMNS = ("Saved", "Type", "Dataset", "Epochs", "Note")


def describe(autosave: Autosave) -> tuple[str, ...]:
    """The row of one autosave: when, what model, on what, how long, and anything to know."""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(autosave.saved))
    note = "diverged (loss became NaN)" if autosave.diverged else ""
    try:
        meta = read_meta(autosave.path)
    except (CheckpointError, OSError) as exc:
        reason = exc.reason if isinstance(exc, CheckpointError) else str(exc)
        return when, "?", "?", "?", printable(f"unreadable: {reason}", 200)
    kind = family_noun(meta.model.family).split(" ", 1)[-1]
    dataset = str(meta.data.get("name") or "?")
    return when, kind, printable(dataset, 80), str(meta.epoch), note


class RecentModelsDialog(QDialog):
    """Lists the autosaves in ``folder``; ``open_model`` gets the chosen one's path."""

    def __init__(self, folder: Path, open_model: Callable[[Path], object],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recentModelsDialog")
        self.setWindowTitle("Recent models")
        self.resize(760, 420)
        self._open_model = open_model
        found = autosaves(folder)
        self.paths = [a.path for a in found]
        self.table = QTableWidget(len(self.paths), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        for row, autosave in enumerate(found):
            for column, text in enumerate(describe(autosave)):
                item = QTableWidgetItem(text)
                item.setToolTip(str(autosave.path))
                self.table.setItem(row, column, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        caption = QLabel(f"Every training run is saved in {printable(str(folder))}; the last "
                         f"{KEEP} are kept. Models you save yourself are never deleted.")
        caption.setObjectName("caption")
        caption.setWordWrap(True)
        caption.setTextFormat(Qt.TextFormat.PlainText)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open
                                   | QDialogButtonBox.StandardButton.Close)
        self.open_button = buttons.button(QDialogButtonBox.StandardButton.Open)
        self.open_button.setEnabled(False)
        buttons.accepted.connect(self.open_selected)
        buttons.rejected.connect(self.reject)
        self.table.itemSelectionChanged.connect(
            lambda: self.open_button.setEnabled(bool(self.table.selectedItems())))
        self.table.cellDoubleClicked.connect(lambda row, _column: self.open_row(row))
        layout = QVBoxLayout(self)
        if not self.paths:
            layout.addWidget(QLabel("No model has been autosaved yet: train one."))
        layout.addWidget(self.table, 1)
        layout.addWidget(caption)
        layout.addWidget(buttons)
        if self.paths:
            self.table.selectRow(0)

    def open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.open_row(rows[0].row())

    def open_row(self, row: int) -> None:
        self.accept()
        self._open_model(self.paths[row])
