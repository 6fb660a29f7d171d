"""Atomic file writes: a temporary file in the target's folder, flushed, then renamed over it.

A reader (or a crash, or a full disk) never sees half a file, and a write that fails leaves any
existing file exactly as it was.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from latentlab.core.files.safe_io import read_limited


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; return the absolute path written.

    Missing parent folders are created. Raises OSError (with the path concerned in
    ``filename``) when the folder cannot be made or written, or when ``path`` is a folder; no
    temporary file is left behind.
    """

    def write(handle: BinaryIO) -> None:
        handle.write(data)

    return write_atomic_with(path, write)


def write_atomic_with(path: str | Path, write: Callable[[BinaryIO], object]) -> Path:
    """``write_atomic`` for a writer that streams into the open temporary file."""
    path = Path(os.path.abspath(Path(path).expanduser()))
    if path.is_dir():
        raise IsADirectoryError(21, "is a folder", str(path))
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
    # 0o666 before the umask: the file gets the permissions any newly created file would.
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    except OSError as exc:  # name the folder that refused, not the temporary file
        raise OSError(exc.errno, exc.strerror, str(folder)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if path.is_file():
            with contextlib.suppress(OSError):
                shutil.copymode(path, tmp)  # keep the permissions of the file being replaced
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _sync_folder(folder)
    return path


def _sync_folder(folder: Path) -> None:
    """Make the rename durable where the platform allows (POSIX); harmless elsewhere."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic_or_explain(path: Path, data: bytes) -> Path:
    """``write_atomic``, whose failure is a ValueError saying where, why, and that nothing
    changed (callers re-raise it as their own error class)."""
    existed = path.exists()
    try:
        return write_atomic(path, data)
    except OSError as exc:
        where = exc.filename or path.parent
        kept = "the existing file is unchanged" if existed else "nothing was written"
        raise ValueError(f"cannot write into {where} ({describe_os_error(exc)}); {kept}") from None


def read_bytes_or_explain(path: Path, what: str, limit: int) -> bytes:
    """A regular file's bytes, at most ``limit`` of them, or a ValueError saying why not
    (``what``: "a checkpoint", "a lab")."""
    try:
        if path.is_dir():
            raise ValueError(f"is a folder, not {what} file")
        return read_limited(path, limit, f"{what.split(' ', 1)[-1]} files")
    except FileNotFoundError:
        raise ValueError("no such file") from None
    except OSError as exc:
        raise ValueError(f"cannot be read ({describe_os_error(exc)})") from None


def describe_os_error(exc: OSError) -> str:
    """The reason in an OSError, without Python's "[Errno 13]" decoration."""
    return exc.strerror or str(exc) or type(exc).__name__
