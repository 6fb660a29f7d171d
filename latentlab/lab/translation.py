"""The image-translation lab: pix2pix on a built-in dataset, trained as a job, with frames of
held-out translations and a drawing pad whose input the generator translates stroke by stroke.

Who writes what — the lab is the only writer of all its fields:

=============  ===============================================================================
settings       the dataset, the task, adversarial on or off, epochs
training       the live model (the GUI thread's copy), progress, the latest frame
the pad        the canvas (the task's input, H×W in [0, 1]) and the generator's output for it
``notes``      errors and messages for whatever displays them
=============  ===============================================================================

The training thread owns the model it trains; each snapshot's decoder weights reach the live
copy with a frame, so a stroke never waits for training. Frames computed while the lab has not
taken the last one are skipped (one in flight); the run's last frame is always sent.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path

import numpy as np
import torch
from psygnal import Signal

from latentlab.config import ConfigError, ModelConfig, TrainConfig, paired_task_problem
from latentlab.core.data.dataset import Dataset, DatasetError
from latentlab.core.files.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from latentlab.core.models import build_model
from latentlab.core.models.paired_tasks import HIDDEN_VALUE, hidden_box
from latentlab.core.models.pix2pix import Pix2Pix
from latentlab.core.training.device import training_cpu_threads
from latentlab.core.training.events import (
    EpochEnded,
    Snapshot,
    StepProgress,
    TrainingFailed,
    TrainingFinished,
)
from latentlab.core.training.loop import train
from latentlab.core.training.views import decoder_state
from latentlab.lab.drawing import paint
from latentlab.lab.file_reads import OpenCancelled, read_abandonably
from latentlab.lab.jobs import InlineRunner, JobCallbacks, JobControl, Runner
from latentlab.lab.notifications import Notifications
from latentlab.lab.translation_data import (
    N_SCORED,
    SHAPES,
    TASKS,
    TranslationFrame,
    images_of,
    load_translation_data,
    take_frame,
)

#: Tasks whose input one can draw: strokes as edges, or ink around the hidden box.
DRAWABLE = ("edges", "inpaint")
MAX_EPOCHS = 200
SEED = 0
#: Frames come at most this often (a frame is one forward pass over N_SCORED items).
SNAPSHOT_INTERVAL_S = 0.5
#: Both nets' learning rate: five times the paper's 2e-4, which needs far more than the ~30 s
#: a run here gets (held-out L1 0.05 after 3 epochs of the 28×28 digits, against 0.11).
LEARNING_RATE = 1e-3
PAD_REFUSED = "The drawing pad needs a pix2pix model: train one, or open a pix2pix checkpoint."


class TranslationLab:
    settings_changed = Signal()
    training_changed = Signal(bool)
    progress_changed = Signal()
    frame_changed = Signal()
    model_changed = Signal()  # a new live model (trained, opened) or new weights in it
    canvas_changed = Signal()  # the canvas and the output for it
    opened = Signal(object)  # the path of a model just opened

    def __init__(self, runner: Runner | None = None, data: Dataset | None = None,
                 reader: Runner | None = None) -> None:
        self.notes = Notifications()
        self._runner: Runner = runner or InlineRunner()  # training
        self._reader: Runner = reader or InlineRunner()  # opening checkpoints
        self.dataset_name = "digits"
        #: Loaded on first use (training or opening a model): the window starts without it.
        self._data: Dataset | None = data
        self.task = "edges"
        self.adversarial = True
        self.epochs = 5
        self.model: Pix2Pix | None = None  # the GUI thread's copy, in eval mode
        self.path: Path | None = None
        self.progress = (0, 0)  # global step, total steps
        self.epoch = 0
        self.frame: TranslationFrame | None = None
        self.canvas: np.ndarray | None = None
        self.output: np.ndarray | None = None
        self._taken = threading.Event()
        self._trained: Pix2Pix | None = None

    # ------------------------------------------------------------- settings
    @property
    def data(self) -> Dataset:
        if self._data is None:
            self._data = load_translation_data(self.dataset_name)
        return self._data

    @property
    def training(self) -> bool:
        return self._runner.running

    def tasks(self) -> list[str]:
        """The tasks this data can give (colour needs RGB images)."""
        channels = self.data.input_shape[0] if self._data is not None else 1
        return [t for t in TASKS if paired_task_problem(t, channels) is None]

    def set_dataset(self, name: str) -> None:
        if name == self.dataset_name and self._data is not None:
            return
        try:
            data = load_translation_data(name)
        except DatasetError as exc:
            self.notes.report_error("Dataset", str(exc))
            return
        self.stop_and_wait()
        self.dataset_name, self._data = name, data
        self._forget_model()
        self.settings_changed.emit()

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
        assert isinstance(model, Pix2Pix)
        held_out = torch.from_numpy(data.x[data.test_indices[:N_SCORED]])
        viewer = copy.deepcopy(model).eval()  # the job's copy, for frames between steps
        self.model, self._trained, self.path = copy.deepcopy(model).eval(), model, None
        self.frame, self.progress, self.epoch = None, (0, 0), 0
        self.model_changed.emit()
        self._reset_canvas()
        taken = self._taken
        taken.set()

        def job(control: JobControl) -> str:
            reason, pending, step = "", None, 0

            def send(step: int, epoch: float, state: dict[str, np.ndarray]) -> None:
                viewer.decoder.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
                taken.clear()
                control.report(take_frame(viewer, held_out, step, epoch, state))

            for event in train(model, data, train_cfg, control, progress_interval_s=0.25):
                if isinstance(event, Snapshot):
                    # One frame in flight: a snapshot the lab has no room for waits as pending.
                    pending = None if taken.is_set() else event
                    if pending is None:
                        send(event.global_step, event.epoch_float, event.decoder_state)
                    continue
                if isinstance(event, StepProgress):
                    step = event.global_step
                if isinstance(event, EpochEnded):
                    pending = None
                    send(step, float(event.epoch), decoder_state(model))
                if isinstance(event, TrainingFinished):
                    reason = event.reason
                control.report(event)
            if pending is not None:  # the run's last weights always make a frame
                send(pending.global_step, pending.epoch_float, pending.decoder_state)
            return reason

        self.training_changed.emit(True)
        self._runner.start(job, JobCallbacks(yielded=self._on_event, returned=self._on_returned,
                                             errored=self._on_failed, finished=self._on_ended),
                           cpu_threads=training_cpu_threads())

    def stop(self) -> None:
        """Stop training; the model keeps the weights trained so far."""
        if self.training:
            self._runner.cancel()

    def stop_and_wait(self) -> None:
        self.stop()
        self._runner.wait()

    def _on_event(self, event: object) -> None:
        if isinstance(event, TranslationFrame):
            self.frame = event
            if self.model is not None and event.decoder_state is not None:
                state = {k: torch.from_numpy(v) for k, v in event.decoder_state.items()}
                self.model.decoder.load_state_dict(state)
                self._translate_canvas()
            self._taken.set()
            self.frame_changed.emit()
        elif isinstance(event, StepProgress):
            self.progress = (event.global_step, event.total_steps)
            self.progress_changed.emit()
        elif isinstance(event, EpochEnded):
            self.epoch = event.epoch
        elif isinstance(event, TrainingFailed):
            self.notes.report_error("Training stopped", event.message)

    def _on_returned(self, reason: str) -> None:
        if reason == "stopped":
            self.notes.say("Training stopped: the model keeps the weights trained so far.")
        elif reason and self.frame is not None:
            self.notes.say(f"Training finished: held-out L1 {self.frame.l1:.3f}.")

    def _on_failed(self, exc: BaseException, details: str) -> None:
        self.notes.report_error("Training failed", f"{type(exc).__name__}: {exc}", details)

    def _on_ended(self) -> None:
        trained = self._trained
        if trained is not None and self.model is not None:
            # The run is over: the live copy takes every weight (batch-norm statistics too).
            self.model.load_state_dict(trained.cpu().eval().state_dict())
            self._translate_canvas()
            self.model_changed.emit()
        self.training_changed.emit(False)

    # ------------------------------------------------------------- files
    def open_checkpoint(self, path: str | Path) -> None:
        """Use the pix2pix model saved at ``path``, read off the lab's thread (no file can hold
        the window up; a read that never ends is abandoned); any other file is refused, naming
        it. ``opened`` announces the model in use."""
        self.stop_and_wait()
        self._reader.cancel_and_wait()
        path = Path(path)

        def read() -> tuple[object, str, Dataset]:
            checkpoint = load_checkpoint(path, families=("pix2pix",), refusal=(
                "Image translation opens pix2pix checkpoints only"))
            if checkpoint.meta.model.task not in TASKS:  # the user's own pairs: no pad task
                raise CheckpointError(f"its model translates the user's own pairs (task "
                                      f"{checkpoint.meta.model.task!r}); this workspace makes "
                                      f"its pairs from digits ({', '.join(TASKS)}); score it "
                                      f"with latentlab evaluate", path)
            shape = tuple(checkpoint.meta.input_shape)
            name = next((n for n, known in SHAPES.items() if known == shape), None)
            if name is None:
                raise CheckpointError("its model translates {}×{}×{} images; this workspace has "
                                      "digits at 1×28×28 and 1×8×8".format(*shape), path)
            data = self._data if name == self.dataset_name and self._data is not None \
                else load_translation_data(name)
            return checkpoint, name, data

        self.notes.say(f"Opening {path.name}…")
        self._reader.start(
            lambda control: read_abandonably(read, control, path.name),
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
        self.dataset_name, self._data = name, data
        model = checkpoint.model.eval()
        assert isinstance(model, Pix2Pix)
        self.task, self.adversarial = model.cfg.task, model.cfg.adversarial
        self.model, self._trained, self.path = model, None, path
        self.progress, self.epoch = (0, 0), checkpoint.meta.epoch
        held_out = torch.from_numpy(self.data.x[self.data.test_indices[:N_SCORED]])
        self.frame = take_frame(model, held_out, 0, float(checkpoint.meta.epoch))
        self.settings_changed.emit()
        self.model_changed.emit()
        self.frame_changed.emit()
        self._reset_canvas()
        self.notes.say(f"Opened {path.name}: pix2pix, {TASKS[self.task].lower()}.")
        self.opened.emit(path)

    # ------------------------------------------------------------- the pad
    @property
    def pad_problem(self) -> str:
        """Why the pad cannot be used now ('' when it can)."""
        if self.model is None:
            return PAD_REFUSED
        if self.task not in DRAWABLE:
            return (f"The drawing pad draws edges or inpainting inputs; {TASKS[self.task]} "
                    "inputs are not drawn.")
        return ""

    def _locked(self) -> np.ndarray | None:
        """The hidden box of an inpainting input: drawn strokes leave it grey."""
        if self.task != "inpaint" or self.canvas is None:
            return None
        rows, cols = hidden_box(*self.canvas.shape)
        locked = np.zeros(self.canvas.shape, dtype=bool)
        locked[rows, cols] = True
        return locked

    def _blank(self) -> np.ndarray:
        _c, h, w = self.model.input_shape if self.model is not None else self.data.input_shape
        canvas = np.zeros((h, w), dtype=np.float32)
        if self.task == "inpaint":
            rows, cols = hidden_box(h, w)
            canvas[rows, cols] = HIDDEN_VALUE
        return canvas

    def _reset_canvas(self) -> None:
        """A blank canvas for edges; a held-out input for inpainting (its visible part)."""
        if self.pad_problem:
            self.canvas = self.output = None
        elif self.task == "inpaint" and self.frame is not None:
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
        self.canvas = paint(self.canvas, points, width, self._locked())
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
