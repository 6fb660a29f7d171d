"""The status bar's load indicator: what is loading or being opened, how far it has got, and a
Cancel button (Escape cancels too, while something loads)."""

from __future__ import annotations

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
from latentlab.qt.widgets.escape_cancels import EscapeCancels

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
        self._escape = EscapeCancels(self, lambda: self.busy, self.cancel)
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
        self._escape.watch(self.busy)

    def _on_progress(self, progress: LoadProgress) -> None:
        self.label.setText(progress.text)
        set_progress(self.bar, progress)


def set_progress(bar: QProgressBar, progress: LoadProgress) -> None:
    """A determinate bar when the total is known, else a busy one."""
    fraction = progress.fraction
    if fraction is None:
        bar.setRange(0, 0)
    else:
        bar.setRange(0, BAR_STEPS)
        bar.setValue(round(fraction * BAR_STEPS))
