"""The image-translation lab's data and frames: the built-in datasets it trains on, the user's
own pairs (``PAIRS``) and the models it opens (read on any thread), what a frame of held-out
translations holds (numbers only: frames cross from the training thread), and what the drawing
pad can draw.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from latentlab.config import paired_task_problem
from latentlab.core.data.builtin import MNIST_SAMPLE, load_builtin, load_digits
from latentlab.core.data.dataset import Dataset, DatasetError
from latentlab.core.data.sources import load_source
from latentlab.core.files.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from latentlab.core.files.safe_io import printable
from latentlab.core.models.paired_tasks import HIDDEN_VALUE, USER_PAIRS, hidden_box, make_pair
from latentlab.core.models.pix2pix import Pix2Pix

#: The built-in data: scikit-learn's digits, upscaled to 28×28 (5 s an epoch on one core) or
#: as they come (8×8: a pad too coarse to draw much, but an epoch in under a second), and the
#: embedded MNIST sample (sharp 28×28 digits, which the pad's strokes resemble; 4,000 train
#: images, about 10 s an epoch on one core).
DATASETS = {"digits": "Digits, 28×28 (upscaled)", "digits 8×8": "Digits, 8×8",
            MNIST_SAMPLE: "MNIST sample, 28×28"}
SHAPES = {"digits": (1, 28, 28), "digits 8×8": (1, 8, 8), MNIST_SAMPLE: (1, 28, 28)}
#: The tasks whose pairs are made from the built-in images.
TASKS = {"edges": "Edges → digit", "inpaint": "Fill the hidden centre",
         "superres": "Quarter resolution → full", "colour": "Grey → colour"}
#: The dataset name that stands for the user's own pairs (File → Open image pairs…), whose
#: only task is USER_PAIRS: their A images are the inputs, their B images the targets.
PAIRS = "your pairs"
#: Every task as the task list names it.
TASK_LABELS = {**TASKS, USER_PAIRS: "Your pairs"}
#: The side the user's pair images are resized to (as the command line's default).
PAIRS_SIZE = 28
#: The skipped-pairs notice lists at most this many files in its details.
SKIPPED_LISTED = 200
#: The model families this lab opens (the window sends their checkpoints here).
FAMILIES = ("pix2pix",)
#: Tasks whose input one can draw: strokes as edges, ink around the hidden box, or a grey A
#: image of the user's own pairs.
DRAWABLE = ("edges", "inpaint", USER_PAIRS)
PAD_REFUSED = "The drawing pad needs a pix2pix model: train one, or open a pix2pix checkpoint."
PAD_NO_COLOUR = ("The drawing pad draws grey inputs; these pairs' A images are in colour, so "
                 "they are not drawn: see the held-out pairs.")
#: Held-out pairs shown as input | output | target rows, and the held-out items scored by L1.
N_PAIRS = 8
N_SCORED = 64


def load_translation_data(name: str) -> Dataset:
    """A built-in dataset for translation, by name (one of DATASETS)."""
    if name == PAIRS:  # they are opened, not loaded by name
        raise DatasetError("Dataset: no pairs are open; File → Open image pairs… opens a "
                           "folder with A/ and B/ or a .npz with arrays A and B.")
    if name not in DATASETS:
        raise DatasetError(f"Dataset: unknown value {name!r}; choose one of "
                           f"{', '.join(DATASETS)}.")
    if name == MNIST_SAMPLE:
        return load_builtin(MNIST_SAMPLE)
    digits = load_digits()
    if name == "digits 8×8":
        return digits
    x = F.interpolate(torch.from_numpy(digits.images()), size=(28, 28), mode="bilinear",
                      align_corners=False).clamp(0, 1).numpy()
    return dataclasses.replace(digits, name="digits 28×28", x=np.ascontiguousarray(x))


def tasks_for(data: Dataset | None, pairs: bool) -> list[str]:
    """The tasks ``data`` can give: the user's ``pairs`` their own only, built-in data those
    made from its images (colour needs RGB images; data not loaded yet is grey)."""
    if pairs:
        return [USER_PAIRS]
    channels = data.input_shape[0] if data is not None else 1
    return [t for t in TASKS if paired_task_problem(t, channels) is None]


@dataclass(frozen=True)
class TranslationFrame:
    """Held-out pairs after some training: numbers only (crosses threads). Images are
    N_PAIRS×H×W (grey) or N_PAIRS×H×W×3, in [0, 1]."""

    step: int
    epoch: float
    inputs: np.ndarray
    outputs: np.ndarray
    targets: np.ndarray
    l1: float  # mean |output − target| per pixel over N_SCORED held-out items
    decoder_state: dict[str, np.ndarray] | None = None  # for the live model
    #: False when the data has no test split (two or three pairs): the items are training ones.
    held_out: bool = True


def images_of(t: torch.Tensor) -> np.ndarray:
    """N×C×H×W tensor → N×H×W (grey) or N×H×W×3 numpy, in [0, 1]."""
    a = t.detach().cpu().clamp(0, 1).numpy().astype(np.float32)
    return a[:, 0] if a.shape[1] == 1 else a.transpose(0, 2, 3, 1)


@dataclass(frozen=True)
class FrameItems:
    """The items a frame shows and scores: images ``x`` and, for the user's own pairs, their B
    images ``targets`` (None: the task makes its pairs from ``x``)."""

    x: torch.Tensor
    targets: torch.Tensor | None
    held_out: bool


def frame_items(data: Dataset, task: str) -> FrameItems:
    """Up to N_SCORED test items of ``data`` — its first train items when it has no test split
    (a few pairs) — with their B images for the task USER_PAIRS."""
    held_out = len(data.test_indices) > 0
    items = (data.test_indices if held_out else data.train_indices)[:N_SCORED]
    targets = None
    if task == USER_PAIRS and data.targets is not None:
        targets = torch.from_numpy(np.ascontiguousarray(data.targets[items]))
    return FrameItems(torch.from_numpy(data.images(items)), targets, held_out)


@torch.no_grad()
def take_frame(model: Pix2Pix, items: FrameItems, step: int, epoch: float,
               state: dict[str, np.ndarray] | None = None) -> TranslationFrame:
    """The frame of ``model`` (eval mode for the pass, its own mode kept) on ``items``: the
    task's inputs made from the images, or for the user's own pairs the A images themselves,
    against their targets (the images, or the B images)."""
    was_training = model.training
    model.eval()
    inputs, targets = make_pair(model.cfg.task, items.x, items.targets)
    outputs = model.translate(inputs)
    model.train(was_training)
    l1 = float((outputs - targets).abs().mean())
    n = N_PAIRS
    return TranslationFrame(step, epoch, images_of(inputs[:n]), images_of(outputs[:n]),
                            images_of(targets[:n]), l1, state, items.held_out)


# ------------------------------------------------------------------------- files
def read_pairs(path: Path, cancel: threading.Event) -> Dataset:
    """The user's own pairs at ``path`` (a folder with A/ and B/, or a .npz with A and B),
    resized to PAIRS_SIZE; DatasetError naming it and why. On any thread."""
    if not path.exists():  # said plainly: no list of every other kind of data
        raise DatasetError(f"{printable(str(path))}: no such folder or file.")
    return load_source(path, pairs=True, size=PAIRS_SIZE, cancel=cancel)


def pairs_failure(path: Path, exc: BaseException) -> str:
    """Why the pairs at ``path`` could not be opened, in one line that names it."""
    if not isinstance(exc, DatasetError):  # a bug or a resource problem
        return f"{printable(str(path))}: {type(exc).__name__}: {printable(str(exc), 2000)}."
    text = printable(str(exc), 2000)
    return text if printable(path.name) in text else f"{printable(str(path))}: {text}"


def skipped_pairs(data: Dataset, path: Path) -> tuple[str, str]:
    """One message for every file a pairs load left out, and the list with the reasons."""
    n = len(data.skipped)
    text = (f"{n:,} file{'s' if n != 1 else ''} in {printable(path.name)} had no usable "
            f"partner (none of the same name, another size, or unreadable) and "
            f"{'were' if n != 1 else 'was'} skipped; {data.n:,} pairs were loaded.")
    lines = [f"{name}: {reason}" for name, reason in data.skipped[:SKIPPED_LISTED]]
    if n > SKIPPED_LISTED:
        lines.append(f"… and {n - SKIPPED_LISTED:,} more.")
    return text, "\n".join(lines)


def read_model(path: Path, pairs: Dataset | None, name: str,
               data: Dataset | None) -> tuple[Checkpoint, str, Dataset]:
    """The pix2pix checkpoint at ``path`` and the dataset it translates, by name: the built-in
    digits of its shape (``data`` when ``name`` is theirs), or for a model of the user's own
    pairs PAIRS, the ``pairs`` open. CheckpointError naming the file otherwise. On any thread."""
    checkpoint = load_checkpoint(path, families=FAMILIES, refusal=(
        "Image translation opens pix2pix checkpoints only"))
    shape = tuple(checkpoint.meta.input_shape)
    task = checkpoint.meta.model.task
    if task == USER_PAIRS:  # the pairs it translates must be open
        if pairs is not None and pairs.input_shape == shape:
            return checkpoint, PAIRS, pairs
        now = "" if pairs is None else "; the pairs open, {}, are {}×{}×{}".format(
            pairs.name, *pairs.input_shape)
        raise CheckpointError("its model translates your own pairs of {}×{}×{} images{}: open "
                              "those pairs first (File → Open image pairs…), then the "
                              "model".format(*shape, now), path)
    if task not in TASKS:
        raise CheckpointError(f"its model's task {task!r} is none this workspace makes "
                              f"({', '.join(TASKS)})", path)
    recorded = checkpoint.meta.data.get("source")
    # The data it records when this workspace has it (the MNIST sample), else any of its shape.
    known = (recorded if isinstance(recorded, str) and SHAPES.get(recorded) == shape
             else next((n for n, s in SHAPES.items() if s == shape), None))
    if known is None:
        raise CheckpointError("its model translates {}×{}×{} images; this workspace has "
                              "digits at 1×28×28 and 1×8×8".format(*shape), path)
    use = data if known == name and data is not None else load_translation_data(known)
    return checkpoint, known, use


# ------------------------------------------------------------------------- the pad
def pad_problem(model: Pix2Pix | None, task: str) -> str:
    """Why the pad cannot draw ``model``'s inputs for ``task`` ('' when it can)."""
    if model is None:
        return PAD_REFUSED
    if task == USER_PAIRS and model.input_shape[0] != 1:
        return PAD_NO_COLOUR
    if task not in DRAWABLE:
        return (f"The drawing pad draws edges or inpainting inputs; {TASKS[task]} inputs are "
                "not drawn.")
    return ""


def blank_canvas(height: int, width: int, task: str) -> np.ndarray:
    """An empty input: black, with inpainting's grey hidden box."""
    canvas = np.zeros((height, width), dtype=np.float32)
    if task == "inpaint":
        rows, cols = hidden_box(height, width)
        canvas[rows, cols] = HIDDEN_VALUE
    return canvas


def locked_pixels(canvas: np.ndarray, task: str) -> np.ndarray | None:
    """The hidden box of an inpainting input: drawn strokes leave it grey."""
    if task != "inpaint":
        return None
    rows, cols = hidden_box(*canvas.shape)
    locked = np.zeros(canvas.shape, dtype=bool)
    locked[rows, cols] = True
    return locked
