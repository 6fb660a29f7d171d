"""The status bar's load indicator: what is loading or being opened, how far it has got, and a
Cancel button (Escape cancels too, while something loads)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from latentlab.core.data.source import LoadProgress
from latentlab.core.files.safe_io import printable
from latentlab.lab.latent_lab import LatentLab

BAR_STEPS = 1000


class LoadStatus(QWidget):
    """Visible while a dataset loads or a file is read; observes the lab's loading signals."""

    def __init__(self, lab: LatentLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setFixedWidth(180)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop loading (Esc); the current dataset and model stay")
        self.cancel_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.cancel_button.clicked.connect(self.cancel)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addStretch(1)
        row.addWidget(self.label)
        row.addWidget(self.bar)
        row.addWidget(self.cancel_button)
        self._watched: QWidget | None = None  # the window whose Escape key cancels
        lab.data.loading_changed.connect(self._on_loading_changed)
        lab.data.load_progress.connect(self._on_progress)
        lab.files.opening_changed.connect(self._on_loading_changed)
        lab.files.open_progress.connect(self._on_progress)
        self._on_loading_changed()

    @property
    def busy(self) -> bool:
        return self.lab.data.loading or self.lab.files.opening is not None

    def cancel(self) -> None:
        """Cancel the load or the read going on; what was there stays."""
        self.lab.data.cancel_load()
        self.lab.files.cancel_open()

    def _on_loading_changed(self) -> None:
        request, opening = self.lab.data.loading_source, self.lab.files.opening
        self.setVisible(self.busy)
        if request is not None:
            self.label.setText(f"Loading {request.label}…")
        elif opening is not None:
            self.label.setText(f"Opening {printable(opening.name)}…")
        self.bar.setRange(0, 0)  # busy until the first report with a total
        self._watch_escape(self.busy)

    def _on_progress(self, progress: LoadProgress) -> None:
        self.label.setText(progress.text)
        set_progress(self.bar, progress)

    def _watch_escape(self, on: bool) -> None:
        # Only while busy: Escape otherwise belongs to the window (it clears the selection).
        window = self.window() if on else None
        if window is self._watched:
            return
        if self._watched is not None:
            self._watched.removeEventFilter(self)
        self._watched = window
        if window is not None:
            window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # A key the focused widget does not take comes up to the window as a shortcut override:
        # taking Escape there cancels the load instead of triggering the window's shortcut.
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Escape and self.busy):
            event.accept()
            self.cancel()
            return True
        return super().eventFilter(watched, event)


def set_progress(bar: QProgressBar, progress: LoadProgress) -> None:
    """A determinate bar when the total is known, else a busy one."""
    fraction = progress.fraction
    if fraction is None:
        bar.setRange(0, 0)
    else:
        bar.setRange(0, BAR_STEPS)
        bar.setValue(round(fraction * BAR_STEPS))
