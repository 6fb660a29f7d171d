"""Background work without Qt: a job, the control it polls, and the runner protocol.

A job is ``job(control) -> result``: it reports progress or events with ``control.report(x)``,
polls ``control.stop_requested`` (or passes ``control.cancel_event`` to the core) and returns its
result. A runner runs one job at a time and calls back — in the app on the GUI thread — with
each report (``yielded``), the result (``returned``) or the exception (``errored``), then
``finished``. Training and one-off tasks (loads, projections, metrics) are the same kind of job.

:class:`InlineRunner` runs a job to its end inside ``start``: headless labs (tests, scripts) are
deterministic with it. The Qt layer's ``QtRunner`` runs it on a QThread.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from latentlab.core.training.control import TrainControl

Callback = Callable[[Any], None]


def _ignore(_value: object) -> None:
    pass


@dataclass
class JobControl(TrainControl):
    """Stop/pause flags a job polls (training's own control) and where it reports to."""

    report: Callback = field(default=_ignore)

    @property
    def cancel_event(self) -> threading.Event:
        """Set when the job should stop: the core's loaders and projections poll such an event."""
        return self._stop


Job = Callable[[JobControl], Any]


@dataclass(frozen=True)
class JobCallbacks:
    """What a runner calls back with; each on the thread that owns the lab."""

    yielded: Callback = _ignore
    returned: Callback = _ignore
    errored: Callable[[BaseException, str], None] = lambda _exc, _details: None
    finished: Callable[[], None] = lambda: None


class Runner(Protocol):
    """Runs one job at a time. ``running`` is True from ``start`` until ``finished`` was called."""

    @property
    def running(self) -> bool: ...

    def start(self, job: Job, callbacks: JobCallbacks, cpu_threads: int = 0) -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def cancel(self) -> None:
        """Ask the job to stop; its end is still delivered."""

    def wait(self, timeout_s: float = 30.0) -> bool:
        """Block until the job has ended and its end was delivered (False: timed out)."""

    def cancel_and_wait(self, timeout_s: float = 30.0) -> bool:
        """Cancel, wait, and drop whatever the job still sends (it was given up on)."""


def run_job(job: Job, control: JobControl) -> tuple[bool, Any, str]:
    """Run ``job``: (True, result, "") or (False, the exception, its traceback)."""
    try:
        return True, job(control), ""
    except Exception as exc:  # any failure reaches the lab as a value, never kills a thread
        return False, exc, traceback.format_exc()


class InlineRunner:
    """Runs each job inside ``start``, calling back at once: for headless labs."""

    def __init__(self) -> None:
        self._control: JobControl | None = None
        self._dropped = False

    @property
    def running(self) -> bool:
        return self._control is not None

    def start(self, job: Job, callbacks: JobCallbacks, cpu_threads: int = 0) -> None:
        if self.running:
            raise RuntimeError("A job is already running.")
        self._dropped = False

        def report(value: object) -> None:
            if not self._dropped:
                callbacks.yielded(value)

        self._control = JobControl(report=report)
        ok, value, details = run_job(job, self._control)
        self._control = None
        if self._dropped:
            return
        if ok:
            callbacks.returned(value)
        else:
            callbacks.errored(value, details)
        callbacks.finished()

    def pause(self) -> None:
        if self._control is not None:
            self._control.pause()

    def resume(self) -> None:
        if self._control is not None:
            self._control.resume()

    def cancel(self) -> None:
        if self._control is not None:
            self._control.stop()

    def wait(self, timeout_s: float = 30.0) -> bool:
        return True

    def cancel_and_wait(self, timeout_s: float = 30.0) -> bool:
        # Only reachable from a callback of the job itself: what it sends from now on is dropped.
        self.cancel()
        self._dropped = self.running
        return True


RunnerFactory = Callable[[str], Runner]
