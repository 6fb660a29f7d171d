"""Fetch files over HTTP(S) into a folder: resumable, cancellable, checksummed and atomic.

Standard library only (urllib), so a frozen app carries nothing extra; Qt-free, so the GUI runs
:func:`fetch_files` on a worker thread and turns :class:`Progress` reports into signals.

Each file is written to ``<name>.part`` and renamed into place only once its MD5 matches, so the
final name never holds a partial or wrong file. An interrupted or cancelled ``.part`` stays for the
next attempt, which asks the server for the rest (HTTP Range); a bad checksum removes it.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import socket
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from latentlab import __version__
from latentlab.core.data.dataset import DatasetError
from latentlab.core.data.download_cache import (
    MARKER_NAME,
    PART_SUFFIX,
    is_verified,
    record_verified,
)

DEFAULT_TIMEOUT = 10.0
CHUNK_SIZE = 64 * 1024
#: Records size, mtime and MD5 of verified files, so a cached dataset is not re-hashed each launch.
USER_AGENT = f"latentlab/{__version__} (Python urllib)"

# Failing to connect for these reasons usually means no network at all, not a broken server.
_OFFLINE_ERRNOS = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.ECONNREFUSED}


class DownloadError(DatasetError):
    """A file could not be fetched; the message names the file, the URL and the reason.

    ``offline`` is true when no connection could be made at all (the host name did not resolve,
    the network was unreachable, the connection was refused or timed out), so the GUI can say
    "you appear to be offline" and offer local files instead.
    """

    def __init__(self, message: str, *, filename: str = "", url: str = "", reason: str = "",
                 offline: bool = False) -> None:
        super().__init__(message)
        self.filename = filename
        self.url = url
        self.reason = reason
        self.offline = offline


class DownloadCancelled(Exception):
    """The cancel event was set. Finished files stay; the unfinished one stays as ``.part``."""


@dataclass(frozen=True)
class RemoteFile:
    """One file to fetch: its name in the folder, its published MD5, and URLs tried in order."""

    filename: str
    md5: str
    urls: tuple[str, ...]
    #: Expected size in bytes: only a hint for the overall total until the server says.
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


# --- errors --------------------------------------------------------------------------------------


def _describe(exc: BaseException, timeout: float) -> tuple[str, bool]:
    """A plain reason for a network failure, and whether it looks like being offline."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"the server answered HTTP {exc.code} {exc.reason}", False
    if isinstance(exc, urllib.error.URLError):
        # urllib wraps failures while connecting and sending; nothing was received yet.
        reason = exc.reason
        if isinstance(reason, socket.gaierror):
            return "the host name could not be resolved", True
        if isinstance(reason, TimeoutError):
            return f"could not connect within {timeout:g} s", True
        if isinstance(reason, ssl.SSLError):
            return f"the secure connection failed ({reason})", False
        if isinstance(reason, ConnectionRefusedError):
            return "the connection was refused", True
        if isinstance(reason, OSError):
            return (f"could not connect ({reason.strerror or reason})",
                    reason.errno in _OFFLINE_ERRNOS)
        return f"could not connect ({reason})", False
    if isinstance(exc, TimeoutError):
        return f"the server sent nothing for {timeout:g} s (timed out)", False
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without answering", False
    if isinstance(exc, http.client.HTTPException):
        return f"the transfer broke off ({type(exc).__name__}: {exc})", False
    if isinstance(exc, OSError):
        return f"the connection failed ({exc.strerror or exc})", False
    return str(exc), False


def _error(file: RemoteFile, url: str, reason: str, offline: bool = False) -> DownloadError:
    return DownloadError(f"{file.filename}: download from {url} failed: {reason}.",
                         filename=file.filename, url=url, reason=reason, offline=offline)


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


