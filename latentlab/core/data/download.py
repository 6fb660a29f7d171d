"""Fetch files over HTTP(S) into a folder: resumable, cancellable, checksummed and atomic.

Standard library only (urllib), so a frozen app carries nothing extra; Qt-free, so the GUI runs
:func:`fetch_files` on a worker thread and turns :class:`Progress` reports into signals.

Each file is written to ``<name>.part`` and renamed into place only once its MD5 matches, so the
final name never holds a partial or wrong file. An interrupted, too slow or cancelled ``.part``
stays for the next attempt, which asks the server for the rest (HTTP Range); a bad checksum or a
body longer than the expected size removes it, and so does the next attempt when the ``.part`` is
not a regular file or already holds the expected size or more.

A hostile or broken server cannot make a transfer grow or last without bound: the expected size
(:attr:`RemoteFile.size`, when known) caps what is accepted, an announced length over it is
refused before reading, and :mod:`~latentlab.core.data.download_pace` stops a transfer that is
too slow on average or runs past its deadline. Progress is reported a few times a second at most.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import stat
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from latentlab import __version__
from latentlab.core.data.dataset import DatasetError
from latentlab.core.data.download_cache import (
    MARKER_NAME,
    PART_SUFFIX,
    is_verified,
    md5_digest,
    record_verified,
)
from latentlab.core.data.download_errors import (
    DownloadCancelled,
    DownloadError,
    appears_offline,
    describe_failure,
)
from latentlab.core.data.download_pace import MIN_RATE, RATE_WINDOW, Pace, deadline_for
from latentlab.core.files.safe_io import printable

DEFAULT_TIMEOUT = 10.0
CHUNK_SIZE = 64 * 1024
#: Seconds between two progress reports at least (the first and last of a file always go out).
REPORT_INTERVAL = 0.25
USER_AGENT = f"latentlab/{__version__} (Python urllib)"


@dataclass(frozen=True)
class RemoteFile:
    """One file to fetch: its name in the folder, its published MD5, and URLs tried in order."""

    filename: str
    md5: str
    urls: tuple[str, ...]
    #: Expected size in bytes, when known: the most a server may send, and the overall total's
    #: hint until the server says.
    size: int | None = None


@dataclass(frozen=True)
class Progress:
    """One progress report: the current file (0-based ``index`` of ``count``) and the whole."""

    filename: str
    index: int
    count: int
    file_done: int
    file_total: int | None
    done: int
    total: int | None

    @property
    def fraction(self) -> float | None:
        """Overall fraction done in [0, 1], or None while the total is unknown."""
        return None if not self.total else min(self.done / self.total, 1.0)


ProgressCallback = Callable[[Progress], None]


def _error(file: RemoteFile, url: str, reason: str, offline: bool = False) -> DownloadError:
    # The reason may quote the server (an HTTP reason phrase): no control characters get through.
    reason, shown_url = printable(reason), printable(url)
    return DownloadError(f"{file.filename}: download from {shown_url} failed: {reason}.",
                         filename=file.filename, url=url, reason=reason, offline=offline)


class _Stop(Exception):
    """Ends one attempt for ``reason``; ``discard`` when what arrived is known to be wrong."""

    def __init__(self, reason: str, discard: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.discard = discard


# --- one transfer --------------------------------------------------------------------------------


def _content_range_start(response: http.client.HTTPResponse) -> int | None:
    """The first byte of a 206 answer ("bytes 100-199/200" → 100), or None if unreadable."""
    value = response.headers.get("Content-Range", "")
    unit, _, rest = value.partition(" ")
    first = rest.partition("-")[0]
    return int(first) if unit == "bytes" and first.isdigit() else None


def _content_length(response: http.client.HTTPResponse) -> int | None:
    value = response.headers.get("Content-Length", "")
    return int(value) if value.strip().isdigit() else None


def _remove(path: Path) -> None:
    """Remove a file in the download's way; DatasetError if it cannot be (a folder, say)."""
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise DatasetError(f"{path}: is in the way of the download and cannot be removed "
                           f"({exc.strerror or exc}).") from None


def _resumable(part: Path, expected: int | None) -> int:
    """Bytes of ``part`` worth extending: a regular file (not a link) shorter than the expected
    size; anything else is removed and the file starts over."""
    try:
        info = part.lstat()
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise DatasetError(f"{part}: cannot be read ({exc.strerror or exc}).") from None
    if stat.S_ISREG(info.st_mode) and (expected is None or info.st_size < expected):
        return info.st_size
    _remove(part)
    return 0


