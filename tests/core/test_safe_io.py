"""Reading what a user or a file names: regular files only, bounded, within a memory budget."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from latentlab.core.data.dataset import DatasetError
from latentlab.core.files.safe_io import (
    BUDGET_ENV,
    RefusedFile,
    check_budget,
    memory_budget,
    open_regular,
    parse_size,
    printable,
    read_limited,
)

posix = pytest.mark.skipif(os.name != "posix", reason="devices and FIFOs are POSIX")


@posix
def test_devices_fifos_and_folders_are_refused_by_what_they_are(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # no writer: a plain open() would wait for one forever
    for path, kind in ((fifo, "FIFO"), (Path("/dev/zero"), "character device"),
                       (tmp_path, "folder")):
        with pytest.raises(RefusedFile) as refused:
            open_regular(path)
        assert kind in refused.value.strerror and refused.value.filename == str(path)
    link = tmp_path / "zero.bin"
    link.symlink_to("/dev/zero")
    with pytest.raises(RefusedFile, match="character device"):
        read_limited(link, 1 << 20)


def test_reads_are_bounded(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"x" * 1000)
    assert read_limited(path, 1000) == b"x" * 1000
    with pytest.raises(RefusedFile) as refused:
        read_limited(path, 999, "lab files")
    assert refused.value.strerror == "is 1.0 kB; lab files are read up to 999 bytes"
    if os.path.exists("/proc/self/status"):  # says 0 bytes, holds more
        assert b"Name" in read_limited("/proc/self/status", 1 << 20)


def test_the_budget_is_configurable_and_named(monkeypatch) -> None:
    monkeypatch.delenv(BUDGET_ENV, raising=False)
    assert memory_budget() >= 1 << 20
    monkeypatch.setenv(BUDGET_ENV, "2G")
    assert memory_budget() == 2 << 30
    check_budget(1 << 30, "x.npz", "an array")
    with pytest.raises(DatasetError, match=r"^x\.npz: an array would need 3\.2 GB.*\(set by"):
        check_budget(3 << 30, "x.npz", "an array")
    assert parse_size("512M") == 512 << 20 and parse_size("1.5G") == 3 << 29
    with pytest.raises(ValueError):
        parse_size("lots")


def test_printable_escapes_what_a_terminal_would_obey() -> None:
    assert printable("a\x1b]0;pwned\x07b\nc\x00") == "a\\x1b]0;pwned\\x07b\\nc\\x00"
    assert printable("é ü 日本") == "é ü 日本"
    assert len(printable("x" * 1000, limit=50)) == 50
