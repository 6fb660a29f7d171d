"""Reading checkpoints and lab files off the lab's thread, so that no file can hold it up.

A read runs on a daemon thread of its own, which the job waits for while polling its cancel
flag: a cancelled job ends at once and leaves the read to finish alone, unheard. (The readers
themselves refuse devices, FIFOs and sockets, and bound what they read.)
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from latentlab.config import NOT_IN_WINDOW, WINDOW_FAMILIES
from latentlab.core.data.source import DataSource, is_catalogue_name
from latentlab.core.files.checkpoint import (
    Checkpoint,
    CheckpointMeta,
    load_checkpoint,
    read_meta,
)
from latentlab.core.files.labfile import Lab, load_lab
from latentlab.core.files.safe_io import printable
from latentlab.lab.jobs import JobControl

T = TypeVar("T")

#: How often a job waiting for a read looks whether it was cancelled.
POLL_S = 0.05
#: A recorded path is shown whole, up to the longest path a system allows.
PATH_CHARS = 4096
#: How long opening a checkpoint waits for its header to say which model it holds (and so
#: which workspace opens it); a slower file (a hung network folder) is left to the open itself,
#: which shows its progress and can be cancelled.
PEEK_S = 2.0


class OpenCancelled(Exception):
    """The user cancelled opening a file (its read may go on, unheard)."""


class ReadTimedOut(Exception):
    """A read took longer than it was given (it may go on, unheard)."""


@dataclass(frozen=True)
class CheckpointRead:
    """A checkpoint, read; ``source`` is the dataset it records, when that exists."""

    checkpoint: Checkpoint
    source: DataSource | None


@dataclass(frozen=True)
class RecordedSource:
    """A model that does not fit the current dataset, and the dataset its checkpoint records
    having been trained on, which exists: loading that is the user's choice, never automatic."""

    path: Path  # the checkpoint
    checkpoint: Checkpoint
    source: DataSource
    reason: str  # why the model does not fit the current dataset (without the path)

    @property
    def where(self) -> str:
        """The recorded dataset as a person reads it: exactly, control characters escaped."""
        return printable(self.source.location, PATH_CHARS)


def read_checkpoint(path: Path) -> CheckpointRead:
    """The checkpoint at ``path`` and the dataset it records (on any thread); a model the
    latent maps cannot show (pix2pix) is refused, saying so. (The window's File → Open looks
    at a checkpoint's family first, ``checkpoint_family``, and sends pix2pix to Image
    translation.)"""
    checkpoint = load_checkpoint(path, families=WINDOW_FAMILIES, refusal=NOT_IN_WINDOW)
    return CheckpointRead(checkpoint, recorded_source(checkpoint.meta, path))


def checkpoint_family(path: Path, control: JobControl, wait_s: float | None = None) -> str | None:
    """The model family a checkpoint's header names ("vae", "pix2pix", …), from the header alone
    (on any thread; no weights are read, no model is built). None when the header cannot say
    within ``wait_s`` (PEEK_S) — not a checkpoint, damaged, refused, slow: the open that
    follows reads the file and says why. OpenCancelled when ``control`` is stopped."""
    try:
        return read_abandonably(lambda: read_meta(path).model.family, control,
                                printable(path.name),
                                timeout_s=PEEK_S if wait_s is None else wait_s)
    except OpenCancelled:
        raise
    except Exception:  # whatever it is, the open proper reports it, naming the file
        return None


def read_lab(path: Path) -> Lab:
    """The lab file at ``path`` (on any thread); DatasetMissing when its dataset moved."""
    return load_lab(path)


def read_abandonably(read: Callable[[], T], control: JobControl, name: str,
                     timeout_s: float | None = None) -> T:
    """``read()`` on a daemon thread: its result or its exception, or OpenCancelled as soon as
    ``control`` is stopped (ReadTimedOut once ``timeout_s`` has passed, if given). A blocked
    read (a FIFO, a hung network folder) cannot be interrupted, and neither the window nor its
    shutdown may wait for one: it is left to end alone, unheard."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    outcome: list[tuple[bool, Any]] = []
    done = threading.Event()

    def run() -> None:
        try:
            outcome.append((True, read()))
        except BaseException as exc:  # handed to the job, which reports it
            outcome.append((False, exc))
        finally:
            done.set()

    threading.Thread(target=run, name=f"latentlab-read-{name}", daemon=True).start()
    while not done.wait(POLL_S):
        if control.stop_requested:
            raise OpenCancelled(f"Opening {name} was cancelled.")
        if deadline is not None and time.monotonic() >= deadline:
            raise ReadTimedOut(f"Reading {name} took longer than {timeout_s:g} s.")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def recorded_source(meta: CheckpointMeta, path: Path) -> DataSource | None:
    """The dataset a checkpoint records, if it exists: a catalogue name, or a path (a relative
    one against the checkpoint's folder). Loader options that rebuild the model's input ride
    along: an image folder's size and colour, a corpus' vocabulary size."""
    text = meta.data.get("source")
    if not isinstance(text, str) or not text or "\0" in text:
        return None
    folder = os.path.dirname(os.path.abspath(path))
    channels, height, width = meta.input_shape
    options: dict[str, Any] = {}
    if meta.data.get("kind", "image") == "text":
        if isinstance(vocabulary := meta.data.get("vocabulary"), list):
            options["max_words"] = len(vocabulary)
    elif height == width and channels in (1, 3):
        options.update(size=int(height), mode="gray" if channels == 1 else "rgb")
    if is_catalogue_name(text, folder):
        return DataSource(text, options)
    location = os.path.normpath(os.path.join(folder, os.path.expanduser(text)))
    return DataSource(location, options) if os.path.exists(location) else None