class _Fetch:
    """One call of :func:`fetch_files`: the opener, the callbacks and the running totals."""

    def __init__(self, files: Sequence[RemoteFile], folder: Path,
                 progress: ProgressCallback | None, cancel: threading.Event | None,
                 timeout: float, min_rate: float, rate_window: float,
                 deadline: float | None) -> None:
        self.files = files
        self.folder = folder
        self.progress = progress
        self.cancel = cancel
        self.timeout = timeout
        self.min_rate = min_rate
        self.rate_window = rate_window
        self.deadline = deadline
        # A fresh opener reads the proxy settings of the environment as they are now.
        self.opener = urllib.request.build_opener()
        self.sizes: list[int | None] = [file.size for file in files]
        self.done_before = 0  # bytes of the files already finished
        self.last_report = -float("inf")

    def check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise DownloadCancelled("The download was cancelled.")

    def report(self, index: int, file_done: int, file_total: int | None,
               force: bool = False) -> None:
        """Send a progress report, unless one went out less than REPORT_INTERVAL ago and this
        one is not ``force``d (the first and the last of a file are)."""
        if file_total is not None:
            self.sizes[index] = file_total
        if self.progress is None:
            return
        now = time.monotonic()
        if not force and now - self.last_report < REPORT_INTERVAL:
            return
        self.last_report = now
        total = None if None in self.sizes else sum(s for s in self.sizes if s is not None)
        self.progress(Progress(self.files[index].filename, index, len(self.files), file_done,
                               file_total, self.done_before + file_done, total))

    def open(self, url: str, start: int) -> http.client.HTTPResponse:
        headers = {"User-Agent": USER_AGENT}
        if start:
            headers["Range"] = f"bytes={start}-"
        request = urllib.request.Request(url, headers=headers)
        return self.opener.open(request, timeout=self.timeout)

    def open_resuming(self, url: str, part: Path, expected: int | None
                      ) -> tuple[http.client.HTTPResponse, int]:
        """A response and the offset its body starts at (0 unless the server honours Range)."""
        start = _resumable(part, expected)
        if start:
            try:
                response = self.open(url, start)
            except urllib.error.HTTPError as exc:
                if exc.code != 416:  # 416: the .part is not a prefix we can extend
                    raise
                exc.close()
            else:
                if response.status == 206 and _content_range_start(response) == start:
                    return response, start
                if response.status != 206:
                    return response, 0  # Range ignored: the whole file follows, start over
                response.close()  # some other piece of the file: useless
            _remove(part)
        return self.open(url, 0), 0

    def fetch_one(self, index: int) -> None:
        file = self.files[index]
        if not file.urls:
            raise DownloadError(f"{file.filename}: no download address is configured.",
                                filename=file.filename, reason="no mirror")
        failures: list[DownloadError] = []
        for url in file.urls:
            self.check_cancel()
            try:
                self.fetch_from(index, url)
                return
            except DownloadError as exc:
                failures.append(exc)
        if len(failures) == 1:
            raise failures[0]
        reasons = "; ".join(f"{printable(e.url)}: {e.reason}" for e in failures)
        raise DownloadError(f"{file.filename}: no mirror could supply it ({reasons}).",
                            filename=file.filename, url=failures[-1].url,
                            reason=failures[-1].reason, offline=all(e.offline for e in failures))

    def fetch_from(self, index: int, url: str) -> None:
        file = self.files[index]
        part = self.folder / (file.filename + PART_SUFFIX)
        deadline = self.deadline if self.deadline is not None else deadline_for(file.size,
                                                                                self.min_rate)
        pace = Pace(self.min_rate, self.rate_window, deadline)
        try:
            response, start = self.open_resuming(url, part, file.size)
            with response:
                length = _content_length(response)
                total = None if length is None else start + length
                if total is not None and file.size is not None and total > file.size:
                    raise _Stop(f"the server announced {total:,} bytes, more than the expected "
                                f"{file.size:,}; nothing was read")
                self.report(index, start, total, force=True)
                pace.begin()
                received, got = self.copy_body(response, part, start, index, total, pace)
        except _Stop as stop:
            if stop.discard:
                part.unlink(missing_ok=True)
            raise _error(file, url, stop.reason) from None
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, urllib.error.HTTPError):
                exc.close()
            reason, offline = describe_failure(exc, self.timeout)
            raise _error(file, url, reason, offline) from None
        expected = total if total is not None else file.size
        if expected is not None and start + received < expected:  # the .part stays, to resume
            raise _error(file, url, f"the connection closed after {start + received:,} of "
                                    f"{expected:,} bytes (truncated transfer)")
        if got != file.md5:
            part.unlink(missing_ok=True)
            raise _error(file, url, f"checksum mismatch (MD5 {got}, expected {file.md5}); "
                                    "the file was discarded")
        final = self.folder / file.filename
        os.replace(part, final)
        record_verified(self.folder, final, file.md5)

    def copy_body(self, response: http.client.HTTPResponse, part: Path, start: int,
                  index: int, total: int | None, pace: Pace) -> tuple[int, str]:
        """Write the body to ``part`` after its first ``start`` bytes, chunk by chunk, never
        past the expected size.

        Returns the bytes received and the MD5 of the whole ``part``; raises _Stop when the
        body outgrows the expected size or ``pace`` says it is too slow.
        """
        limit = self.files[index].size
        received = 0
        try:
            # A running MD5 that already holds the bytes being extended.
            digest = md5_digest(part) if start else hashlib.md5(usedforsecurity=False)
            out = part.open("ab" if start else "wb")
        except OSError as exc:
            raise DatasetError(f"{part}: cannot be written ({exc.strerror or exc}).") from None
        with out:
            while True:
                self.check_cancel()
                # read1 returns what has arrived, so cancel and progress stay responsive.
                chunk = response.read1(CHUNK_SIZE)
                if not chunk:
                    break
                if limit is not None and start + received + len(chunk) > limit:
                    raise _Stop(f"the server sent more than the expected {limit:,} bytes; "
                                "the file was discarded", discard=True)
                _write(out, part, chunk)
                digest.update(chunk)
                received += len(chunk)
                reason = pace.check(received)
                if reason is not None:
                    raise _Stop(reason)
                # The first bytes show at once that the transfer has started.
                self.report(index, start + received, total, force=received == len(chunk))
            _write(out, part, b"")
        return received, digest.hexdigest()


