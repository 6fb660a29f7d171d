"""The status bar's load indicator: what is loading, how far it has got, and a Cancel button."""

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
from latentlab.lab.latent_lab import LatentLab

BAR_STEPS = 1000


class LoadStatus(QWidget):
    """Visible while a dataset loads; observes the state's loading signals."""

    def __init__(self, lab: LatentLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setFixedWidth(180)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop loading; the current dataset stays")
        self.cancel_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.cancel_button.clicked.connect(lab.data.cancel_load)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addStretch(1)
        row.addWidget(self.label)
        row.addWidget(self.bar)
        row.addWidget(self.cancel_button)
        lab.data.loading_changed.connect(self._on_loading_changed)
        lab.data.load_progress.connect(self._on_progress)
        self._on_loading_changed()

    def _on_loading_changed(self) -> None:
        request = self.lab.data.loading_source
        self.setVisible(request is not None)
        if request is not None:
            self.label.setText(f"Loading {request.label}…")
            self.bar.setRange(0, 0)  # busy until the first report with a total

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
