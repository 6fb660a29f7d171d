"""Run core generators on QThreads and turn their events into Qt signals.

The core yields plain-data events at a throttled rate (progress ~10/s, snapshots ~5/s), so each one
becomes a queued signal. The worker never touches widgets; the lab state listens on the GUI thread.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator

import torch
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from latentlab.core.device import training_cpu_threads
from latentlab.core.training import TrainControl


class _GeneratorWorker(QObject):
    event = Signal(object)
    failed = Signal(str, str)  # readable message, technical details
    done = Signal()

    def __init__(self, make_events: Callable[[], Iterator[object]], cpu_threads: int) -> None:
        super().__init__()
        self._make_events = make_events
        self._cpu_threads = cpu_threads

    @Slot()
    def run(self) -> None:
        try:
            if self._cpu_threads:
                # Leave a core to the GUI thread so dragging stays smooth while training on CPU.
                torch.set_num_threads(self._cpu_threads)
            for event in self._make_events():
                self.event.emit(event)
        except Exception as exc:  # any failure must reach the user, not kill the thread silently
            self.failed.emit(f"{type(exc).__name__}: {exc}", traceback.format_exc())
        finally:
            self.done.emit()


class TrainingRunner(QObject):
    """Owns one training thread at a time: start, pause, resume, stop, and wait on close."""

    event = Signal(object)
    failed = Signal(str, str)
    finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: _GeneratorWorker | None = None
        self.control = TrainControl()

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, make_events: Callable[[TrainControl], Iterator[object]],
              cpu_threads: int = 0) -> None:
        if self.running:
            raise RuntimeError("Training is already running.")
        self.control = TrainControl()
        control = self.control
        thread = QThread()
        thread.setObjectName("latentlab-training")
        worker = _GeneratorWorker(lambda: make_events(control),
                                  cpu_threads or training_cpu_threads())
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.event.connect(self.event)
        worker.failed.connect(self.failed)
        # Direct: quit() is thread-safe, and a queued call would never run while the GUI thread
        # blocks in stop_and_wait(), so the thread's event loop would not end.
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        thread.start()

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def stop(self) -> None:
        self.control.stop()

    def stop_and_wait(self, timeout_ms: int = 30_000) -> bool:
        """Stop and block until the thread has ended (used when the window closes)."""
        if self._thread is None:
            return True
        self.control.stop()
        ended = self._thread.wait(timeout_ms)
        if ended:
            self._on_thread_finished()
        return ended

    @Slot()
    def _on_thread_finished(self) -> None:
        if self._thread is None:
            return
        thread, worker = self._thread, self._worker
        self._thread = self._worker = None
        if worker is not None:
            worker.deleteLater()
        thread.deleteLater()
        self.finished.emit()
