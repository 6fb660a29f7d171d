"""What the commands share: exit codes, the one-line error, loading the data a command names
(with download progress), a checkpoint with its data, and output folders.

Heavy modules (torch, the core) are imported inside the functions, so that importing this
module costs nothing for ``latentlab --version``.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from latentlab.core.data.source import DataSource

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
CHECKPOINT_NAME = "checkpoint.safetensors"
#: Loader options the data flags set (``load_source`` keyword → flag).
DATA_OPTIONS = {
    "test_fraction": "--test-fraction", "seed": "--split-seed", "size": "--image-size",
    "mode": "--colour", "max_words": "--max-words", "images_key": "--images-key",
    "labels_key": "--labels-key", "text_column": "--text-column", "label_column": "--label-column",
}


class CommandError(Exception):
    """Ends a command with a one-line message on stderr and an exit code (1 unless usage)."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


def usage_error(message: str) -> CommandError:
    return CommandError(message, EXIT_USAGE)


# ------------------------------------------------------------------------------------ data
def data_options(args: argparse.Namespace) -> dict[str, Any]:
    options = {k: getattr(args, k) for k in DATA_OPTIONS if getattr(args, k, None) is not None}
    if "test_fraction" in options and not 0 <= options["test_fraction"] < 1:
        raise usage_error(f"--test-fraction must lie in [0, 1) (got {options['test_fraction']}).")
    if "size" in options and not 1 <= options["size"] <= 1024:
        raise usage_error(f"--image-size must lie in 1…1024 (got {options['size']}).")
    if "max_words" in options and options["max_words"] < 1:
        raise usage_error(f"--max-words must be at least 1 (got {options['max_words']}).")
    return options


def load_data(source: DataSource, progress: TextIO | None = None) -> Any:
    """The dataset ``source`` names; CommandError (exit 1) names the file and the reason.
    A download (nothing else) reports its progress on ``progress``."""
    from latentlab.core.data import DatasetError
    from latentlab.core.data.catalogue import is_cached

    downloads = source.is_catalogue and not is_cached(source.location, source.cache_dir)
    report = _download_progress(progress) if downloads else None
    try:
        return source.load(progress=report)
    except DatasetError as exc:  # DownloadError included
        raise CommandError(str(exc)) from None
    except (OSError, ValueError) as exc:  # a loader's own checks (say, an image size)
        name = getattr(exc, "filename", None) or source.location
        reason = getattr(exc, "strerror", None) or str(exc)
        raise CommandError(f"{name}: {reason}") from None


def _download_progress(stream: TextIO | None) -> Callable[[Any], None] | None:
    if stream is None:
        return None
    tty = stream.isatty()
    last = [0.0]

    def report(p: Any) -> None:
        now = time.monotonic()
        done = p.fraction is not None and p.fraction >= 1
        if not done and now - last[0] < (0.2 if tty else 5.0):
            return
        last[0] = now
        share = "" if p.fraction is None else f" ({p.fraction:.0%})"
        line = f"{p.text}{share}"
        stream.write(("\r" + line + "\033[K") if tty else line + "\n")
        if tty and done:
            stream.write("\n")
        stream.flush()

    return report


def checkpoint_and_data(args: argparse.Namespace, device_name: str) -> tuple[Any, Any, str]:
    """Load the checkpoint and its data (``--data`` or the source recorded in it) and check
    that they fit each other; the model is moved to the device."""
    from latentlab.core.data.source import DataSource
    from latentlab.core.files.checkpoint import CheckpointError, check_matches, load_checkpoint
    from latentlab.core.training.device import resolve_device

    path = Path(args.checkpoint).expanduser()
    try:
        checkpoint = load_checkpoint(path)
    except CheckpointError as exc:
        raise CommandError(str(exc)) from None
    options = data_options(args)
    recorded_source = checkpoint.meta.data.get("source")
    source = args.data if args.data is not None else recorded_source
    if not source:
        raise usage_error(f"{path}: the checkpoint does not say where its data came from; "
                          "give --data SOURCE.")
    if _same_source(source, recorded_source):  # load it as it was loaded for training
        recorded = checkpoint.meta.data.get("options") or {}
        options = {**{k: v for k, v in recorded.items() if k in DATA_OPTIONS}, **options}
    data = load_data(DataSource.parse(source, **options), sys.stderr)
    try:
        check_matches(checkpoint.meta, data, path)
    except CheckpointError as exc:
        raise CommandError(str(exc)) from None
    try:
        device = resolve_device(device_name)
    except RuntimeError as exc:
        raise CommandError(str(exc)) from None
    checkpoint.model.to(device).eval()
    return checkpoint, data, source


def _same_source(source: str, recorded: str | None) -> bool:
    if recorded is None:
        return False
    if source == recorded:
        return True
    return Path(source).expanduser().resolve() == Path(recorded).expanduser().resolve()


# ---------------------------------------------------------------------------- output folders
def prepare_out_dir(out: Path, files: tuple[str, ...], force: bool) -> bool:
    """Refuse to overwrite unless forced, create the folder, prove it is writable: all before
    any long work, so a run never fails at its end for want of a place to write. Returns
    whether the folder was created (``remove_if_empty`` takes it back after a failure)."""
    if out.exists() and not out.is_dir():
        raise CommandError(f"{out}: exists and is not a folder.")
    if not force:
        taken = [name for name in files if (out / name).exists()]
        if taken:
            raise CommandError(f"{out / taken[0]}: already exists; pass --force to replace "
                               f"{'it' if len(taken) == 1 else 'them'}, or choose another --out.")
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        remove_if_empty(out, created)
        raise CommandError(f"{out}: cannot write there ({exc.strerror or exc}).") from None
    return created


def remove_if_empty(folder: Path, created: bool) -> None:
    if created:
        with contextlib.suppress(OSError):
            folder.rmdir()  # only succeeds while empty



def duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
