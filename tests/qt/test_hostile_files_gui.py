"""Hostile files never hold up the window: its thread keeps ticking while they are opened.

A 10 ms timer runs on the window's thread while a FIFO, a device, a lab that names a FIFO, a
checkpoint with absurd settings or a large one is opened; the largest gap between its ticks is
the longest the window was unresponsive. Each file ends in one error naming it, and no reading
thread is left behind.
"""

from __future__ import annotations

import json
import os
import struct
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from safetensors.torch import save_file

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data import Dataset
from latentlab.core.files.checkpoint import METADATA_KEY, CheckpointMeta
from latentlab.core.models.registry import build_model
from latentlab.lab import file_reads
from latentlab.qt import data_actions
from latentlab.qt.data_actions import holds_images
from latentlab.qt.widgets.load_dialogs import ImageOptionsDialog

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")

#: The longest the window's thread may go without running its event loop.
MAX_GAP_S = 0.1


class TickGaps:
    """A 10 ms timer on the window's thread; ``largest`` is the longest gap between its ticks
    (from the moment it is started, so the call that starts an open counts too)."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.largest = 0.0
        self._last = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        self.largest = max(self.largest, now - self._last)
        self._last = now

    def __enter__(self) -> TickGaps:
        self._last = time.perf_counter()
        self.timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._tick()  # the gap up to the end counts as well
        self.timer.stop()


def readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("latentlab-read-")]


def write_npz(dataset: Dataset, path: Path) -> Path:
    np.savez(path, x=(dataset.x[:, 0] * 255).astype(np.uint8), y=dataset.labels)
    return path


def write_checkpoint(path: Path, cfg: ModelConfig, payload_edit=None) -> Path:
    """A checkpoint of zeros for ``cfg`` on 8×8 images, its metadata edited by ``payload_edit``."""
    with torch.device("meta"):
        shapes = build_model(cfg, (1, 8, 8)).state_dict()
    tensors = {name: torch.zeros(t.shape, dtype=t.dtype) for name, t in shapes.items()}
    meta = CheckpointMeta(model=cfg, train=TrainConfig(), input_shape=(1, 8, 8),
                          data={"name": "digits", "kind": "image", "source": None}, epoch=1)
    payload = meta.to_dict()
    if payload_edit is not None:
        payload_edit(payload)
    save_file(tensors, str(path), metadata={METADATA_KEY: json.dumps(payload)})
    return path


def fifo(tmp_path: Path, _digits: Dataset) -> Path:
    os.mkfifo(tmp_path / "model.safetensors")
    return tmp_path / "model.safetensors"


def dev_zero(tmp_path: Path, _digits: Dataset) -> Path:
    (tmp_path / "model.safetensors").symlink_to("/dev/zero")
    return tmp_path / "model.safetensors"


def lab_naming_a_fifo(tmp_path: Path, digits: Dataset) -> Path:
    write_npz(digits, tmp_path / "tiny.npz")
    os.mkfifo(tmp_path / "model.safetensors")
    lab = {"kind": "latentlab lab", "version": 1,
           "dataset": {"source": "tiny.npz", "options": {}},
           "checkpoints": ["model.safetensors"], "maps": {}, "probes": {}}
    (tmp_path / "lesson.latentlab").write_text(json.dumps(lab))
    return tmp_path / "lesson.latentlab"


def lab_that_is_a_fifo(tmp_path: Path, _digits: Dataset) -> Path:
    os.mkfifo(tmp_path / "lesson.latentlab")
    return tmp_path / "lesson.latentlab"


def ten_thousand_layers(tmp_path: Path, _digits: Dataset) -> Path:
    def edit(payload: dict) -> None:
        payload["model"]["hidden"] = [4] * 10_000

    return write_checkpoint(tmp_path / "model.safetensors", ModelConfig(hidden=(4,)), edit)


def large(tmp_path: Path, _digits: Dataset) -> Path:
    """512 MB (sparse on disk) behind a well-formed header and metadata: its one tensor is not
    what the model needs, which shows only once it has all been read."""
    meta = CheckpointMeta(model=ModelConfig(hidden=(4,)), train=TrainConfig(),
                          input_shape=(1, 8, 8), data={"name": "digits", "kind": "image"})
    size = 512 << 20
    header = json.dumps({"__metadata__": {METADATA_KEY: json.dumps(meta.to_dict())},
                         "weights": {"dtype": "F32", "shape": [size // 4],
                                     "data_offsets": [0, size]}}).encode()
    header += b" " * (-len(header) % 8)
    path = tmp_path / "model.safetensors"
    with path.open("wb") as handle:
        handle.write(struct.pack("<Q", len(header)) + header)
        handle.truncate(8 + len(header) + size)
    return path


def large_and_corrupt(tmp_path: Path, _digits: Dataset) -> Path:
    """136 MB of real tensors that look right to the last byte, but are not the ones recorded."""
    def edit(payload: dict) -> None:
        payload["weights_sha256"] = "0" * 64

    return write_checkpoint(tmp_path / "model.safetensors", ModelConfig(hidden=(4096, 4096)),
                            edit)


class Stalled(AssertionError):
    """The window's thread went longer than MAX_GAP_S without running its event loop."""


