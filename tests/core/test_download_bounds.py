"""Downloads, the mirrors file and the cache folder against hostile and broken input: a real HTTP
server on 127.0.0.1 that sends too much or too slowly, devices, FIFOs and absurd JSON."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from latentlab.cli.common import _download_progress
from latentlab.core.data import catalogue, download_cache
from latentlab.core.data.dataset import DatasetError
from latentlab.core.data.download import DownloadError, Progress, RemoteFile, fetch_files
from latentlab.core.data.download_pace import Pace, deadline_for
from latentlab.core.data.source import LoadProgress

pytestmark = pytest.mark.filterwarnings("error::ResourceWarning",
                                        "error::pytest.PytestUnraisableExceptionWarning",
                                        "error::pytest.PytestUnhandledThreadExceptionWarning")

BODY = bytes(range(256)) * 256  # 64 KiB
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


# --- a misbehaving HTTP server -------------------------------------------------------------------


@dataclass
class Misbehaving:
    """How the server answers, and what it sent; ``mode`` may change between requests."""

    base: str = ""
    #: "ok" | "unsized" (no length, four copies) | "huge_length" | "trickle"
    mode: str = "ok"
    ranges: list[str | None] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def file(self, name: str = "blob.bin") -> RemoteFile:
        return RemoteFile(name, hashlib.md5(BODY, usedforsecurity=False).hexdigest(),
                          (f"{self.base}/{name}",), len(BODY))


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        state = self.server.state
        requested = self.headers.get("Range")
        state.ranges.append(requested)
        start = int(requested[6:-1]) if state.mode == "ok" and requested else 0
        self.send_response(206 if start else 200)
        if state.mode == "huge_length":
            self.send_header("Content-Length", str(10**12))
        elif state.mode != "unsized":
            self.send_header("Content-Length", str(len(BODY) - start))
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(BODY) - 1}/{len(BODY)}")
        self.end_headers()
        try:
            if state.mode == "unsized":  # HTTP/1.0: the body runs until the connection closes
                for _ in range(4):
                    self.wfile.write(BODY)
            elif state.mode == "huge_length":
                self.wfile.write(BODY[:100])
                self.wfile.flush()
                state.stop.wait(5)
            elif state.mode == "trickle":  # 10 bytes every 20 ms: 500 bytes/s
                for i in range(0, len(BODY), 10):
                    if state.stop.wait(0.02):
                        return
                    self.wfile.write(BODY[i:i + 10])
                    self.wfile.flush()
            else:
                self.wfile.write(BODY[start:])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up, as intended


class _Server(ThreadingHTTPServer):
    state: Misbehaving
    daemon_threads = False  # server_close() joins every handler thread


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Misbehaving]:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.state = Misbehaving(base=f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield httpd.state
    finally:
        httpd.state.stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def one_line(message: str, *names: str) -> None:
    assert "\n" not in message and "Traceback" not in message, message
    for name in names:
        assert name in message, (name, message)


# --- size, rate and deadline ---------------------------------------------------------------------


def test_a_body_longer_than_expected_is_cut_off(server: Misbehaving, tmp_path: Path) -> None:
    server.mode = "unsized"
    file = server.file()
    part = tmp_path / "blob.bin.part"
    sizes: list[int] = []

    def progress(report: Progress) -> None:
        sizes.append(part.stat().st_size if part.exists() else 0)

    with pytest.raises(DownloadError, match="more than the expected 65,536 bytes") as info:
        fetch_files([file], tmp_path, progress=progress, timeout=2)
    one_line(str(info.value), "blob.bin", file.urls[0])
    assert sizes and max(sizes) <= len(BODY)
    assert not part.exists() and not (tmp_path / "blob.bin").exists()  # known wrong: discarded


def test_an_announced_length_over_the_expected_size_is_refused(server: Misbehaving,
                                                              tmp_path: Path) -> None:
    server.mode = "huge_length"
    file = server.file()
    started = time.monotonic()
    with pytest.raises(DownloadError, match=r"announced 1,000,000,000,000 bytes, more than the "
                                            r"expected 65,536; nothing was read") as info:
        fetch_files([file], tmp_path / "set", timeout=2)
    assert time.monotonic() - started < 1.5  # refused at once, not after the stalled body
    one_line(str(info.value), "blob.bin", file.urls[0])
    assert not (tmp_path / "set").exists()


def test_a_trickling_server_is_too_slow(server: Misbehaving, tmp_path: Path) -> None:
    server.mode = "trickle"
    file = server.file()
    started = time.monotonic()
    with pytest.raises(DownloadError, match=r"the server sent \d+ bytes in [\d.]+ s, under the "
                                            r"minimum of 2\.0 kB/s") as info:
        fetch_files([file], tmp_path, timeout=2, min_rate=2000, rate_window=0.3)
    assert time.monotonic() - started < 2  # not the per-read timeout
    one_line(str(info.value), "blob.bin", file.urls[0])
    kept = (tmp_path / "blob.bin.part").stat().st_size
    assert 0 < kept < len(BODY)  # interrupted, so kept for the next attempt


def test_a_deadline_ends_a_transfer_that_then_resumes(server: Misbehaving,
                                                      tmp_path: Path) -> None:
    server.mode = "trickle"
    file = server.file()
    with pytest.raises(DownloadError, match=r"did not finish within 0\.4 s") as info:
        fetch_files([file], tmp_path, timeout=2, min_rate=0, deadline=0.4)
    one_line(str(info.value), "blob.bin", file.urls[0])
    kept = (tmp_path / "blob.bin.part").stat().st_size
    assert 0 < kept < len(BODY)
    server.mode = "ok"
    fetch_files([file], tmp_path, timeout=2)
    assert (tmp_path / "blob.bin").read_bytes() == BODY
    assert server.ranges == [None, f"bytes={kept}-"]


def test_the_rate_is_a_sliding_average() -> None:
    now = [0.0]
    pace = Pace(min_rate=100, window=10, deadline=None, clock=lambda: now[0])
    for t, received in ((5, 10), (9.9, 20)):
        now[0] = t
        assert pace.check(received) is None  # not a whole window yet
    now[0] = 20
    assert pace.check(5000) is None  # 4,980 bytes in the last 10 s: fast enough
    now[0] = 31
    assert pace.check(5050) == ("the server sent 50 bytes in 11 s, under the minimum of "
                                "100 bytes/s (too slow)")


def test_the_default_deadline_follows_the_expected_size() -> None:
    assert deadline_for(9_912_422, 4000) == pytest.approx(9_912_422 / 4000 + 60)
    assert deadline_for(None, 4000) == 3600
    assert deadline_for(1000, 0) is None


# --- progress ------------------------------------------------------------------------------------


def test_progress_is_throttled_but_keeps_the_first_and_last(server: Misbehaving,
                                                            tmp_path: Path) -> None:
    server.mode = "trickle"  # some 30 reads in 0.6 s
    file = RemoteFile("blob.bin", "0" * 32, (f"{server.base}/blob.bin",), len(BODY))
    reports: list[Progress] = []
    with pytest.raises(DownloadError, match="did not finish"):
        fetch_files([file], tmp_path, progress=reports.append, timeout=2, min_rate=0,
                    deadline=0.6)
    assert 2 <= len(reports) <= 6
    assert reports[0].file_done == 0 and reports[1].file_done > 0  # the start, the first bytes
    reports.clear()
    server.mode = "ok"
    (tmp_path / "blob.bin.part").unlink()
    file = server.file()
    fetch_files([file], tmp_path, progress=reports.append, timeout=2)
    assert reports[-1].file_done == reports[-1].file_total == len(BODY)


def test_the_cli_prints_the_completed_line_once() -> None:
    stream = io.StringIO()
    report = _download_progress(stream)
    assert report is not None
    for done in range(0, 5000, 10):  # reports past 100 %, as a broken total would give
        report(LoadProgress(done, 1000, f"Downloading: {done:,} bytes"))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and lines[0].startswith("Downloading: 0 ")
    assert lines[1] == "Downloading: 1,000 bytes (100%)"


# --- the mirrors file ----------------------------------------------------------------------------


def _within(seconds: float, action: Callable[[], Any]) -> BaseException | None:
    """The exception ``action`` raised, failing the test if it took longer than ``seconds``."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            action()
            outcome.append(None)
        except BaseException as exc:  # handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"still running after {seconds} s"
    return outcome[0]