class _Fetch:
    """One call of :func:`fetch_files`: the opener, the callbacks and the running totals."""

    def __init__(self, files: Sequence[RemoteFile], folder: Path,
                 progress: ProgressCallback | None, cancel: threading.Event | None,
                 timeout: float) -> None:
        self.files = files
        self.folder = folder
        self.progress = progress
        self.cancel = cancel
        self.timeout = timeout
        # A fresh opener reads the proxy settings of the environment as they are now.
        self.opener = urllib.request.build_opener()
        self.sizes: list[int | None] = [file.size for file in files]
        self.done_before = 0  # bytes of the files already finished

    def check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise DownloadCancelled("The download was cancelled.")

    def report(self, index: int, file_done: int, file_total: int | None) -> None:
        if file_total is not None:
            self.sizes[index] = file_total
        if self.progress is None:
            return
        total = None if None in self.sizes else sum(s for s in self.sizes if s is not None)
        self.progress(Progress(self.files[index].filename, index, len(self.files), file_done,
                               file_total, self.done_before + file_done, total))

    def open(self, url: str, start: int) -> http.client.HTTPResponse:
        headers = {"User-Agent": USER_AGENT}
        if start:
            headers["Range"] = f"bytes={start}-"
        request = urllib.request.Request(url, headers=headers)
        return self.opener.open(request, timeout=self.timeout)

    def open_resuming(self, url: str, part: Path) -> tuple[http.client.HTTPResponse, int]:
        """A response and the offset its body starts at (0 unless the server honours Range)."""
        start = part.stat().st_size if part.is_file() else 0
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
            part.unlink(missing_ok=True)
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
        reasons = "; ".join(f"{e.url}: {e.reason}" for e in failures)
        raise DownloadError(f"{file.filename}: no mirror could supply it ({reasons}).",
                            filename=file.filename, url=failures[-1].url,
                            reason=failures[-1].reason, offline=all(e.offline for e in failures))

    def fetch_from(self, index: int, url: str) -> None:
        file = self.files[index]
        part = self.folder / (file.filename + PART_SUFFIX)
        try:
            response, start = self.open_resuming(url, part)
            with response:
                length = _content_length(response)
                total = None if length is None else start + length
                self.report(index, start, total)
                received, got = self.copy_body(response, part, start, index, total)
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, urllib.error.HTTPError):
                exc.close()
            reason, offline = _describe(exc, self.timeout)
            raise _error(file, url, reason, offline) from None
        if length is not None and received < length:
            raise _error(file, url, f"the connection closed after {start + received:,} of "
                                    f"{start + length:,} bytes (truncated transfer)")
        if got != file.md5:
            part.unlink(missing_ok=True)
            raise _error(file, url, f"checksum mismatch (MD5 {got}, expected {file.md5}); "
                                    "the file was discarded")
        final = self.folder / file.filename
        os.replace(part, final)
        record_verified(self.folder, final, file.md5)

    def copy_body(self, response: http.client.HTTPResponse, part: Path, start: int,
                  index: int, total: int | None) -> tuple[int, str]:
        """Write the body to ``part`` after its first ``start`` bytes, chunk by chunk.

        Returns the bytes received and the MD5 of the whole ``part``.
        """
        received = 0
        try:
            digest = hashlib.md5(part.read_bytes() if start else b"", usedforsecurity=False)
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
                _write(out, part, chunk)
                digest.update(chunk)
                received += len(chunk)
                self.report(index, start + received, total)
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
                timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Make ``folder`` hold every file with its published MD5, fetching only what is missing.

    Raises :class:`DownloadError` (a DatasetError) naming the file, URL and reason, or
    :class:`DownloadCancelled` once ``cancel`` is set. ``timeout`` bounds each wait for the server.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetError(f"{folder}: cannot be created ({exc.strerror or exc}).") from None
    job = _Fetch(files, folder, progress, cancel, timeout)
    cached = [is_verified(folder, file) for file in files]
    for index, file in enumerate(files):
        if cached[index]:
            job.sizes[index] = (folder / file.filename).stat().st_size
    try:
        for index, file in enumerate(files):
            if not cached[index]:
                (folder / file.filename).unlink(missing_ok=True)  # a damaged copy
                job.fetch_one(index)
            size = (folder / file.filename).stat().st_size
            job.report(index, size, size)
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


# --- offline probe -------------------------------------------------------------------------------


def appears_offline(urls: Iterable[str], timeout: float = 3.0) -> bool:
    """True when no host behind ``urls`` (or the proxy in use) accepts a TCP connection.

    A cheap check the GUI can run before offering downloads; False when there is nothing to ask.
    """
    proxies = urllib.request.getproxies()
    endpoints: dict[tuple[str, int], None] = {}
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        if not parts.hostname:
            continue
        proxy = proxies.get(parts.scheme)
        if proxy and not urllib.request.proxy_bypass(parts.hostname):
            parts = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if parts.hostname:
            default_port = 443 if parts.scheme == "https" else 80
            endpoints[(parts.hostname, parts.port or default_port)] = None
    if not endpoints:
        return False
    for host, port in endpoints:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return False
        except OSError:
            continue
    return True