def _write(out: BinaryIO, part: Path, chunk: bytes) -> None:
    """Write ``chunk``, or (when empty) flush to disk; a full disk is not a network error."""
    try:
        if chunk:
            out.write(chunk)
        else:
            out.flush()
            os.fsync(out.fileno())  # the rename that follows must not publish unwritten data
    except OSError as exc:
        raise DatasetError(f"{part}: cannot be written ({exc.strerror or exc}).") from None


def fetch_files(files: Sequence[RemoteFile], folder: str | Path, *,
                progress: ProgressCallback | None = None,
                cancel: threading.Event | None = None,
                timeout: float = DEFAULT_TIMEOUT, min_rate: float = MIN_RATE,
                rate_window: float = RATE_WINDOW, deadline: float | None = None) -> Path:
    """Make ``folder`` hold every file with its published MD5, fetching only what is missing.

    Raises :class:`DownloadError` (a DatasetError) naming the file, URL and reason, or
    :class:`DownloadCancelled` once ``cancel`` is set. ``timeout`` bounds each wait for the server;
    an attempt fails when a ``rate_window`` (seconds) brings fewer than ``min_rate`` bytes a
    second on average (0: no minimum), or when it takes longer than ``deadline`` seconds (None:
    the file's expected size at ``min_rate``, plus a minute).
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetError(f"{folder}: cannot be created ({exc.strerror or exc}).") from None
    job = _Fetch(files, folder, progress, cancel, timeout, min_rate, rate_window, deadline)
    cached = [is_verified(folder, file) for file in files]
    for index, file in enumerate(files):
        if cached[index]:
            job.sizes[index] = (folder / file.filename).stat().st_size
    try:
        for index, file in enumerate(files):
            if not cached[index]:
                _remove(folder / file.filename)  # a damaged copy
                job.fetch_one(index)
            size = (folder / file.filename).stat().st_size
            job.report(index, size, size, force=True)
            job.done_before += size
    except (DownloadError, DownloadCancelled):
        _remove_if_empty(folder)
        raise
    return folder


def _remove_if_empty(folder: Path) -> None:
    """Leave no empty folder behind a download that failed before writing anything."""
    try:
        leftovers = [p for p in folder.iterdir() if p.name != MARKER_NAME]
        if not leftovers:
            (folder / MARKER_NAME).unlink(missing_ok=True)
            folder.rmdir()
    except OSError:
        pass


__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_TIMEOUT",
    "MIN_RATE",
    "RATE_WINDOW",
    "DownloadCancelled",
    "DownloadError",
    "Progress",
    "ProgressCallback",
    "RemoteFile",
    "appears_offline",
    "fetch_files",
]