def _mirrors_error(path: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(catalogue.MIRRORS_ENV, path)
    error = _within(5, catalogue.load_mirrors)
    assert isinstance(error, DatasetError), error
    message = str(error)
    one_line(message, f"{catalogue.MIRRORS_ENV}={path}")
    return message


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_a_device_as_mirrors_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "is a character device" in _mirrors_error("/dev/zero", monkeypatch)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_as_mirrors_file_is_refused(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    fifo = tmp_path / "mirrors.json"
    os.mkfifo(fifo)
    assert "FIFO" in _mirrors_error(str(fifo), monkeypatch)


@pytest.mark.parametrize(("content", "reason"), [
    (b"[" * 100_000, "nested too deeply"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b'["http://example.org/"]', "expected a JSON object"),
    (b'{"mnist": [3]}', "must be a list of URLs"),
    (b'{"mnist": ["http://exa mple.org/\\u001b[2J"]}', "not an http"),
    (b'{"mnist": ["https://"]}', "not an http"),
])
def test_a_broken_mirrors_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        content: bytes, reason: str) -> None:
    path = tmp_path / "mirrors.json"
    path.write_bytes(content)
    message = _mirrors_error(str(path), monkeypatch)
    assert reason in message and "\x1b" not in message


def test_an_oversized_mirrors_file_is_refused(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "mirrors.json"
    with path.open("wb") as handle:
        handle.truncate(catalogue.MIRRORS_LIMIT + 1)  # sparse: costs no disk
    assert "mirrors files are read up to" in _mirrors_error(str(path), monkeypatch)


# --- the download cache --------------------------------------------------------------------------


@pytest.mark.parametrize("marker", ["nested", "oversized", "fifo"])
def test_a_bad_marker_only_costs_a_rehash(tmp_path: Path, marker: str) -> None:
    file = RemoteFile("blob.bin", hashlib.md5(BODY, usedforsecurity=False).hexdigest(), ())
    (tmp_path / "blob.bin").write_bytes(BODY)
    path = tmp_path / download_cache.MARKER_NAME
    if marker == "nested":
        path.write_text("[" * 100_000)
    elif marker == "oversized":
        with path.open("wb") as handle:
            handle.truncate(download_cache.MARKER_LIMIT + 1)
    elif hasattr(os, "mkfifo"):
        os.mkfifo(path)
    else:
        pytest.skip("no FIFOs here")
    hashed: list[Path] = []
    real = download_cache.md5_of

    def md5_of(target: Path) -> str:
        hashed.append(target)
        return real(target)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(download_cache, "md5_of", md5_of)
        assert _within(5, lambda: download_cache.is_verified(tmp_path, file, record=False)) is None
    assert hashed == [tmp_path / "blob.bin"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_only_regular_files_are_hashed(tmp_path: Path, server: Misbehaving) -> None:
    file = server.file()
    os.mkfifo(tmp_path / "blob.bin")  # where the cached file should be
    assert isinstance(_within(5, lambda: download_cache.md5_of(tmp_path / "blob.bin")), OSError)
    assert _within(5, lambda: fetch_files([file], tmp_path, timeout=2)) is None
    assert (tmp_path / "blob.bin").read_bytes() == BODY


# --- the cache folder ----------------------------------------------------------------------------


def test_an_unusable_cache_folder_leaves_no_temporary_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder's parent should be")
    temp = tmp_path / "tmp"
    temp.mkdir()
    script = textwrap.dedent("""
        import sys
        import platformdirs
        platformdirs.user_cache_dir = lambda *args, **kwargs: sys.argv[1]
        platformdirs.user_data_dir = lambda *args, **kwargs: sys.argv[1]
        from latentlab.core.files.userdirs import user_cache_folder, user_data_folder
        first, second = user_cache_folder(), user_cache_folder()
        assert first.problem and first.path == second.path, (first, second)
        (first.path / "datasets").mkdir()
        (first.path / "datasets" / "x.gz").write_bytes(b"cached for this session only")
        models = user_data_folder("models")
        assert models == user_data_folder("models")
        (models / "kept.safetensors").write_bytes(b"a model the user keeps")
    """)
    env = {**os.environ, "TMPDIR": str(temp), "TEMP": str(temp), "TMP": str(temp)}
    result = subprocess.run([sys.executable, "-c", script, str(blocker / "latentlab")],
                            env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    left = sorted(p.name for p in temp.iterdir())
    assert len(left) == 1 and left[0].startswith("latentlab-models-"), left  # no cache folder
    assert (temp / left[0] / "kept.safetensors").exists()  # the model is not lost


def test_the_catalogue_download_passes_the_limits_on(server: Misbehaving, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    server.mode = "trickle"
    entry = catalogue.CatalogueEntry("slow", "Slow", "", (), "", "", "",
                                     (catalogue.CatalogueFile("blob.bin", "0" * 32, len(BODY)),))
    monkeypatch.setitem(catalogue.CATALOGUE, "slow", entry)
    with pytest.raises(DownloadError, match=r"did not finish within 0\.3 s"):
        catalogue.download("slow", cache_dir=tmp_path, mirrors=[server.base], timeout=2,
                           min_rate=0, deadline=0.3)
    with pytest.raises(DownloadError, match=r"under the minimum of 1\.0 kB/s"):
        catalogue.load_catalogue_dataset("slow", cache_dir=tmp_path, mirrors=[server.base],
                                         timeout=2, min_rate=1000, rate_window=0.3)
