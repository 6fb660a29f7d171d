"""The lab's jobs on QThreads: one runner for training and for one-off tasks alike.

A job runs on its own QThread; what it reports, returns or raises comes back as queued signals
and reaches the lab's callbacks on the GUI thread. Each job has a number, so a runner that gave
a job up (``cancel_and_wait``) ignores whatever that job still sends. ``wait`` delivers a job's
end at once (the window closing mid-run saves the model before it goes).

superqt's workers would run on a thread pool; these need a thread they can wait for and an end
that can be delivered synchronously, so the runner is written here, once.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThread, Signal, Slot

from latentlab.lab.jobs import Job, JobCallbacks, JobControl, run_job


class _Worker(QObject):
    reported = Signal(int, object)
    ended = Signal(int)
    done = Signal()

    def __init__(self, number: int, job: Job, cpu_threads: int) -> None:
        super().__init__()
        self.number = number
        self._job = job
        self.control = JobControl(report=lambda value: self.reported.emit(number, value))
        self._cpu_threads = cpu_threads
        #: (ok, result or exception, details), set when the job has ended.
        self.outcome: tuple[bool, object, str] | None = None

    @Slot()
    def run(self) -> None:
        try:
            if self._cpu_threads:
                # Leave a core to the GUI thread so dragging stays smooth while training on CPU.
                # Only jobs that run torch ask for threads; torch is imported here, not with the
                # window.
                import torch

                torch.set_num_threads(self._cpu_threads)
            self.outcome = run_job(self._job, self.control)
            self.ended.emit(self.number)
        finally:
            self.done.emit()


class QtRunner(QObject):
    """Runs one job at a time on a QThread (see :class:`latentlab.lab.jobs.Runner`)."""

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = f"latentlab-{name}"
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._control = JobControl()
        self._callbacks = JobCallbacks()
        self._number = 0
        self._answered = True  # the current job's end has been delivered (or it was dropped)

    @property
    def running(self) -> bool:
        return not self._answered

    def start(self, job: Job, callbacks: JobCallbacks, cpu_threads: int = 0) -> None:
        if self.running:
            raise RuntimeError("A job is already running.")
        self._join()  # the last job has answered; its thread may still be ending
        self._number += 1
        self._answered = False
        self._callbacks = callbacks
        worker = _Worker(self._number, job, cpu_threads)
        self._control = worker.control
        worker.reported.connect(self._on_reported)
        worker.ended.connect(self._on_ended)
        thread = QThread()
        thread.setObjectName(self._name)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        # Direct: quit() is thread-safe, and a queued call would never run while the GUI thread
        # blocks waiting for the thread, so its event loop would not end.
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        self._thread, self._worker = thread, worker
        thread.start()

    def pause(self) -> None:
        self._control.pause()

    def resume(self) -> None:
        self._control.resume()

    def cancel(self) -> None:
        self._control.stop()

    def wait(self, timeout_s: float = 30.0) -> bool:
        """Block until the job has ended, then deliver what it sent, and its end, here and now."""
        worker = self._worker
        if not self._join(timeout_s):
            return False
        # The job's reports and end wait in the event queue: deliver them, in order, first.
        QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)
        if worker is not None and not self._answered:
            self._on_ended(worker.number, worker)
        return True

    def cancel_and_wait(self, timeout_s: float = 30.0) -> bool:
        self.cancel()
        self._answered = True  # whatever the job still sends is dropped
        return self._join(timeout_s)

    def _join(self, timeout_s: float = 30.0) -> bool:
        thread = self._thread
        if thread is None:
            return True
        if not thread.wait(int(timeout_s * 1000)):
            return False
        self._thread = None
        if self._worker is not None:
            self._worker.deleteLater()
            self._worker = None
        thread.deleteLater()
        return True

    @Slot(int, object)
    def _on_reported(self, number: int, value: object) -> None:
        if number == self._number and not self._answered:
            self._callbacks.yielded(value)

    @Slot(int)
    def _on_ended(self, number: int, worker: _Worker | None = None) -> None:
        worker = worker or self._worker
        if number != self._number or self._answered or worker is None:
            return
        self._answered = True
        assert worker.outcome is not None
        ok, value, details = worker.outcome
        if ok:
            self._callbacks.returned(value)
        else:
            self._callbacks.errored(value, details)  # type: ignore[arg-type]
        self._callbacks.finished()


class CallSoon(QObject):
    """``call_soon(fn)``: run ``fn`` on the GUI thread at the next event-loop pass, from any
    thread (a queued signal, even from the GUI thread itself, so moves are coalesced)."""

    _posted = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._posted.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def __call__(self, fn: object) -> None:
        self._posted.emit(fn)

    @Slot(object)
    def _run(self, fn: object) -> None:
        fn()  # type: ignore[operator]
