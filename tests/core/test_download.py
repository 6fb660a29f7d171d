"""The dataset downloader and catalogue, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from latentlab.core.data import catalogue, download, download_cache
from latentlab.core.data.catalogue import CATALOGUE, IDX_FILES, CatalogueFile
from latentlab.core.data.dataset import DatasetError
from latentlab.core.data.download import (
    DownloadCancelled,
    DownloadError,
    Progress,
    RemoteFile,
    fetch_files,
)

# A socket or thread left open shows up as a warning; make it fail the test instead.
pytestmark = pytest.mark.filterwarnings("error::ResourceWarning",
                                        "error::pytest.PytestUnraisableExceptionWarning",
                                        "error::pytest.PytestUnhandledThreadExceptionWarning")

TIMEOUT = 0.3
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


# --- a small, scriptable HTTP server ------------------------------------------------------------


@dataclass
class Request:
    path: str
    range: str | None
    status: int
    sent: int = 0  # body bytes written


@dataclass
class FileServer:
    """What the server holds and how it misbehaves, per path; every request is logged."""

    base: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    #: path → "ok" | "truncate" | "stall" | "stall_body" | "slow" | "ignore_range"
    mode: dict[str, str] = field(default_factory=dict)
    log: list[Request] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def put(self, path: str, body: bytes, mode: str = "ok") -> RemoteFile:
        path = "/" + path.lstrip("/")
        self.files[path] = body
        self.mode[path] = mode
        return RemoteFile(path.rsplit("/", 1)[1], md5(body), (self.url(path),), len(body))


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:
        state = self.server.state
        body = state.files.get(self.path)
        requested = self.headers.get("Range")
        if body is None:
            state.log.append(Request(self.path, requested, 404))
            self.send_error(404, "Not Found")
            return
        mode = state.mode.get(self.path, "ok")
        if mode == "stall":  # accept, then say nothing until the test ends
            state.log.append(Request(self.path, requested, 0))
            state.stop.wait(5)
            return
        start, status = 0, 200
        match = re.fullmatch(r"bytes=(\d+)-", requested or "")
        if match and mode != "ignore_range":
            start, status = int(match[1]), 206
            if start >= len(body):
                state.log.append(Request(self.path, requested, 416))
                self.send_error(416, "Range Not Satisfiable")
                return
        entry = Request(self.path, requested, status)
        state.log.append(entry)
        payload = body[start:]
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.end_headers()
        try:
            if mode == "slow":
                for i in range(0, len(payload), 4096):
                    if state.stop.wait(0.005):
                        return
                    self.wfile.write(payload[i:i + 4096])
                    self.wfile.flush()
                    entry.sent += len(payload[i:i + 4096])
            elif mode == "truncate":  # promise the whole payload, send half, close
                self.wfile.write(payload[:len(payload) // 2])
                entry.sent = len(payload) // 2
            elif mode == "stall_body":
                self.wfile.write(payload[:100])
                self.wfile.flush()
                entry.sent = 100
                state.stop.wait(5)
            else:
                self.wfile.write(payload)
                entry.sent = len(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as some tests intend


class _Server(ThreadingHTTPServer):
    state: FileServer
    daemon_threads = False  # so that server_close() joins every handler thread


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FileServer]:
    for name in PROXY_VARIABLES:  # talk to 127.0.0.1 directly, whatever the machine's proxy
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.delenv(catalogue.MIRRORS_ENV, raising=False)
    before = set(threading.enumerate())
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.state = FileServer(base=f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield httpd.state
    finally:
        httpd.state.stop.set()  # wake stalled handlers
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
    assert set(threading.enumerate()) <= before, "the test left threads running"


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def idx_gz(array: np.ndarray) -> bytes:
    """Real IDX bytes (ubyte), gzipped as the MNIST family ships them."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


@pytest.fixture(scope="module")
def idx_files() -> dict[str, bytes]:
    """A tiny MNIST-like dataset: 20 training and 10 test images of 28×28, labels 0…9."""
    rng = np.random.default_rng(0)
    return {
        "train-images-idx3-ubyte.gz": idx_gz(rng.integers(0, 256, (20, 28, 28))),
        "train-labels-idx1-ubyte.gz": idx_gz(np.arange(20) % 10),
        "t10k-images-idx3-ubyte.gz": idx_gz(rng.integers(0, 256, (10, 28, 28))),
        "t10k-labels-idx1-ubyte.gz": idx_gz(np.arange(10)),
    }


@pytest.fixture(scope="module")
def blob() -> bytes:
    """A larger file (256 KiB) for transfers that must take several chunks."""
    return np.random.default_rng(1).integers(0, 256, 256 * 1024, dtype=np.uint8).tobytes()


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


# --- the downloader ------------------------------------------------------------------------------