CASES = {
    "fifo": (fifo, "FIFO"),
    "dev-zero": (dev_zero, "device"),
    "lab-naming-a-fifo": (lab_naming_a_fifo, "FIFO"),
    "lab-that-is-a-fifo": (lab_that_is_a_fifo, "FIFO"),
    "10k-layers": (ten_thousand_layers, "10,000"),
    "large": (large, "do not match"),
    "large-weights": (large_and_corrupt, "corrupt"),
}
@pytest.mark.parametrize("case", list(CASES))
def test_opening_a_hostile_file_never_blocks_the_window(qtbot, window, tiny_digits, tmp_path,
                                                        case) -> None:
    make, reason = CASES[case]
    path = make(tmp_path, tiny_digits)
    lab = window.lab
    window.show_error = lambda *_args: None  # the message is what is checked, not the dialog
    errors: list[str] = []
    lab.notes.error.connect(lambda _title, text, _details: errors.append(text))
    start = time.perf_counter()
    with TickGaps() as gaps:
        window.workspace.file_actions.open_path(path)
        qtbot.waitUntil(lambda: bool(errors), timeout=60_000)
    print(f"\n{case}: opened in {(time.perf_counter() - start) * 1000:.0f} ms, largest gap "
          f"{gaps.largest * 1000:.1f} ms")
    assert len(errors) == 1 and reason in errors[0], errors
    # A lab that names a FIFO: the lab opens; its checkpoint is what fails.
    assert ("model.safetensors" if case == "lab-naming-a-fifo" else path.name) in errors[0]
    assert lab.files.opening is None and lab.model.live_model is None
    qtbot.waitUntil(lambda: not readers(), timeout=10_000)
    if gaps.largest >= MAX_GAP_S:
        raise Stalled(f"the window stalled {gaps.largest * 1000:.0f} ms")


@pytest.fixture
def stuck_reads(monkeypatch):
    """Reading a checkpoint blocks until the test ends, as an unguarded read of a FIFO would."""
    release = threading.Event()

    def stuck(path, **_kwargs):
        release.wait()
        raise file_reads.CheckpointError("released", path)

    monkeypatch.setattr(file_reads, "load_checkpoint", stuck)
    yield
    release.set()


def test_escape_gives_up_a_read_that_never_ends(qtbot, window, tmp_path, stuck_reads) -> None:
    path = write_checkpoint(tmp_path / "model.safetensors", ModelConfig(hidden=(4,)))
    lab, status = window.lab, window.workspace.load_status
    said: list[str] = []
    lab.notes.message.connect(said.append)
    coords = lab.maps["pixels"].coords.copy()
    with TickGaps() as gaps:
        window.workspace.file_actions.open_path(path)
        qtbot.waitUntil(lambda: status.isVisible(), timeout=5000)
        qtbot.wait(300)
        assert status.label.text() == "Opening model.safetensors…"
        QTest.keyClick(window, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: lab.files.opening is None, timeout=5000)
    assert gaps.largest < MAX_GAP_S, f"the window stalled {gaps.largest * 1000:.0f} ms"
    assert not status.isVisible()
    assert said[-1] == ("Opening model.safetensors was cancelled. tiny digits and its maps are "
                        "unchanged.")
    assert np.array_equal(lab.maps["pixels"].coords, coords) and lab.model.live_model is None
    # The next file opens at once: the one given up on holds nothing.
    lab.files.open_model(path)
    assert lab.files.opening == path
    status.cancel_button.click()
    qtbot.waitUntil(lambda: lab.files.opening is None, timeout=5000)
    # With nothing to cancel, Escape clears the selection again.
    lab.selection.select(np.arange(5))
    QTest.keyClick(window, Qt.Key.Key_Escape)
    assert len(lab.selection.items) == 0


def test_closing_the_window_mid_read_does_not_wait_for_it(qtbot, tiny_digits, tmp_path,
                                                         stuck_reads) -> None:
    from latentlab.qt.main_window import MainWindow

    path = write_checkpoint(tmp_path / "model.safetensors", ModelConfig(hidden=(4,)))
    window = MainWindow()
    qtbot.addWidget(window)
    window.lab.data.set_dataset(tiny_digits)
    window.show()
    window.workspace.file_actions.open_path(path)
    qtbot.wait(200)
    start = time.perf_counter()
    window.close()
    assert time.perf_counter() - start < 2.0
    assert window.lab.files.opening is None


def test_a_folder_is_looked_into_for_a_bounded_time(qtbot, window, tmp_path, monkeypatch) -> None:
    images = tmp_path / "shapes"
    (images / "a" / "deep").mkdir(parents=True)
    (images / "a" / "deep" / "one.png").write_bytes(b"")
    texts = tmp_path / "notes"
    texts.mkdir()
    (texts / "one.txt").write_text("a note")
    assert holds_images(images) is True and holds_images(texts) is False
    assert holds_images(images, budget_s=0.0) is None  # could not tell in time
    # A folder too large to look through loads as it is (the load decides in the background).
    monkeypatch.setattr(data_actions, "LOOK_BUDGET_S", 0.0)
    said: list[str] = []
    window.lab.notes.message.connect(said.append)
    with qtbot.waitSignal(window.lab.data.load_ended, timeout=30_000):
        window.workspace.data_actions.load_path(images)
    assert "shapes is too large to look through first" in said[0]
    assert window.findChild(ImageOptionsDialog) is None


def test_messages_show_names_as_plain_escaped_text(qtbot, window) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    window.show_error("Could not open the model",
                      "<img src='x'>\x1b]0;pwned\x07.safetensors: no such file\n\nUnchanged.")
    box = next(b for b in window.findChildren(QMessageBox) if b.isVisible())
    assert box.textFormat() == Qt.TextFormat.PlainText
    assert "\\x1b]0;pwned\\x07" in box.text() and "\x1b" not in box.text()
    assert box.text().endswith("\n\nUnchanged.")  # line breaks of the message stay
    box.close()
