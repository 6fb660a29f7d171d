"""The map timeline: the codes of the map items recorded while a model trains — at the end of
every epoch, or also about every N steps — to replay how the codes map formed.

Frames hold the codes of the mapped items, so they are kept within a memory budget: past it,
every other frame between epoch ends is dropped (the replay keeps its span, at a coarser pace).
Codes arrive as often as training's map budget allows, so a frame "every N steps" is the first
codes at least N steps after the previous frame.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from psygnal import Signal

from latentlab.lab.model_session import ModelSession

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


class Timeline:
    changed = Signal()  # a frame was recorded, the frames were cleared, or the shown one changed
    frame_shown = Signal()  # the codes map should show ``shown_codes()``

    def __init__(self, model: ModelSession, replayable: Callable[[], bool]) -> None:
        self._model = model
        self._replayable = replayable
        self.frames: list[TimelineFrame] = []
        self.index: int | None = None  # the frame shown; None: the live map
        self.every = 0
        self._last_codes: tuple[int, float, np.ndarray] | None = None
        model.changed.connect(self._reset)
        model.codes_changed.connect(self._on_codes)
        model.epoch_ended.connect(lambda event: self._on_epoch_end(event.epoch))

    def set_every(self, steps: int) -> None:
        """Record a frame each epoch's end only (0), or also about every ``steps`` steps."""
        self.every = max(0, int(steps))
        self.changed.emit()

    def shown_codes(self) -> np.ndarray | None:
        """The codes the codes map shows: the frame being replayed, else the live ones."""
        return self._model.codes if self.index is None else self.frames[self.index].codes

    def show_frame(self, index: int | None) -> None:
        """Replay frame ``index``; None returns to the live map. Only the built-in codes map
        replays, not a projection replacing it."""
        if not self._replayable():
            return
        if index is not None and not 0 <= index < len(self.frames):
            return
        self.index = index
        self.frame_shown.emit()
        self.changed.emit()

    def _on_codes(self, step: int, epoch: float) -> None:
        codes = self._model.codes
        assert codes is not None
        self._last_codes = (step, epoch, codes)
        self.index = None  # new codes: the map is live again
        last_step = self.frames[-1].step if self.frames else 0
        if self.every and step - last_step >= self.every:
            self._append(TimelineFrame(step, epoch, codes, epoch_end=False))

    def _on_epoch_end(self, epoch: int) -> None:
        """An epoch ended: its last codes are a frame (replacing one taken at the same step)."""
        if self._last_codes is None:
            return
        step, _, codes = self._last_codes
        if self.frames and self.frames[-1].step == step:
            self.frames.pop()
        self._append(TimelineFrame(step, float(epoch), codes, epoch_end=True))

    def _append(self, frame: TimelineFrame) -> None:
        self.frames.append(frame)
        while sum(f.codes.nbytes for f in self.frames) > TIMELINE_BUDGET_BYTES:
            between = [i for i, f in enumerate(self.frames[:-1]) if not f.epoch_end]
            drop = set(between[1::2] or between or list(range(1, len(self.frames) - 1, 2)))
            if not drop:
                break  # one or two frames: nothing left to thin
            self.frames = [f for i, f in enumerate(self.frames) if i not in drop]
        self.changed.emit()

    def _reset(self) -> None:
        self.frames = []
        self.index = None
        self._last_codes = None
        self.changed.emit()
