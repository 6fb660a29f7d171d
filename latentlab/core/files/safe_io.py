"""Reading files that a user, a lab or a checkpoint names, as if they might be hostile.

- Only regular files are read: a device (``/dev/zero``), a FIFO or a socket is refused by name
  (opening with ``O_NONBLOCK`` so that even a FIFO without a writer cannot hang the open).
- Every read has a stated bound; a file over it is refused before it is read.
- Loading has a memory budget (:func:`memory_budget`): a loader compares what the data will
  need — declared by a header, or discovered while streaming — against it before allocating.

The refusals are ``OSError`` subclasses with a plain ``strerror``, so the readers' existing
"``NAME: cannot be read (reason)``" handling gives a one-line message naming the file.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import BinaryIO

#: Environment variable that sets the loading memory budget ("2G", "512M", or bytes).
BUDGET_ENV = "LATENTLAB_MEMORY_BUDGET"
#: The default budget is this share of the machine's physical memory.
BUDGET_SHARE = 0.25
_FALLBACK_BUDGET = 2 << 30  # when the machine's memory cannot be read
#: Compressed data inflating more than this is refused as a decompression bomb: real image
#: data compresses a few-fold (MNIST about 5×), gzip's ceiling is about 1,000×, reached only
#: by runs of one byte value. Checked once the output passes INFLATION_CHECKED_FROM bytes.
MAX_INFLATION = 200
INFLATION_CHECKED_FROM = 64 << 20
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISSOCK, "a socket"))


class RefusedFile(OSError):
    """A file that is not read: not a regular file, or larger than the bound for its kind."""

    def __init__(self, reason: str, path: str | Path) -> None:
        super().__init__(errno.EINVAL, reason, str(path))


def size_text(n: float) -> str:
    """Bytes for people: "931 GB", "4.0 MB", "512 bytes"."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            value = n / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:,.0f} {unit}"
    return f"{int(n)} bytes"


def _kind(mode: int) -> str | None:
    """What a non-regular file is ("a FIFO (named pipe)", …), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def check_regular(path: str | Path) -> os.stat_result:
    """``path``'s stat (symlinks followed); RefusedFile unless it is a regular file."""
    info = os.stat(path)
    kind = _kind(info.st_mode)
    if kind is not None:
        raise RefusedFile(f"is {kind}, not a regular file", path)
    return info


def open_regular(path: str | Path, limit: int | None = None, what: str = "files of this "
                 "kind") -> BinaryIO:
    """Open a regular file for binary reading; RefusedFile for anything else or, with ``limit``,
    for a file larger than ``limit`` bytes (``what`` names the kind in that message)."""
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)  # the file opened, not whatever the name points at by now
        kind = _kind(info.st_mode)
        if kind is not None:
            raise RefusedFile(f"is {kind}, not a regular file", path)
        if limit is not None and info.st_size > limit:
            raise RefusedFile(f"is {size_text(info.st_size)}; {what} are read up to "
                              f"{size_text(limit)}", path)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_limited(path: str | Path, limit: int, what: str = "files of this kind") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (a file that grows while it is
    read is cut off at the bound and refused)."""
    with open_regular(path, limit, what) as handle:
        # Ask for what the file says it holds (Python allocates what is asked for), then for
        # the rest in case it grew or, as in /proc, says 0.
        expected = min(os.fstat(handle.fileno()).st_size, limit)
        data = handle.read(expected + 1)
        if len(data) > expected:
            data += handle.read(limit + 1 - len(data))
    if len(data) > limit:
        raise RefusedFile(f"grew past {size_text(limit)} while being read; {what} are read "
                          f"up to {size_text(limit)}", path)
    return data


def parse_size(text: str) -> int:
    """ "2G", "512M", "1.5G", "1000000" → bytes; ValueError otherwise."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)i?B?\s*", text.upper())
    if not match:
        raise ValueError(f"{text!r} is not a size (say 2G, 512M or a number of bytes)")
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def physical_memory() -> int | None:
    """The machine's physical memory in bytes, or None where it cannot be read."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        pass
    try:  # Windows
        import ctypes

        class _Status(ctypes.Structure):
            _fields_ = [("length", ctypes.c_ulong), ("load", ctypes.c_ulong),
                        ("total", ctypes.c_ulonglong), ("avail", ctypes.c_ulonglong),
                        ("page_total", ctypes.c_ulonglong), ("page_avail", ctypes.c_ulonglong),
                        ("virtual_total", ctypes.c_ulonglong),
                        ("virtual_avail", ctypes.c_ulonglong), ("extended", ctypes.c_ulonglong)]

        status = _Status()
        status.length = ctypes.sizeof(_Status)
        if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):  # type: ignore
            return int(status.total)
    except (AttributeError, OSError):
        pass
    return None


def process_memory_limit() -> int | None:
    """The memory this process may use when less than the machine has: a container's (cgroup
    v2 or v1) limit or an address-space rlimit; None when nothing limits it."""
    limits = []
    for name in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = read_limited(name, 64).decode("ascii").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if text.isdigit() and int(text) < 1 << 60:  # "max" or a huge number: no limit
            limits.append(int(text))
    try:
        import resource

        for which in (resource.RLIMIT_AS, getattr(resource, "RLIMIT_DATA", resource.RLIMIT_AS)):
            soft = resource.getrlimit(which)[0]
            if soft != resource.RLIM_INFINITY and soft > 0:
                limits.append(soft)
    except (ImportError, OSError, ValueError):
        pass
    return min(limits) if limits else None


def memory_budget() -> int:
    """Bytes that loading one dataset (or building one model) may use.

    ``$LATENTLAB_MEMORY_BUDGET`` when set (an unreadable value is ignored for the default),
    else a quarter of the machine's physical memory — or of a container's or rlimit's memory
    limit when that is lower.
    """
    configured = os.environ.get(BUDGET_ENV, "").strip()
    if configured:
        try:
            return max(parse_size(configured), 1 << 20)
        except ValueError:
            pass
    known = [m for m in (physical_memory(), process_memory_limit()) if m]
    return int(min(known) * BUDGET_SHARE) if known else _FALLBACK_BUDGET


def check_budget(needed: int, name: str, what: str) -> None:
    """DatasetError naming ``name`` unless ``needed`` bytes fit the loading budget."""
    budget = memory_budget()
    if needed > budget:
        # Imported here: the data loaders import this module while their package loads.
        from latentlab.core.data.dataset import DatasetError


        origin = (f"set by ${BUDGET_ENV}" if os.environ.get(BUDGET_ENV, "").strip() else
                  f"a quarter of the memory this process may use; ${BUDGET_ENV} changes it")
        raise DatasetError(
            f"{name}: {what} would need {size_text(needed)} of memory, over the loading budget "
            f"of {size_text(budget)} ({origin}).")


def printable(text: str, limit: int = 300, lines: bool = False) -> str:
    """``text`` safe for a terminal or a one-line message: control characters (escape
    sequences, NUL, newlines unless ``lines``) written as ``\\x1b``-style escapes, and cut at
    ``limit``."""
    kept = " \n" if lines else " "
    out = "".join(c if c.isprintable() or c in kept else repr(c)[1:-1] for c in text)
    return out if len(out) <= limit else out[: limit - 1] + "…"


__all__ = [
    "BUDGET_ENV",
    "INFLATION_CHECKED_FROM",
    "MAX_INFLATION",
    "RefusedFile",
    "check_budget",
    "check_regular",
    "memory_budget",
    "open_regular",
    "parse_size",
    "physical_memory",
    "printable",
    "process_memory_limit",
    "read_limited",
    "size_text",
]
