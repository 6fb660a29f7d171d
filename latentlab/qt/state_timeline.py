"""The map timeline: the codes map recorded while a model trains — at the end of every epoch, or
also about every N steps — and replayed frame by frame. Mixed into LabState.

Frames hold the codes of the mapped items, so they are kept within a memory budget: past it,
every other frame between epoch ends is dropped (the replay keeps its span, at a coarser pace).
Codes reach the GUI as often as training's map budget allows, so a frame "every N steps" is the
first codes at least N steps after the previous frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentlab.qt.map_ids import LATENT

#: Choices for recording frames: 0 is each epoch's end only; N also about every N steps.
TIMELINE_EVERY = (0, 10, 100, 1000)
#: Memory for the frames' codes (70,000 items × 8-D codes: about 120 frames).
TIMELINE_BUDGET_BYTES = 256 * 2**20


@dataclass(frozen=True)
class TimelineFrame:
    step: int
    epoch: float  # epochs done when the codes were taken: 2.0 at the end of the second
    codes: np.ndarray
    epoch_end: bool


class TimelineStateMixin:
    """Records and replays frames of the codes map; LabState holds the signals used here."""

    def _init_timeline(self) -> None:
        self.timeline: list[TimelineFrame] = []
        self.timeline_index: int | None = None  # the frame shown; None: the live map
        self.timeline_every = 0
        self._last_codes: tuple[int, float, np.ndarray] | None = None

    def set_timeline_every(self, steps: int) -> None:
        """Record a frame each epoch's end only (0), or also about every ``steps`` steps."""
        self.timeline_every = max(0, int(steps))
        self.timeline_changed.emit()

    def _timeline_codes(self, codes: np.ndarray, step: int, epoch: float) -> None:
        """Each snapshot's codes: a frame when N steps have passed since the last one."""
        self._last_codes = (step, epoch, codes)
        every = self.timeline_every
        last_step = self.timeline[-1].step if self.timeline else 0
        if every and step - last_step >= every:
            self._append_frame(TimelineFrame(step, epoch, codes, epoch_end=False))

    def _timeline_epoch_end(self, epoch: int) -> None:
        """An epoch ended: its last codes are a frame (replacing one taken at the same step)."""
        if self._last_codes is None:
            return
        step, _, codes = self._last_codes
        if self.timeline and self.timeline[-1].step == step:
            self.timeline.pop()
        self._append_frame(TimelineFrame(step, float(epoch), codes, epoch_end=True))

    def _append_frame(self, frame: TimelineFrame) -> None:
        self.timeline.append(frame)
        while sum(f.codes.nbytes for f in self.timeline) > TIMELINE_BUDGET_BYTES:
            between = [i for i, f in enumerate(self.timeline[:-1]) if not f.epoch_end]
            drop = set(between[1::2] or between or list(range(1, len(self.timeline) - 1, 2)))
            if not drop:
                break  # one or two frames: nothing left to thin
            self.timeline = [f for i, f in enumerate(self.timeline) if i not in drop]
        self.timeline_changed.emit()

    def _reset_timeline(self) -> None:
        self.timeline = []
        self.timeline_index = None
        self._last_codes = None
        self.timeline_changed.emit()

    def show_frame(self, index: int | None) -> None:
        """Show the codes map as it was at frame ``index``; None returns to the live map.
        The timeline replays the built-in codes map only, not a projection replacing it."""
        if self.latent_map is None or self.replaced(LATENT):
            return
        codes = self.codes
        if index is not None:
            if not 0 <= index < len(self.timeline):
                return
            codes = self.timeline[index].codes
        self.timeline_index = index
        if codes is not None:
            self.coords[LATENT] = self.latent_map.transform(codes)
            self.map_changed.emit(LATENT)
        self.timeline_changed.emit()
