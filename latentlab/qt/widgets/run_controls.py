"""Epochs, Train, Stop and the progress bar of a lab that trains one model at a time (the
translation workspaces'): it calls the lab's methods and follows its signals."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)


class RunControls(QWidget):
    """For a ``FramedTrainingLab`` with ``epochs``, ``progress`` (done, total steps),
    ``set_epochs``, ``train``, ``stop`` and a ``progress_changed`` signal."""

    def __init__(self, lab: Any, max_epochs: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.epochs = QSpinBox()
        self.epochs.setRange(1, max_epochs)
        self.epochs.setValue(lab.epochs)
        self.epochs.valueChanged.connect(lab.set_epochs)
        self.train_button = QPushButton("Train")
        self.train_button.clicked.connect(lab.train)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop training, keeping the weights so far (Escape)")
        self.stop_button.clicked.connect(lab.stop)
        self.progress = QProgressBar()
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Epochs", self.epochs)
        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        lab.training_changed.connect(self._on_training)
        lab.progress_changed.connect(self._on_progress)
        self._on_training(False)
        self._on_progress()

    def show_epochs(self) -> None:
        """The lab's epochs (after it changed them itself, e.g. on opening a model)."""
        self.epochs.setValue(self.lab.epochs)

    def _on_training(self, training: bool) -> None:
        self.epochs.setEnabled(not training)
        self.train_button.setEnabled(not training)
        self.stop_button.setEnabled(training)
        if training:
            self.progress.setValue(0)

    def _on_progress(self) -> None:
        done, total = self.lab.progress
        self.progress.setFormat("%v / %m steps" if total else "")  # an opened model: no run
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)


__all__ = ["RunControls"]
