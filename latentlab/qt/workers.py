"""Run core generators (training) and one-off tasks (dataset loads) on QThreads; events → signals.

The core yields plain-data events at a throttled rate (progress ~10/s, snapshots ~5/s), so each one
becomes a queued signal. The worker never touches widgets; the lab state listens on the GUI thread.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterator

import torch
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from latentlab.core.training.device import training_cpu_threads
from latentlab.core.training.loop import TrainControl


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


def _start_on_thread(worker: QObject, name: str, on_finished: Callable[[], None]) -> QThread:
    """Move ``worker`` (with ``run`` and ``done``) to a new started QThread that ends with it."""
    thread = QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    # Direct: quit() is thread-safe, and a queued call would never run while the GUI thread
    # blocks waiting for the thread, so its event loop would not end.
    worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    thread.finished.connect(on_finished)
    thread.start()
    return thread


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
        worker = _GeneratorWorker(lambda: make_events(control),
                                  cpu_threads or training_cpu_threads())
        worker.event.connect(self.event)
        worker.failed.connect(self.failed)
        self._worker = worker
        self._thread = _start_on_thread(worker, "latentlab-training", self._on_thread_finished)

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


class _TaskWorker(QObject):
    """Runs ``fn(report, cancel)`` once; its result or exception comes back as a signal.

    Every signal carries the task's number, so the runner can ignore a task it gave up on.
    """

    progress = Signal(int, object)
    succeeded = Signal(int, object)
    failed = Signal(int, object, str)  # the exception itself, technical details
    done = Signal()

    def __init__(self, number: int,
                 fn: Callable[[Callable[[object], None], threading.Event], object],
                 cancel: threading.Event) -> None:
        super().__init__()
        self._number = number
        self._fn = fn
        self._cancel = cancel

    def _report(self, value: object) -> None:
        self.progress.emit(self._number, value)

    @Slot()
    def run(self) -> None:
        try:
            result = self._fn(self._report, self._cancel)
        except Exception as exc:  # the caller decides what the user is told
            self.failed.emit(self._number, exc, traceback.format_exc())
        else:
            self.succeeded.emit(self._number, result)
        finally:
            self.done.emit()


class TaskRunner(QObject):
    """Owns one background task at a time (a dataset load): start, cancel, and wait on close.

    ``fn(report, cancel)`` runs on a QThread; ``report(obj)`` becomes ``progress``, the return
    value ``succeeded``, an exception ``failed`` (exactly one of the two per task, unless the task
    was abandoned by ``cancel_and_wait``). ``cancel`` is a threading.Event the task polls.
    """

    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object, str)
    finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: _TaskWorker | None = None
        self._cancel = threading.Event()
        self._number = 0
        self._answered = True  # the current task's result or failure has been delivered

    @property
    def running(self) -> bool:
        """True from ``start`` until the task's result or failure has been delivered."""
        return not self._answered

    def start(self, fn: Callable[[Callable[[object], None], threading.Event], object]) -> None:
        if self.running:
            raise RuntimeError("A task is already running.")
        if self._thread is not None:
            self.wait()  # the last task has answered; its thread is just ending
        self._number += 1
        self._answered = False
        self._cancel = threading.Event()
        worker = _TaskWorker(self._number, fn, self._cancel)
        worker.progress.connect(self._on_progress)
        worker.succeeded.connect(self._on_succeeded)
        worker.failed.connect(self._on_failed)
        self._worker = worker
        self._thread = _start_on_thread(worker, "latentlab-task", self._on_thread_finished)

    def cancel(self) -> None:
        self._cancel.set()

    def cancel_and_wait(self, timeout_ms: int = 30_000) -> bool:
        """Cancel, block until the thread has ended, and drop whatever the task still sends."""
        self.cancel()
        self._number += 1  # signals already queued by the abandoned task are ignored
        self._answered = True
        return self.wait(timeout_ms)

    def wait(self, timeout_ms: int = 30_000) -> bool:
        if self._thread is None:
            return True
        ended = self._thread.wait(timeout_ms)
        if ended:
            self._on_thread_finished()
        return ended

    @Slot(int, object)
    def _on_progress(self, number: int, value: object) -> None:
        if number == self._number and not self._answered:
            self.progress.emit(value)

    @Slot(int, object)
    def _on_succeeded(self, number: int, result: object) -> None:
        if number == self._number and not self._answered:
            self._answered = True
            self.succeeded.emit(result)

    @Slot(int, object, str)
    def _on_failed(self, number: int, exc: object, details: str) -> None:
        if number == self._number and not self._answered:
            self._answered = True
            self.failed.emit(exc, details)

    @Slot()
    def _on_thread_finished(self) -> None:
        sender = self.sender()
        if self._thread is None or (isinstance(sender, QThread) and sender is not self._thread):
            return  # a thread already waited for and replaced
        thread, worker = self._thread, self._worker
        self._thread = self._worker = None
        if worker is not None:
            worker.deleteLater()
        thread.deleteLater()
        self.finished.emit()
