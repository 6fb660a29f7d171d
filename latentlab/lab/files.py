"""Checkpoints and lab files: autosave, save, open.

A model is saved whenever a training run ends (completed, stopped or failed on a NaN: marked
"-diverged") and when the window closes mid-run, into the user data folder; the last
``autosaves.KEEP`` autosaves are kept there, and models saved by hand are never deleted.

Opening reads the file in the background — a job on the files runner, with progress and cancel —
so that no file (a slow disk, a huge file, a FIFO) holds up the lab's thread; the model is adopted
on that thread when the read is done. A model that does not fit the current dataset is refused,
unless its checkpoint records the dataset it was trained on and that exists: then
``source_offered`` carries the offer, and only ``load_recorded_source`` loads it. Opening a lab
reads it, loads its dataset (like any load), then opens its model and restores its map settings
and probes. Headless, each step runs to its end inside the call that starts it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from psygnal import Signal

from latentlab.core.data.source import DataSource, LoadProgress
from latentlab.core.files import autosaves
from latentlab.core.files.checkpoint import (
    SUFFIX,
    Checkpoint,
    CheckpointError,
    CheckpointMeta,
    check_matches,
    describe_data,
    save_checkpoint,
)
from latentlab.core.files.labfile import DatasetMissing, Lab, LabFileError, save_lab
from latentlab.core.files.safe_io import printable
from latentlab.core.files.userdirs import user_data_folder
from latentlab.lab.colouring import Colouring
from latentlab.lab.data_session import DataSession, LoadOutcome
from latentlab.lab.file_reads import (
    CheckpointRead,
    OpenCancelled,
    RecordedSource,
    read_abandonably,
    read_checkpoint,
    read_lab,
)
from latentlab.lab.generator import GeneratorCodes
from latentlab.lab.jobs import JobCallbacks, JobControl, Runner
from latentlab.lab.lab_restore import restore_lab
from latentlab.lab.maps import Maps
from latentlab.lab.model_session import ModelSession
from latentlab.lab.notifications import Notifications
from latentlab.lab.semisup import Semisup

T = TypeVar("T")
#: An error's one line (it names a file, whose path may be long) is cut only past this.
MESSAGE_CHARS = 8192


class LabFiles:
    """Reads and writes the lab's files; writes no other model's fields (it calls them)."""

    opening_changed = Signal()  # a file started or stopped being read
    open_progress = Signal(object)  # LoadProgress of the file being read
    #: RecordedSource: a model that fits the dataset it records, not this one. Ask the user,
    #: then call ``load_recorded_source``.
    source_offered = Signal(object)
    #: (lab path, DatasetMissing): a lab's dataset moved. Ask the user where it is now, then
    #: call ``open_lab`` with the relocated lab.
    dataset_missing = Signal(object, object)
    #: ("lab" or "model", path): a file the user opened or saved (for the recent files).
    used = Signal(str, object)
    #: (lab, ok): a lab opened or applied is in place (its maps may still be projecting), or
    #: could not be (said why).
    lab_done = Signal(object, bool)

    def __init__(self, data: DataSession, model: ModelSession, maps: Maps,
                 colouring: Colouring, generator: GeneratorCodes, semisup: Semisup,
                 runner: Runner, notes: Notifications) -> None:
        self._data, self._model, self._maps = data, model, maps
        self._colouring, self._generator, self._semisup = colouring, generator, semisup
        self._runner = runner
        self._notes = notes
        #: The file being read (None: none is).
        self.opening: Path | None = None
        #: A lab whose dataset is loading; its model, maps and probes follow once it has.
        self.pending_lab: Lab | None = None
        #: A lab whose dataset has loaded and whose model is being read.
        self.restoring_lab: Lab | None = None
        #: A model waiting for the dataset it records to load.
        self.pending_model: RecordedSource | None = None
        model.run_ended.connect(self._autosave_run)
        data.load_ended.connect(self._on_load_ended)

    # ------------------------------------------------------------ checkpoints
    def checkpoint_meta(self) -> CheckpointMeta:
        data, model = self._data, self._model
        assert data.dataset is not None
        return CheckpointMeta(model=model.model_cfg, train=model.train_cfg,
                              input_shape=data.dataset.input_shape,
                              data=describe_data(data.dataset, data.source),
                              epoch=model.epoch, metrics=dict(model.metrics))

    def save_model(self, path: str | Path, by_hand: bool = True) -> Path | None:
        """Save the current model; on failure say why (nothing is overwritten) and return None.
        A model saved ``by_hand`` is the user's: never pruned, and among the recent files."""
        model = self._model
        if model.trained_model is None or self._data.dataset is None:
            self._notes.say("Train or open a model first: there is nothing to save.")
            return None
        if model.training:
            self._notes.say("Stop training first: a checkpoint holds finished weights.")
            return None
        try:
            saved = save_checkpoint(path, model.trained_model, self.checkpoint_meta())
        except CheckpointError as exc:
            self._notes.report_error("Could not save the model", str(exc))
            return None
        model.mark_saved(saved)
        if by_hand:
            autosaves.forget(saved)  # saved over an autosave: the user's now, never pruned
            self.used.emit("model", saved)
        self._notes.say(f"Saved the model to {saved}.")
        return saved

    def autosave_model(self) -> Path | None:
        """Keep every trained model: a new file in the user data folder, listed in its index of
        autosaves (the last ``autosaves.KEEP`` are kept); a diverged run's is marked so."""
        dataset = self._data.dataset
        if self._model.trained_model is None or dataset is None:
            return None
        diverged = self._model.diverged
        folder = user_data_folder("models")
        path = autosaves.new_path(folder, f"{dataset.name}-{self._model.model_cfg.family}",
                                  diverged)
        saved = self.save_model(path, by_hand=False)
        if saved is not None:
            autosaves.record(saved, diverged)  # unrecorded, it is merely never pruned
            autosaves.prune(folder)
        return saved

    def _autosave_run(self) -> None:
        if self._model.unsaved:
            self.autosave_model()  # a diverged run's marked so, not kept as if it were good

    # ------------------------------------------------------------------ labs
    def save_lab(self, path: str | Path) -> Path | None:
        """Dataset, model, map settings and probes, the few-labels settings, labels and results;
        a model not saved in the lab's folder (or below it) is saved beside the lab, as
        ``<lab name>.safetensors``."""
        if self._data.dataset is None or self._data.source is None:
            self._notes.say("Load a dataset first: a lab starts from one.")
            return None
        path = Path(path)
        model = self._model
        if model.trained_model is not None and not _inside(model.path, path.absolute().parent) \
                and self.save_model(path.with_suffix(SUFFIX)) is None:
            # The model travels with the lesson: one outside the lab's folder (an autosave in
            # the user's data folder) is saved beside the lab, and stored relative to it.
            return None
        try:
            saved = save_lab(path, self.current_lab())
        except LabFileError as exc:
            self._notes.report_error("Could not save the lab", str(exc))
            return None
        self.used.emit("lab", saved)
        self._notes.say(f"Saved the lab to {saved}.")
        return saved

    def current_lab(self) -> Lab:
        """What a lab file would hold now: the dataset, the model's file (if it has one), the
        colours, generator code, maps' projections and probes, and the few-labels state."""
        data, model = self._data, self._model
        assert data.source is not None
        checkpoints = [str(model.path)] if model.trained_model is not None and model.path \
            else []
        maps: dict = {"colour_by": self._colouring.colour_by}
        code = self._generator.to_json()
        if code is not None:
            maps["generator_code"] = code
        setups = {m: s.fit.setup.to_json() for m, s in self._maps.states.items() if s.fit}
        if setups:  # the projections the maps show, computed again when the lab opens
            maps["setups"] = setups
        maps["semisup"] = self._semisup.to_json()
        return Lab(dataset=data.source, checkpoints=checkpoints, maps=maps,
                   probes={m: [float(v) for v in s.probe] for m, s in self._maps.states.items()})

    # ------------------------------------------------------------ opening
    def open_model(self, path: str | Path, load_recorded_source: bool = False) -> bool:
        """Read a checkpoint in the background, then adopt its model for the current dataset.

        A model that does not fit is refused with the reason, unless its checkpoint records a
        dataset that exists: then ``source_offered`` asks, or with ``load_recorded_source`` that
        dataset is loaded and the model adopted on it. False when the read cannot start (said
        why); headless, the model is in place (or refused) when this returns.
        """
        path = Path(path)
        if not self._may_open(path):
            return False
        current = self._data.source

        def done(read: CheckpointRead) -> None:
            source = read.source
            if source is not None and current is not None and source.location == current.location:
                source = None  # the dataset it records is the one it does not fit
            if self._adopt(path, read.checkpoint, source, load_recorded_source):
                self.used.emit("model", path)

        return self._read(path, "model", read_checkpoint, done)

    def load_recorded_source(self, offer: RecordedSource) -> bool:
        """Load the dataset a model records (the user said so), then adopt the model on it."""
        self.pending_model = offer  # before the load: a load may end before ``load`` returns
        if not self._data.load(offer.source):
            self.pending_model = None
            return False
        return True

    def open_lab(self, path: str | Path, lab: Lab | None = None) -> bool:
        """Read a lab in the background, load its dataset, then open its model and restore its
        maps and probes.

        When its dataset is not where it says, ``dataset_missing`` carries the ``path`` and the
        lab for the caller to ask where it went; pass the relocated ``lab`` back in.
        """
        path = Path(path)
        if lab is not None:
            self.used.emit("lab", path)
            return self._load_lab_dataset(lab)
        if not self._may_open(path):
            return False
        return self._read(path, "lab", read_lab, lambda read: self.open_lab(path, read))

    def cancel_open(self) -> None:
        """Stop waiting for the file being read; everything stays as it was."""
        if self.opening is not None:
            self._runner.cancel()

    def abandon(self) -> None:
        """Stop reading and forget what waited for it (the window closes, a lesson moves on)."""
        self._runner.cancel_and_wait()
        was_opening, self.opening = self.opening, None
        self.pending_lab = self.restoring_lab = self.pending_model = None
        if was_opening is not None:
            self.opening_changed.emit()

    def _may_open(self, path: Path) -> bool:
        # One read at a time: a second is refused, not queued, so that a file chosen later never
        # lands silently after a slow earlier one. A load first ends too: it replaces the data.
        loading = self._data.loading_source
        if self.opening is not None or self._runner.running:
            busy = f"opening {self.opening.name if self.opening else 'a file'}"
        elif loading is not None:
            busy = f"loading {loading.label}"
        else:
            return True
        self._notes.say(f"Still {printable(busy)}: wait for it or cancel it before opening "
                        f"{printable(path.name)}.")
        return False

    def _read(self, path: Path, what: str, read: Callable[[Path], T],
              done: Callable[[T], Any]) -> bool:
        """Run ``read(path)`` in the background; ``done`` gets its result on the lab's thread."""
        name = printable(path.name)
        self.opening = path
        self.opening_changed.emit()

        def job(control: JobControl) -> T:
            control.report(LoadProgress(0, None, f"Opening {name}…"))
            return read_abandonably(lambda: read(path), control, name)

        def returned(result: T) -> None:
            self._end_read()
            done(result)

        def errored(exc: BaseException, details: str) -> None:
            self._end_read()
            lab, self.restoring_lab = self.restoring_lab, None  # restored no further
            self._read_failed(path, what, exc, details)
            if lab is not None:
                self.lab_done.emit(lab, False)

        self._runner.start(job, JobCallbacks(yielded=self.open_progress.emit, returned=returned,
                                             errored=errored))
        return True

    def _end_read(self) -> None:
        self.opening = None
        self.opening_changed.emit()

    def _kept(self) -> str:
        dataset = self._data.dataset
        return f"{dataset.name} and its maps are unchanged." if dataset else "Nothing was loaded."

    def _read_failed(self, path: Path, what: str, exc: BaseException, details: str) -> None:
        title = f"Could not open the {what}"
        if isinstance(exc, OpenCancelled):
            self._notes.say(f"{exc} {self._kept()}")
        elif isinstance(exc, DatasetMissing):  # a question for the user, asked by observers
            self._notes.say(f"The lab {printable(path.name)} uses the dataset "
                            f"{printable(str(exc.path))}, which is not there any more.")
            self.dataset_missing.emit(path, exc)
        elif isinstance(exc, (CheckpointError, LabFileError)):
            self._notes.report_error(title, f"{printable(str(exc), MESSAGE_CHARS)}\n\n"
                                            f"{self._kept()}")
        else:  # a bug or a resource problem: the details stay folded away
            self._notes.report_error(title, f"{printable(str(path))}: {type(exc).__name__}: "
                                            f"{exc}\n\n{self._kept()}", details)

    def _adopt(self, path: Path, checkpoint: Checkpoint, source: DataSource | None = None,
               load_source: bool = False) -> bool:
        """Adopt a read model if it fits the dataset; else offer its ``source`` or say why."""
        dataset = self._data.dataset
        try:
            if dataset is None:
                raise CheckpointError("no dataset is loaded to use it on", path)
            check_matches(checkpoint.meta, dataset, path)
        except CheckpointError as exc:
            if source is None:
                self._notes.report_error("Could not open the model",
                                         f"{printable(str(exc), MESSAGE_CHARS)}\n\n{self._kept()}")
                return False
            offer = RecordedSource(path, checkpoint, source, exc.reason)
            if load_source:
                return self.load_recorded_source(offer)
            self._notes.say(f"{printable(path.name)} does not fit "
                            f"{dataset.name if dataset else 'no dataset'}; it was trained on "
                            f"{offer.where}.")
            self.source_offered.emit(offer)
            return False
        self._model.adopt_checkpoint(checkpoint)
        self._notes.say(f"Opened {checkpoint.meta.describe()}.")
        return True

    def apply_lab(self, lab: Lab) -> bool:
        """Put a lab's set-up in place as opening it would, but keep the dataset when it is the
        one loaded (its model is dropped, or the lab's opened); ``lab_done`` says when it is."""
        if self._data.dataset is None or not lab.dataset.same_data(self._data.source):
            return self._load_lab_dataset(lab)
        if not self._may_open(Path(lab.source)):
            self.lab_done.emit(lab, False)
            return False
        self._model.reset()
        self._continue_lab(lab)
        return True

    def _load_lab_dataset(self, lab: Lab) -> bool:
        self.pending_lab = lab  # before the load: a load may end before ``load`` returns
        if not self._data.load(lab.dataset):
            self.pending_lab = None
            self.lab_done.emit(lab, False)
            return False
        return True

    def _on_load_ended(self, outcome: LoadOutcome) -> None:
        """A load ended: adopt the model waiting for it, or carry on with the lab's model."""
        offer, self.pending_model = self.pending_model, None
        if offer is not None:
            if outcome.dataset is not None:
                self._adopt(offer.path, offer.checkpoint)
            return
        lab, self.pending_lab = self.pending_lab, None
        if lab is not None and outcome.dataset is None:
            self.lab_done.emit(lab, False)
        elif lab is not None:
            self._continue_lab(lab)

    def _continue_lab(self, lab: Lab) -> None:
        """With the lab's dataset loaded: read its model, then restore its view."""
        if not lab.checkpoints:
            self._restore_lab(lab)
            return
        path = Path(lab.checkpoints[0])  # the lab's model (one per lab for now)

        def done(read: CheckpointRead) -> None:
            restoring, self.restoring_lab = self.restoring_lab, None
            if restoring is not None and self._adopt(path, read.checkpoint):
                self._restore_lab(restoring)
            elif restoring is not None:
                self.lab_done.emit(restoring, False)

        self.restoring_lab = lab
        self._read(path, "model", read_checkpoint, done)

    def _restore_lab(self, lab: Lab) -> None:
        restore_lab(lab, self._semisup, self._colouring, self._generator, self._maps,
                    self._model, self._notes)
        self.lab_done.emit(lab, True)


def _inside(path: Path | None, folder: Path) -> bool:
    """Whether ``path`` is an existing file in ``folder`` or below it."""
    if path is None or not path.is_file():
        return False
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False
