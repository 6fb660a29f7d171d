"""The File menu's model and lab actions: open a checkpoint or a lab, save either.

Talks to the lab only, which reads files in the background; the questions an open may raise
are asked here: where a lab's moved dataset is, and whether to load the dataset a model records
when it does not fit the current one. Both are window-modal boxes that never block the event
loop, and show paths as plain text (control characters escaped).

A checkpoint of a model another workspace opens (pix2pix: Image translation) goes there: the
window fills in ``elsewhere``, and before a checkpoint is opened its header alone is read in
the background to learn its model family (``checkpoint_family``). A header that cannot say in
time leaves the file to the latent maps' open, which says why it cannot use it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from latentlab.core.files.checkpoint import SUFFIX
from latentlab.core.files.labfile import LAB_SUFFIX, DatasetMissing, relocate_dataset
from latentlab.core.files.safe_io import printable
from latentlab.lab.engine import LOADING_TEXT
from latentlab.lab.file_reads import PATH_CHARS, OpenCancelled, RecordedSource, checkpoint_family
from latentlab.lab.jobs import JobCallbacks
from latentlab.lab.latent_lab import LatentLab
from latentlab.lab.recent import RecentFiles
from latentlab.qt.actions import make_action
from latentlab.qt.jobs import QtRunner

OPEN_FILTER = (f"Models and labs (*{SUFFIX} *{LAB_SUFFIX});;Models (*{SUFFIX});;"
               f"Labs (*{LAB_SUFFIX});;All files (*)")


class FileActions(QObject):
    """Owned by the main window, which puts ``actions`` into its File menu."""

    def __init__(self, lab: LatentLab, window: QWidget, recent: RecentFiles) -> None:
        super().__init__(window)
        self.lab = lab
        self.window = window
        self.recent = recent  # where each dialog starts: the last folder of its kind
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
        #: Model family → what opens its checkpoints in another workspace (``send_elsewhere``).
        self.elsewhere: dict[str, Callable[[Path], object]] = {}
        self._peek = QtRunner("file-peek", self)  # reads a checkpoint's header: which family
        window.installEventFilter(self)  # the window closing gives up a header being read
        lab.files.dataset_missing.connect(self._ask_where)
        lab.files.source_offered.connect(self._ask_to_load_source)
        lab.engine.changed.connect(self._on_engine)
        self._on_engine()

    def _on_engine(self) -> None:
        """Opening a model builds it with torch: it waits until torch has loaded."""
        ready = self.lab.engine.ready
        self.open_action.setEnabled(ready)
        self.open_action.setToolTip("" if ready else LOADING_TEXT)

    def choose_and_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a model or a lab",
                                              self.recent.latest_folder("labs", "models"),
                                              OPEN_FILTER)
        if path:
            self.recent.remember_folder(_kind(Path(path)), path)
            self.open_path(Path(path))

    def open_path(self, path: Path) -> None:
        """Start opening a checkpoint or a lab; the lab reads it in the background. A
        checkpoint of a family in ``elsewhere`` is handed over instead, once its header says
        so (read in the background too)."""
        # A newer choice replaces a header still being looked at (its answer is dropped).
        self._peek.cancel_and_wait()
        if path.suffix.lower() == LAB_SUFFIX:  # as `latentlab open` decides, any case
            self.lab.files.open_lab(path)
        elif not self.elsewhere:
            self.lab.files.open_model(path)
        else:
            self._peek.start(lambda control: checkpoint_family(path, control), JobCallbacks(
                returned=lambda family: self._open_checkpoint(path, family),
                errored=lambda exc, _details: self._peek_failed(path, exc)))

    def send_elsewhere(self, family: str, opener: Callable[[Path], object]) -> None:
        """Checkpoints of ``family`` go to ``opener`` (another workspace's open) from now on."""
        self.elsewhere[family] = opener

    def _open_checkpoint(self, path: Path, family: str | None) -> None:
        opener = self.elsewhere.get(family) if family is not None else None
        if opener is not None:
            opener(path)
        else:  # the latent maps' open: it adopts the model, or says why not
            self.lab.files.open_model(path)

    def _peek_failed(self, path: Path, exc: BaseException) -> None:
        if not isinstance(exc, OpenCancelled):  # not given up on: the open says what is wrong
            self.lab.files.open_model(path)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            self._peek.cancel_and_wait()  # a read that never ends is left alone, unheard
        return False

    def _question(self, name: str, title: str, text: str,
                  answered: Callable[[bool], None]) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Question, title, text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                          self.window)
        box.setObjectName(name)
        box.setTextFormat(Qt.TextFormat.PlainText)  # a path is never markup
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        yes = QMessageBox.StandardButton.Yes
        # The button clicked, not the dialog's result code: closing the box is a "no" too.
        box.finished.connect(lambda _result: answered(box.standardButton(box.clickedButton())
                                                      == yes))
        box.open()
        return box

    def _ask_to_load_source(self, offer: RecordedSource) -> None:
        """A model that fits the dataset it records: load that one only if the user says so."""
        name = printable(offer.path.name)

        def answered(yes: bool) -> None:
            if yes:
                self.lab.files.load_recorded_source(offer)
            else:
                dataset = self.lab.data.dataset
                kept = f"; {dataset.name} and its maps are unchanged" if dataset else ""
                self.lab.notes.say(f"The model {name} was not opened{kept}.")

        self._question("recordedSourceBox", "Load the dataset this model was trained on?",
                       f"This model was trained on {offer.where}. Load that dataset?\n\n"
                       f"{name}: {printable(offer.reason, PATH_CHARS)}.", answered)

    def _ask_where(self, path: Path, missing: DatasetMissing) -> None:
        """The lab's dataset moved: say so, let the user point at it, and carry on."""
        name = printable(path.name)

        def answered(yes: bool) -> None:
            if not yes or missing.lab is None:
                self.lab.notes.say(f"The lab {name} was not opened.")
                return
            parent = missing.path.parent
            start = str(parent if parent.is_dir() else self.recent.folder("datasets"))
            if missing.path.suffix:  # it was a file (npz, csv, …)
                found, _ = QFileDialog.getOpenFileName(
                    self.window, f"Where is {printable(missing.path.name)}?", start)
            else:
                found = QFileDialog.getExistingDirectory(
                    self.window, f"Where is {printable(missing.path.name)}?", start)
            if not found:
                return
            try:
                relocated = relocate_dataset(missing.lab, found)
            except DatasetMissing as again:
                self._ask_where(path, again)
                return
            self.lab.files.open_lab(path, relocated)

        self._question("datasetMissingBox", "Where is the dataset?",
                       f"The lab {name} uses the dataset "
                       f"{printable(str(missing.path), PATH_CHARS)}, which is not there any "
                       "more.\n\nDo you know where it is now?", answered)

    def save_model(self) -> None:
        name = self.lab.model.path.name if self.lab.model.path else f"model{SUFFIX}"
        path, _ = QFileDialog.getSaveFileName(self.window, "Save the model",
                                              str(Path(self.recent.folder("models")) / name),
                                              f"Models (*{SUFFIX})")
        if path:
            self.recent.remember_folder("models", path)
            self.lab.files.save_model(_with_suffix(path, SUFFIX))

    def save_lab(self) -> None:
        start = Path(self.recent.folder("labs")) / f"lesson{LAB_SUFFIX}"
        path, _ = QFileDialog.getSaveFileName(self.window, "Save the lab", str(start),
                                              f"Labs (*{LAB_SUFFIX})")
        if path:
            self.recent.remember_folder("labs", path)
            self.lab.files.save_lab(_with_suffix(path, LAB_SUFFIX))


def _kind(path: Path) -> str:
    return "labs" if path.suffix.lower() == LAB_SUFFIX else "models"


def _with_suffix(path: str, suffix: str) -> Path:
    p = Path(path)
    return p if p.suffix == suffix else p.with_name(p.name + suffix)
