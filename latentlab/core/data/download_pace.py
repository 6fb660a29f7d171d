"""How long and how slowly one transfer may go: a minimum average rate and an overall deadline.

The socket timeout only bounds each wait for the next bytes, so a server that sends one byte
every few seconds never trips it. :class:`Pace` is asked after every read of the body and says
why a transfer must stop: the last ``window`` seconds brought fewer than ``min_rate`` bytes per
second on average, or the attempt ran past its deadline (by default the expected size at the
minimum rate, plus some slack).

The checks run when a read returns, and each read waits at most the socket timeout, so a
transfer stops at most that long after a limit is passed.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from latentlab.core.files.safe_io import size_text

#: Bytes per second that a transfer must average over every window: far below a slow classroom
#: link shared by thirty machines (about 40 kB/s each on 10 Mbit/s), far above a trickle.
MIN_RATE = 4_000.0
#: Seconds the average is taken over: long enough to ride out a congested moment.
RATE_WINDOW = 30.0
#: Seconds added to the time the expected size needs at the minimum rate (connecting, a slow
#: first window).
DEADLINE_SLACK = 60.0
#: The deadline of a file whose size is not known beforehand.
UNKNOWN_SIZE_DEADLINE = 3600.0

# Samples kept per window: enough for a sliding average, few enough for a fast link.
_SAMPLES_PER_WINDOW = 30


def seconds_text(seconds: float) -> str:
    """A duration for people: "0.3 s", "30 s", "41 min", "2.5 h"."""
    if seconds < 100:
        return f"{seconds:.2g} s" if seconds < 10 else f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def deadline_for(size: int | None, min_rate: float) -> float | None:
    """Seconds one attempt at a file may take: ``size`` bytes at ``min_rate`` plus slack; an hour
    when the size is unknown; None (no deadline) when there is no minimum rate."""
    if min_rate <= 0:
        return None
    if size is None:
        return UNKNOWN_SIZE_DEADLINE
    return size / min_rate + DEADLINE_SLACK


class Pace:
    """Watches one attempt: the deadline counts from creation, the rate from :meth:`begin`."""

    def __init__(self, min_rate: float, window: float, deadline: float | None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.min_rate = min_rate
        self.window = window
        self.deadline = deadline
        self.clock = clock
        self.started = clock()
        self.samples: deque[tuple[float, int]] = deque([(self.started, 0)])

    def begin(self) -> None:
        """The body starts now: waiting for the answer does not count against the rate."""
        self.samples = deque([(self.clock(), 0)])

    def check(self, received: int) -> str | None:
        """Why the attempt must stop, having received ``received`` body bytes; None if it may
        go on."""
        now = self.clock()
        if self.deadline is not None and now - self.started > self.deadline:
            return (f"the transfer did not finish within {seconds_text(self.deadline)} "
                    f"({size_text(received)} received)")
        if self.min_rate <= 0 or self.window <= 0:
            return None
        if now - self.samples[-1][0] >= self.window / _SAMPLES_PER_WINDOW:
            self.samples.append((now, received))
        # Keep the newest sample at or before the window's start as the first one.
        while len(self.samples) > 1 and self.samples[1][0] <= now - self.window:
            self.samples.popleft()
        since, before = self.samples[0]
        span, sent = now - since, received - before
        if span >= self.window and sent < self.min_rate * span:
            return (f"the server sent {size_text(sent)} in {seconds_text(span)}, under the "
                    f"minimum of {size_text(self.min_rate)}/s (too slow)")
        return None


__all__ = ["DEADLINE_SLACK", "MIN_RATE", "RATE_WINDOW", "Pace", "deadline_for", "seconds_text"]
