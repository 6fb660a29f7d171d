"""The image-translation lab: pix2pix on a built-in dataset or on the user's own A → B pairs,
trained as a job, with frames of held-out translations and a drawing pad whose input the
generator translates stroke by stroke.

Who writes what — the lab is the only writer of all its fields:

=============  ===============================================================================
settings       the dataset, the task, adversarial on or off, epochs
the pairs      the user's own pairs once opened (kept while a built-in dataset is chosen)
training       the live model (the GUI thread's copy), progress, the latest frame
the pad        the canvas (the task's input, H×W in [0, 1]) and the generator's output for it
``notes``      errors and messages for whatever displays them
=============  ===============================================================================

Files (checkpoints, pairs) are read off the lab's thread, one at a time: a newer open replaces
one still being read, and a read that fails leaves everything as it was.

The training thread owns the model it trains; each snapshot's decoder weights reach the live
copy with a frame, so a stroke never waits for training. Frames computed while the lab has not
taken the last one are skipped (one in flight); the run's last frame is always sent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from psygnal import Signal

from latentlab.config import ConfigError, ModelConfig, TrainConfig
from latentlab.core.data.dataset import Dataset, DatasetError
from latentlab.core.files.checkpoint import Checkpoint, CheckpointError
from latentlab.core.files.safe_io import printable
from latentlab.core.models import build_model
from latentlab.core.models.paired_tasks import USER_PAIRS
from latentlab.core.models.pix2pix import Pix2Pix
from latentlab.core.training.events import EpochEnded, StepProgress, TrainingFailed
from latentlab.lab.drawing import paint
from latentlab.lab.file_reads import OpenCancelled, read_abandonably
from latentlab.lab.frame_training import FramedTrainingLab
from latentlab.lab.jobs import InlineRunner, JobCallbacks, JobControl, Runner
from latentlab.lab.translation_data import (
    DATASETS,
    PAD_REFUSED,
    PAIRS,
    TASK_LABELS,
    TranslationFrame,
    blank_canvas,
    frame_items,
    images_of,
    load_translation_data,
    locked_pixels,
    pad_problem,
    pairs_failure,
    read_model,
    read_pairs,
    skipped_pairs,
    take_frame,
    tasks_for,
)

MAX_EPOCHS = 200
SEED = 0
#: Frames come at most this often (a frame is one forward pass over N_SCORED items).
SNAPSHOT_INTERVAL_S = 0.5
#: Both nets' learning rate: five times the paper's 2e-4, which needs far more than the ~30 s
#: a run here gets (held-out L1 0.05 after 3 epochs of the 28×28 digits, against 0.11).
LEARNING_RATE = 1e-3


class TranslationLab(FramedTrainingLab):
    settings_changed = Signal()
    progress_changed = Signal()
    canvas_changed = Signal()  # the canvas and the output for it
    opened = Signal(object)  # the path of a model just opened
    pairs_opened = Signal(object)  # the path of pairs just opened (and now the dataset)

    def __init__(self, runner: Runner | None = None, data: Dataset | None = None,
                 reader: Runner | None = None) -> None:
        super().__init__(runner)
        self._reader: Runner = reader or InlineRunner()  # opening checkpoints
        #: A key of DATASETS, or PAIRS: the user's own pairs.
        self.dataset_name = "digits"
        #: Loaded on first use (training or opening a model): the window starts without it.
        self._data: Dataset | None = data
        self.pairs: Dataset | None = None  # the user's own pairs, once opened
        self.task = "edges"
        self._made_task = "edges"  # the built-in task to go back to from the pairs
        self.adversarial = True
        self.epochs = 5
        self.model: Pix2Pix | None = None  # the GUI thread's copy, in eval mode
        self.path: Path | None = None
        self.progress = (0, 0)  # global step, total steps
        self.epoch = 0
        self.frame: TranslationFrame | None = None
        self.canvas: np.ndarray | None = None
        self.output: np.ndarray | None = None

    # ------------------------------------------------------------- settings
    @property
    def data(self) -> Dataset:
        if self._data is None:
            self._data = load_translation_data(self.dataset_name)
        return self._data

    @property
    def using_pairs(self) -> bool:
        """Whether the dataset is the user's own pairs."""
        return self.dataset_name == PAIRS

    def tasks(self) -> list[str]:
        """The tasks this data can give (``tasks_for``)."""
        return tasks_for(self._data, self.using_pairs)

    def set_dataset(self, name: str) -> None:
        """A built-in dataset by name (one of DATASETS), or PAIRS: the pairs opened last."""
        if name == self.dataset_name and self._data is not None:
            return
        try:
            data = self.pairs if name == PAIRS and self.pairs else load_translation_data(name)
        except DatasetError as exc:
            self.notes.report_error("Dataset", str(exc))
            return
        self.stop_and_wait()
        self._use_data(name, data)
        self.settings_changed.emit()

    def _use_data(self, name: str, data: Dataset) -> None:
        """Make ``data`` the dataset, with a task it gives: the pairs' own, or back from them
        to the built-in task chosen before."""
        if name == PAIRS and self.task != USER_PAIRS:
            self._made_task = self.task
        self.dataset_name, self._data = name, data
        tasks = self.tasks()
        if self.task not in tasks:
            self.task = self._made_task if self._made_task in tasks else tasks[0]
        self._forget_model()

    def set_task(self, task: str) -> None:
        if task not in self.tasks():
            self.notes.report_error("Task", f"Task: {task!r} is not one of "
                                    f"{', '.join(self.tasks())} for this data.")
            return
        if task != self.task:
            self.stop_and_wait()
            self.task = task
            self._forget_model()  # a model translates one task only
            self.settings_changed.emit()

    def set_adversarial(self, on: bool) -> None:
        self.adversarial = bool(on)
        self.settings_changed.emit()

    def set_epochs(self, epochs: int) -> None:
        self.epochs = max(1, min(MAX_EPOCHS, int(epochs)))
        self.settings_changed.emit()

    def _forget_model(self) -> None:
        self.model, self._trained, self.frame, self.path = None, None, None, None
        self.progress, self.epoch = (0, 0), 0
        self.model_changed.emit()
        self.frame_changed.emit()
        self._reset_canvas()

    # ------------------------------------------------------------- training
    def train(self) -> None:
        """Train a new model on the data in the background, reporting frames."""
        if self.training:
            return
        data = self.data
        cfg = ModelConfig(family="pix2pix", task=self.task, adversarial=self.adversarial)
        train_cfg = TrainConfig(epochs=self.epochs, batch_size=64, learning_rate=LEARNING_RATE,
                                d_learning_rate=LEARNING_RATE, seed=SEED,
                                snapshot_interval_s=SNAPSHOT_INTERVAL_S)
        try:
            model = build_model(cfg, data.input_shape, seed=SEED, batch_size=64)
        except ConfigError as exc:
            self.notes.report_error("Settings", str(exc))
            return
        items = frame_items(data, self.task)
        self.path, self.progress, self.epoch = None, (0, 0), 0
        self._train(model, data, train_cfg,
                    lambda v, step, epoch, state: take_frame(v, items, step, epoch, state))

    def _new_model(self) -> None:
        self._reset_canvas()

    def _on_event(self, event: object) -> None:
        if isinstance(event, TranslationFrame):
            self._take(event)
        elif isinstance(event, StepProgress):
            self.progress = (event.global_step, event.total_steps)
            self.progress_changed.emit()
        elif isinstance(event, EpochEnded):
            self.epoch = event.epoch
        elif isinstance(event, TrainingFailed):
            self.notes.report_error("Training stopped", event.message)

    def _on_returned(self, reason: str) -> None:
        super()._on_returned(reason)
        if reason and reason != "stopped" and self.frame is not None:
            which = "held-out" if self.frame.held_out else "training (no held-out pairs)"
            self.notes.say(f"Training finished: {which} L1 {self.frame.l1:.3f}.")

    def _weights_changed(self) -> None:
        self._translate_canvas()

    # ------------------------------------------------------------- files
    def open_checkpoint(self, path: str | Path) -> None:
        """Use the pix2pix model saved at ``path``, read off the lab's thread (no file can hold
        the window up; a read that never ends is abandoned); any other file is refused, naming
        it. ``opened`` announces the model in use."""
        self.stop_and_wait()
        self._reader.cancel_and_wait()
        path = Path(path)
        pairs, name, data = self.pairs, self.dataset_name, self._data  # as they are now
        self.notes.say(f"Opening {path.name}…")
        self._reader.start(
            lambda control: read_abandonably(lambda: read_model(path, pairs, name, data),
                                             control, path.name),
            JobCallbacks(returned=lambda result: self._use_opened(path, *result),
                         errored=self._on_open_failed))

    def _on_open_failed(self, exc: BaseException, details: str) -> None:
        if isinstance(exc, OpenCancelled):
            self.notes.say(str(exc))
        elif isinstance(exc, CheckpointError | DatasetError):
            self.notes.report_error("Could not open the model", str(exc))
        else:
            self.notes.report_error("Could not open the model", f"{type(exc).__name__}: {exc}",
                                    details)

    def _use_opened(self, path: Path, checkpoint: Checkpoint, name: str, data: Dataset) -> None:
        model = checkpoint.model.eval()
        assert isinstance(model, Pix2Pix)
        if name == PAIRS and self.task != USER_PAIRS:
            self._made_task = self.task
        self.dataset_name, self._data = name, data
        self.task, self.adversarial = model.cfg.task, model.cfg.adversarial
        self.model, self._trained, self.path = model, None, path
        self.progress, self.epoch = (0, 0), checkpoint.meta.epoch
        self.frame = take_frame(model, frame_items(data, self.task), 0,
                                float(checkpoint.meta.epoch))
        self.settings_changed.emit()
        self.model_changed.emit()
        self.frame_changed.emit()
        self._reset_canvas()
        self.notes.say(f"Opened {printable(path.name)}: pix2pix, "
                       f"{TASK_LABELS[self.task].lower()}.")
        self.opened.emit(path)

    def open_pairs(self, path: str | Path) -> None:
        """Make the user's own pairs at ``path`` (``read_pairs``), read off the lab's thread, the
        dataset with the task ``pairs``, announced by ``pairs_opened``; what gives no pairs is
        refused naming it and why, and nothing changes. Skipped files make one notice."""
        self._reader.cancel_and_wait()
        path = Path(path)
        name = printable(path.name or str(path))

        def job(control: JobControl) -> Dataset:
            return read_abandonably(lambda: read_pairs(path, control.cancel_event), control,
                                    name)

        self.notes.say(f"Opening the pairs in {name}…")
        self._reader.start(job, JobCallbacks(
            returned=lambda data: self._use_pairs(path, data),
            errored=lambda exc, details: self._on_pairs_failed(path, exc, details)))

    def _on_pairs_failed(self, path: Path, exc: BaseException, details: str) -> None:
        if isinstance(exc, OpenCancelled):
            self.notes.say(str(exc))
        else:  # a bug's or a resource's details stay folded away
            text = f"{pairs_failure(path, exc)} The dataset stays {self.data_title}."
            self.notes.report_error("Could not open the pairs", text,
                                    "" if isinstance(exc, DatasetError) else details)

    def _use_pairs(self, path: Path, data: Dataset) -> None:
        self.stop_and_wait()
        self.pairs = data
        self._use_data(PAIRS, data)
        self.settings_changed.emit()
        c, h, w = data.input_shape
        colour = "grey" if c == 1 else "colour"
        self.notes.say(f"Opened {data.n:,} pairs from {printable(path.name)} ({h}×{w}, "
                       f"{colour}; {len(data.test_indices):,} held out).")
        if data.skipped:
            self.notes.report_notice("Some pairs were skipped", *skipped_pairs(data, path))
        self.pairs_opened.emit(path)

    @property
    def data_title(self) -> str:
        """The dataset as the user knows it."""
        if self.using_pairs and self._data is not None:
            return self._data.name
        return DATASETS.get(self.dataset_name, self.dataset_name)

    # ------------------------------------------------------------- the pad
    @property
    def pad_problem(self) -> str:
        """Why the pad cannot be used now ('' when it can)."""
        return pad_problem(self.model, self.task)

    def _blank(self) -> np.ndarray:
        _c, h, w = self.model.input_shape if self.model is not None else self.data.input_shape
        return blank_canvas(h, w, self.task)

    def _reset_canvas(self) -> None:
        """A blank canvas for edges; a held-out input for inpainting (its visible part) and for
        the user's pairs (an A image to draw on), once a frame has one."""
        if self.pad_problem:
            self.canvas = self.output = None
        elif self.task in ("inpaint", USER_PAIRS) and self.frame is not None:
            self.canvas = self.frame.inputs[0].copy()
        else:
            self.canvas = self._blank()
        self._translate_canvas()

    def clear(self) -> None:
        """A blank canvas (an inpainting canvas keeps its grey hidden box)."""
        if self.pad_problem:
            self.notes.say(self.pad_problem)
            return
        self.canvas = self._blank()
        self._translate_canvas()

    def stroke(self, points: np.ndarray, width: float = 2.0) -> None:
        """Paint a polyline (N×2 pad coordinates: x, y in pixels) and translate the canvas."""
        if self.pad_problem or self.canvas is None:
            self.notes.say(self.pad_problem or PAD_REFUSED)
            return
        self.canvas = paint(self.canvas, points, width, locked_pixels(self.canvas, self.task))
        self._translate_canvas()

    @torch.no_grad()
    def _translate_canvas(self) -> None:
        if self.canvas is not None and self.model is not None:
            c = self.model.input_shape[0]
            x = torch.from_numpy(self.canvas)[None, None].expand(1, c, *self.canvas.shape)
            self.output = images_of(self.model.translate(x))[0]
        else:
            self.output = None
        self.canvas_changed.emit()

    def shutdown(self) -> None:
        self._runner.cancel_and_wait()
        self._reader.cancel_and_wait()  # a read that never ends is abandoned, not waited for