def test_downloads_verifies_and_reports_progress(server: FileServer, idx_files: dict[str, bytes],
                                                 tmp_path: Path) -> None:
    files = [server.put(f"mnist/{name}", body) for name, body in idx_files.items()]
    reports: list[Progress] = []
    folder = fetch_files(files, tmp_path / "mnist", progress=reports.append, timeout=TIMEOUT)
    assert folder == tmp_path / "mnist"
    for name, body in idx_files.items():
        assert (folder / name).read_bytes() == body
    assert not list(folder.glob("*.part"))
    total = sum(len(b) for b in idx_files.values())
    dones = [r.done for r in reports]
    assert dones == sorted(dones) and reports[-1].done == reports[-1].total == total
    assert reports[-1].fraction == 1.0
    assert {r.index for r in reports} == {0, 1, 2, 3} and {r.count for r in reports} == {4}
    last_per_file = {r.filename: r for r in reports}
    assert all(r.file_done == r.file_total == len(idx_files[n]) for n, r in last_per_file.items())


def test_cached_files_are_used_without_the_network(server: FileServer, idx_files: dict[str, bytes],
                                                   tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    files = [server.put(f"mnist/{name}", body) for name, body in idx_files.items()]
    fetch_files(files, tmp_path, timeout=TIMEOUT)
    assert len(server.log) == 4
    server.log.clear()

    def no_hashing(path: Path) -> str:
        raise AssertionError(f"{path.name} was hashed again")

    # Verified once: the marker spares re-hashing, and nothing is requested.
    monkeypatch.setattr(download_cache, "md5_of", no_hashing)
    fetch_files(files, tmp_path, timeout=TIMEOUT)
    assert server.log == []
    assert download_cache.all_verified(files, tmp_path)


def test_a_damaged_cached_file_is_fetched_again(server: FileServer, blob: bytes,
                                                tmp_path: Path) -> None:
    file = server.put("blob.bin", blob)
    fetch_files([file], tmp_path, timeout=TIMEOUT)
    (tmp_path / "blob.bin").write_bytes(b"damaged")
    assert not download_cache.all_verified([file], tmp_path)
    fetch_files([file], tmp_path, timeout=TIMEOUT)
    assert (tmp_path / "blob.bin").read_bytes() == blob
    assert len(server.log) == 2


def test_a_bad_checksum_is_rejected_and_leaves_nothing(server: FileServer, blob: bytes,
                                                       tmp_path: Path) -> None:
    file = dataclasses.replace(server.put("blob.bin", blob), md5="0" * 32)
    cache = tmp_path / "cache"
    with pytest.raises(DownloadError, match=r"blob\.bin: .*checksum mismatch") as info:
        fetch_files([file], cache / "set", timeout=TIMEOUT)
    assert file.urls[0] in str(info.value) and not info.value.offline
    assert files_under(cache) == []


def test_a_truncated_transfer_is_an_error(server: FileServer, blob: bytes, tmp_path: Path) -> None:
    file = server.put("blob.bin", blob, mode="truncate")
    with pytest.raises(DownloadError, match="truncated") as info:
        fetch_files([file], tmp_path, timeout=TIMEOUT)
    assert "blob.bin" in str(info.value) and file.urls[0] in str(info.value)
    assert not (tmp_path / "blob.bin").exists()


def test_404_names_the_url(server: FileServer, tmp_path: Path) -> None:
    file = RemoteFile("missing.gz", "0" * 32, (server.url("missing.gz"),))
    with pytest.raises(DownloadError, match="HTTP 404") as info:
        fetch_files([file], tmp_path / "set", timeout=TIMEOUT)
    assert info.value.url == file.urls[0] and file.urls[0] in str(info.value)
    assert info.value.filename == "missing.gz" and not info.value.offline
    assert files_under(tmp_path) == []


def test_the_next_mirror_is_tried(server: FileServer, blob: bytes, tmp_path: Path) -> None:
    good = server.put("b/blob.bin", blob)
    file = dataclasses.replace(good, urls=(server.url("a/blob.bin"), *good.urls))
    fetch_files([file], tmp_path, timeout=TIMEOUT)
    assert [(r.path, r.status) for r in server.log] == [("/a/blob.bin", 404), ("/b/blob.bin", 200)]
    assert (tmp_path / "blob.bin").read_bytes() == blob


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_reads_as_offline(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/blob.bin"
    with pytest.raises(DownloadError, match="refused") as info:
        fetch_files([RemoteFile("blob.bin", "0" * 32, (url,))], tmp_path, timeout=TIMEOUT)
    assert info.value.offline and url in str(info.value)


def test_an_unresolvable_host_reads_as_offline(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo

    def getaddrinfo(host: str, *args: object, **kwargs: object) -> object:
        if host == "mirror.invalid":  # what a machine without network answers
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    urls = ("http://mirror.invalid/a.gz", "http://mirror.invalid/b/a.gz")
    with pytest.raises(DownloadError, match="could not be resolved") as info:
        fetch_files([RemoteFile("a.gz", "0" * 32, urls)], tmp_path, timeout=TIMEOUT)
    assert info.value.offline
    assert all(url in str(info.value) for url in urls)


@pytest.mark.parametrize("mode", ["stall", "stall_body"])
def test_a_stalled_server_times_out(server: FileServer, blob: bytes, tmp_path: Path,
                                    mode: str) -> None:
    file = server.put("blob.bin", blob, mode=mode)
    started = time.monotonic()
    with pytest.raises(DownloadError, match=r"timed out") as info:
        fetch_files([file], tmp_path, timeout=TIMEOUT)
    assert time.monotonic() - started < 3
    assert f"{TIMEOUT:g} s" in str(info.value) and "blob.bin" in str(info.value)
    assert not info.value.offline
    assert not (tmp_path / "blob.bin").exists()


def test_cancelling_mid_transfer(server: FileServer, blob: bytes, tmp_path: Path) -> None:
    file = server.put("blob.bin", blob, mode="slow")
    cancel = threading.Event()
    reports: list[Progress] = []

    def progress(report: Progress) -> None:
        reports.append(report)
        if report.file_done > 0:
            cancel.set()

    with pytest.raises(DownloadCancelled):
        fetch_files([file], tmp_path, progress=progress, cancel=cancel, timeout=TIMEOUT)
    assert not (tmp_path / "blob.bin").exists()
    kept = tmp_path / "blob.bin.part"  # kept so that the next attempt resumes
    assert 0 < kept.stat().st_size < len(blob)
    assert sum(r.file_done > 0 for r in reports) == 1  # stopped right after the first chunk
    assert server.log[0].sent < len(blob)


def test_resume_asks_only_for_the_rest(server: FileServer, blob: bytes, tmp_path: Path) -> None:
    file = server.put("blob.bin", blob)
    half = len(blob) // 2
    (tmp_path / "blob.bin.part").write_bytes(blob[:half])
    reports: list[Progress] = []
    fetch_files([file], tmp_path, progress=reports.append, timeout=TIMEOUT)
    assert (tmp_path / "blob.bin").read_bytes() == blob
    assert [(r.range, r.status, r.sent) for r in server.log] == [
        (f"bytes={half}-", 206, len(blob) - half)]
    assert reports[0].file_done == half and reports[0].file_total == len(blob)


def test_a_server_ignoring_range_restarts_cleanly(server: FileServer, blob: bytes,
                                                  tmp_path: Path) -> None:
    file = server.put("blob.bin", blob, mode="ignore_range")
    (tmp_path / "blob.bin.part").write_bytes(b"x" * 1000)  # not even a prefix of the file
    fetch_files([file], tmp_path, timeout=TIMEOUT)
    assert (tmp_path / "blob.bin").read_bytes() == blob
    assert [(r.range, r.status) for r in server.log] == [("bytes=1000-", 200)]


@pytest.mark.parametrize(("size_known", "statuses"), [(True, [200]), (False, [416, 200])])
def test_a_part_longer_than_the_file_restarts(server: FileServer, blob: bytes, tmp_path: Path,
                                              size_known: bool, statuses: list[int]) -> None:
    file = server.put("blob.bin", blob)
    if not size_known:  # only the server's 416 tells that the .part cannot be extended
        file = dataclasses.replace(file, size=None)
    (tmp_path / "blob.bin.part").write_bytes(blob + b"extra")
    fetch_files([file], tmp_path, timeout=TIMEOUT)
    assert (tmp_path / "blob.bin").read_bytes() == blob
    assert [r.status for r in server.log] == statuses


def test_interrupted_then_resumed(server: FileServer, blob: bytes, tmp_path: Path) -> None:
    file = server.put("blob.bin", blob, mode="truncate")
    with pytest.raises(DownloadError):
        fetch_files([file], tmp_path, timeout=TIMEOUT)
    server.mode["/blob.bin"] = "ok"
    fetch_files([file], tmp_path, timeout=TIMEOUT)
    assert (tmp_path / "blob.bin").read_bytes() == blob
    half = len(blob) // 2
    assert [(r.range, r.status, r.sent) for r in server.log] == [
        (None, 200, half), (f"bytes={half}-", 206, len(blob) - half)]


def test_appears_offline(server: FileServer) -> None:
    assert not download.appears_offline([server.url("x")], timeout=TIMEOUT)
    assert download.appears_offline([f"http://127.0.0.1:{_closed_port()}/x"], timeout=TIMEOUT)
    assert not download.appears_offline([])


# --- the catalogue -------------------------------------------------------------------------------


def test_the_catalogue_lists_the_mnist_family() -> None:
    assert list(CATALOGUE) == ["digits", "mnist-5k", "mnist", "fashion-mnist", "kmnist"]
    assert CATALOGUE["digits"].builtin and catalogue.is_cached("digits")
    assert CATALOGUE["mnist-5k"].builtin and catalogue.is_cached("mnist-5k")
    assert CATALOGUE["fashion-mnist"].class_names[0] == "T-shirt/top"
    assert CATALOGUE["kmnist"].class_names == tuple("おきすつなはまやれを")
    shipped = catalogue.shipped_mirrors()
    for name, item in CATALOGUE.items():
        assert len(item.class_names) == 10 and item.licence and item.citation
        if item.builtin:
            continue
        assert tuple(f.filename for f in item.files) == IDX_FILES
        assert all(re.fullmatch(r"[0-9a-f]{32}", f.md5) for f in item.files)
        assert 10_000_000 < item.download_bytes < 40_000_000
        assert shipped[name] and all(u.startswith(("http://", "https://")) for u in shipped[name])
    assert CATALOGUE["mnist"].files[0].md5 == "f68b3c2dcbeaaa9fbdd348bbdeb94873"


@pytest.fixture
def tiny_mnist(idx_files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the catalogue's "mnist" and "kmnist" expect the tiny test files."""
    files = tuple(CatalogueFile(n, md5(b), len(b)) for n, b in idx_files.items())
    for name in ("mnist", "kmnist"):
        monkeypatch.setitem(CATALOGUE, name, dataclasses.replace(CATALOGUE[name], files=files))


@pytest.mark.usefixtures("tiny_mnist")
def test_load_catalogue_dataset_through_configured_mirrors(
        server: FileServer, idx_files: dict[str, bytes], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name, body in idx_files.items():
        server.put(f"mirror/{name}", body)
    override = tmp_path / "mirrors.json"
    override.write_text(json.dumps({"mnist": [server.url("gone/"), server.url("mirror")]}))
    monkeypatch.setenv(catalogue.MIRRORS_ENV, str(override))
    cache = tmp_path / "cache"
    assert catalogue.mirrors_for("mnist")[1] == server.url("mirror")
    assert catalogue.mirrors_for("kmnist") == catalogue.shipped_mirrors()["kmnist"]
    assert not catalogue.is_cached("mnist", cache)

    data = catalogue.load_catalogue_dataset("mnist", cache_dir=cache, timeout=TIMEOUT)
    assert data.name == "MNIST" and data.n == 30 and data.input_shape == (1, 28, 28)
    assert int(data.is_test.sum()) == 10 and data.class_names == tuple("0123456789")
    assert catalogue.is_cached("mnist", cache)
    assert catalogue.dataset_folder("mnist", cache) == cache / "mnist"

    server.log.clear()
    catalogue.load_catalogue_dataset("mnist", cache_dir=cache, timeout=TIMEOUT)
    assert server.log == []
    catalogue.discard("mnist", cache)
    assert not catalogue.is_cached("mnist", cache)


@pytest.mark.usefixtures("tiny_mnist")
def test_the_mirrors_argument_wins(server: FileServer, idx_files: dict[str, bytes],
                                   tmp_path: Path) -> None:
    for name, body in idx_files.items():
        server.put(f"k/{name}", body)
    data = catalogue.load_catalogue_dataset("kmnist", cache_dir=tmp_path,
                                            mirrors=[server.url("k")], timeout=TIMEOUT)
    assert data.class_names[0] == "お" and data.name == "Kuzushiji-MNIST"
    assert {r.path.rsplit("/", 1)[0] for r in server.log} == {"/k"}


def test_bad_mirror_configuration_is_named(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    override = tmp_path / "mirrors.json"
    monkeypatch.setenv(catalogue.MIRRORS_ENV, str(override))
    with pytest.raises(DatasetError, match=r"LATENTLAB_MIRRORS=.*cannot be read"):
        catalogue.load_mirrors()
    override.write_text("{not json")
    with pytest.raises(DatasetError, match="not valid JSON"):
        catalogue.mirrors_for("mnist")
    override.write_text(json.dumps({"mnist": ["ftp://example.org/"]}))
    with pytest.raises(DatasetError, match="not an http"):
        catalogue.mirrors_for("mnist")


def test_digits_needs_no_download() -> None:
    assert catalogue.load_catalogue_dataset("digits").n == 1797
    with pytest.raises(DatasetError, match="needs no download"):
        catalogue.download("digits")
    with pytest.raises(KeyError, match="Unknown catalogue dataset"):
        catalogue.is_cached("cifar")
