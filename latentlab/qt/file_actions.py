"""The File menu's model and lab actions: open a checkpoint or a lab, save either.

Talks to the lab only; the one question it answers itself is where a lab's moved dataset is.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from latentlab.core.files.checkpoint import SUFFIX
from latentlab.core.files.labfile import LAB_SUFFIX, DatasetMissing, Lab, relocate_dataset
from latentlab.lab.latent_lab import LatentLab
from latentlab.qt.actions import make_action

OPEN_FILTER = (f"Models and labs (*{SUFFIX} *{LAB_SUFFIX});;Models (*{SUFFIX});;"
               f"Labs (*{LAB_SUFFIX});;All files (*)")


class FileActions(QObject):
    """Owned by the main window, which puts ``actions`` into its File menu."""

    def __init__(self, lab: LatentLab, window: QWidget) -> None:
        super().__init__(window)
        self.lab = lab
        self.window = window
        self.last_folder = str(Path.home())
        self.open_action = make_action(
            self.window, "Open model or lab…", "Ctrl+L", self.choose_and_open,
            f"A checkpoint ({SUFFIX}) or a lab ({LAB_SUFFIX})")
        self.save_model_action = make_action(
            self.window, "Save model as…", "Ctrl+S", self.save_model,
            "The current model's weights and settings in one file")
        self.save_lab_action = make_action(
            self.window, "Save lab as…", "Ctrl+Shift+S", self.save_lab,
            "The dataset, the model, the maps' settings and the probes: a lesson to open later")
        self.actions = (self.open_action, self.save_model_action, self.save_lab_action)

    def choose_and_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a model or a lab",
                                              self.last_folder, OPEN_FILTER)
        if path:
            self.open_path(Path(path))

    def open_path(self, path: Path) -> None:
        self.last_folder = str(path.parent)
        if path.suffix == LAB_SUFFIX:
            self._open_lab(path)
        else:
            self.lab.files.open_model(path)

    def _open_lab(self, path: Path, lab_file: Lab | None = None) -> None:
        try:
            self.lab.files.open_lab(path, lab_file)
        except DatasetMissing as missing:
            self._ask_where(path, missing)

    def _ask_where(self, path: Path, missing: DatasetMissing) -> None:
        """The lab's dataset moved: say so, let the user point at it, and carry on."""
        answer = QMessageBox.question(
            self.window, "Where is the dataset?",
            f"The lab {path.name} uses the dataset {missing.path}, which is not there any more."
            "\n\nDo you know where it is now?")
        if answer != QMessageBox.StandardButton.Yes or missing.lab is None:
            self.lab.notes.say(f"The lab {path.name} was not opened.")
            return
        start = str(missing.path.parent if missing.path.parent.is_dir() else self.last_folder)
        if missing.path.suffix:  # it was a file (npz, csv, …)
            found, _ = QFileDialog.getOpenFileName(self.window, f"Where is {missing.path.name}?",
                                                   start)
        else:
            found = QFileDialog.getExistingDirectory(self.window,
                                                     f"Where is {missing.path.name}?", start)
        if found:
            self._open_lab(path, relocate_dataset(missing.lab, found))

    def save_model(self) -> None:
        name = self.lab.model.path.name if self.lab.model.path else f"model{SUFFIX}"
        path, _ = QFileDialog.getSaveFileName(self.window, "Save the model",
                                              str(Path(self.last_folder) / name),
                                              f"Models (*{SUFFIX})")
        if path:
            self.lab.files.save_model(_with_suffix(path, SUFFIX))

    def save_lab(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Save the lab",
                                              str(Path(self.last_folder) / f"lesson{LAB_SUFFIX}"),
                                              f"Labs (*{LAB_SUFFIX})")
        if path:
            self.lab.files.save_lab(_with_suffix(path, LAB_SUFFIX))


def _with_suffix(path: str, suffix: str) -> Path:
    p = Path(path)
    return p if p.suffix == suffix else p.with_name(p.name + suffix)
