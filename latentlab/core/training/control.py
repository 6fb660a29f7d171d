"""Stop and pause for a run or a job: thread-safe flags its loop checks between steps.

Kept apart from the training loop, which imports torch: the jobs that load data use these
flags too, and need none of torch.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class TrainControl:
    """Thread-safe stop/pause flags; the loop checks them between batches."""

    _stop: threading.Event = field(default_factory=threading.Event)
    _running: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # a paused loop must wake up to notice the stop

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self) -> float:
        """Block while paused; return the seconds spent waiting."""
        if self._running.is_set():
            return 0.0
        start = time.perf_counter()
        self._running.wait()
        return time.perf_counter() - start
