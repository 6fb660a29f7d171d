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

from latentlab.config_train import MAX_SEED

if TYPE_CHECKING:
    from latentlab.core.data.source import DataSource

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
#: Vocabulary sizes beyond this are no bag of words a model could take.
MAX_WORDS = 1_000_000
CHECKPOINT_NAME = "checkpoint.safetensors"
#: Loader options the data flags set: ``load_source`` keyword → the flag's attribute.
DATA_OPTIONS = {
    "test_fraction": "test_fraction", "seed": "split_seed", "size": "size", "mode": "mode",
    "max_words": "max_words", "images_key": "images_key", "labels_key": "labels_key",
    "text_column": "text_column", "label_column": "label_column", "pairs": "pairs",
}
#: Items a load skipped that the command line lists (the rest are counted).
SKIPPED_SHOWN = 10


class CommandError(Exception):
    """Ends a command with a one-line message on stderr and an exit code (1 unless usage)."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


class StatusLine:
    """A progress line on ``stream``: redrawn in place on a terminal, else one line each."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()

    def write(self, line: str) -> None:
        self.stream.write(f"\r{line}\033[K" if self.tty else line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()


def usage_error(message: str) -> CommandError:
    return CommandError(message, EXIT_USAGE)


# ------------------------------------------------------------------------------------ data
def data_options(args: argparse.Namespace) -> dict[str, Any]:
    options = {option: getattr(args, attribute) for option, attribute in DATA_OPTIONS.items()
               if getattr(args, attribute, None) is not None}
    if "test_fraction" in options and not 0 <= options["test_fraction"] < 1:
        raise usage_error(f"--test-fraction must lie in [0, 1) (got {options['test_fraction']}).")
    if "size" in options and not 1 <= options["size"] <= 1024:
        raise usage_error(f"--image-size must lie in 1…1024 (got {options['size']}).")
    if "max_words" in options and not 1 <= options["max_words"] <= MAX_WORDS:
        raise usage_error(f"--max-words must lie in 1…{MAX_WORDS:,} (got "
                          f"{options['max_words']:,}).")
    if "seed" in options and not 0 <= options["seed"] <= MAX_SEED:
        raise usage_error(f"--split-seed must lie in 0…{MAX_SEED:,} (got {options['seed']:,}).")
    return options


def load_data(source: DataSource, progress: TextIO | None = None) -> Any:
    """The dataset ``source`` names; CommandError (exit 1) names the file and the reason.
    A download (nothing else) reports its progress on ``progress``."""
    from latentlab.core.data import DatasetError
    from latentlab.core.data.catalogue import is_cached

    downloads = source.is_catalogue and not is_cached(source.location, source.cache_dir)
    report = _download_progress(progress) if downloads else None
    try:
        data = source.load(progress=report)
    except DatasetError as exc:  # DownloadError included
        raise CommandError(str(exc)) from None
    except (OSError, ValueError) as exc:  # a loader's own checks (say, an image size)
        name = getattr(exc, "filename", None) or source.location
        reason = getattr(exc, "strerror", None) or str(exc)
        raise CommandError(f"{name}: {reason}") from None
    report_skipped(data, sys.stderr if progress is None else progress)
    return data


def report_skipped(data: Any, stream: TextIO) -> None:
    """Which items a load skipped and why: the first few, then a count."""
    from latentlab.core.files.safe_io import printable

    if not data.skipped:
        return
    n = len(data.skipped)
    lines = [f"{data.name}: skipped {n:,} item{'s' if n != 1 else ''}:"]
    lines += [f"  {printable(name)}: {printable(reason)}"
              for name, reason in data.skipped[:SKIPPED_SHOWN]]
    if n > SKIPPED_SHOWN:
        lines.append(f"  … and {n - SKIPPED_SHOWN:,} more")
    stream.write("\n".join(lines) + "\n")
    stream.flush()


def _download_progress(stream: TextIO | None) -> Callable[[Any], None] | None:
    """Progress lines on ``stream``: a few a second on a terminal, one every 5 s otherwise, and
    the completed line once (reports at 100 % may keep coming: never a line for each)."""
    if stream is None:
        return None
    tty = stream.isatty()
    last = [0.0]
    finished = [False]

    def report(p: Any) -> None:
        now = time.monotonic()
        done = p.fraction is not None and p.fraction >= 1
        if done:
            if finished[0]:
                return
            finished[0] = True
        elif now - last[0] < (0.2 if tty else 5.0):
            return
        last[0] = now
        share = "" if p.fraction is None else f" ({p.fraction:.0%})"
        line = f"{p.text}{share}"
        stream.write(("\r" + line + "\033[K") if tty else line + "\n")
        if tty and done:
            stream.write("\n")
        stream.flush()

    return report


def checkpoint_path(name: str) -> Path:
    """The checkpoint a command names: a file, or the folder ``train --out`` wrote (its
    checkpoint.safetensors, or its only .safetensors file)."""
    from latentlab.core.files.checkpoint import SUFFIX

    path = Path(name).expanduser()
    if not path.is_dir():
        return path
    if (path / CHECKPOINT_NAME).is_file():
        return path / CHECKPOINT_NAME
    found = sorted(p for p in path.glob(f"*{SUFFIX}") if p.is_file())
    if len(found) == 1:
        return found[0]
    what = "no" if not found else f"{len(found)}"
    raise CommandError(f"{path}: a folder with {what} {SUFFIX} checkpoints; name the file.")


def recorded_source(checkpoint: Any, args: argparse.Namespace) -> str:
    """The data a checkpoint says it was trained on, if the user lets it be read.

    A checkpoint is only a file: its recorded path is a hint, never followed silently (it could
    name any folder on the machine). A catalogue name is safe; a path needs ``--data`` or
    ``--trust-source``, and a relative one is taken from the checkpoint's folder.
    """
    from latentlab.core.data.source import is_catalogue_name
    from latentlab.core.files.safe_io import printable

    path = checkpoint.path
    source = checkpoint.meta.data.get("source")
    if not source:
        raise usage_error(f"{path}: the checkpoint does not say where its data came from; "
                          "give --data SOURCE.")
    if is_catalogue_name(source):
        return source
    location = Path(path).parent / Path(source).expanduser()  # absolute paths stay as they are
    if not args.trust_source:
        raise usage_error(f"{path}: was trained on {printable(str(location))} (as the file "
                          "says); give --data with that path to use it, or --trust-source.")
    return str(location)


def checkpoint_and_data(args: argparse.Namespace, device_name: str) -> tuple[Any, Any, str]:
    """Load the checkpoint and its data (``--data``, or with ``--trust-source`` the source
    recorded in it) and check that they fit each other; the model is moved to the device."""
    from latentlab.core.data.source import DataSource
    from latentlab.core.files.checkpoint import CheckpointError, check_matches, load_checkpoint
    from latentlab.core.training.device import resolve_device

    path = checkpoint_path(args.checkpoint)
    try:
        checkpoint = load_checkpoint(path)
    except CheckpointError as exc:
        raise CommandError(str(exc)) from None
    options = data_options(args)
    source = args.data if args.data is not None else recorded_source(checkpoint, args)
    if _same_source(source, checkpoint.meta.data.get("source")):
        # Load it as it was loaded for training; only options the flags could have given.
        recorded = checkpoint.meta.data.get("options")
        if isinstance(recorded, dict):
            options = {**{k: v for k, v in recorded.items() if k in DATA_OPTIONS}, **options}
    try:
        data_source = DataSource.parse(source, **options)
    except (TypeError, ValueError) as exc:
        raise CommandError(f"{path}: its recorded data options cannot be used ({exc}).") from None
    data = load_data(data_source, sys.stderr)
    if checkpoint.meta.model.family == "cyclegan":  # the pair it was trained on, or the flags'
        from latentlab.cli.domains import domain_spec, make_domains

        spec = domain_spec(args) if hasattr(args, "data_b") else None
        recorded = checkpoint.meta.data.get("domains")
        if spec is None and not isinstance(recorded, dict):
            raise CommandError(f"{path}: a CycleGAN's second domain is not recorded; give it "
                               "(--data-b, --derive-b or --classes-a/-b).")
        data = make_domains(data, source, spec or recorded)
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


def without_encoder(family: str) -> str:
    """A model of ``family`` that has no encoder, for messages: "a plain GAN" (an InfoGAN's Q
    head is an encoder), "a pix2pix model"."""
    from latentlab.core.files.checkpoint_meta import family_noun

    return "a plain GAN" if family == "gan" else family_noun(family)


def _same_source(source: str, recorded: str | None) -> bool:
    if recorded is None:
        return False
    if source == recorded:
        return True
    try:
        return Path(source).expanduser().resolve() == Path(recorded).expanduser().resolve()
    except (OSError, RuntimeError):  # a link loop
        return False


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



