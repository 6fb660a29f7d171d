"""The codes map's timeline, driven by the model session's events with no window."""

from __future__ import annotations

import numpy as np

from latentlab.core.training.events import EpochEnded
from latentlab.lab import timeline as timeline_module
from latentlab.lab.latent_lab import LatentLab


def codes_arrive(lab: LatentLab, codes: np.ndarray, step: int, epoch: float) -> None:
    """What a snapshot with codes does to the model session, as its signal says it."""
    lab.model.codes = codes
    lab.model.codes_changed.emit(step, epoch)


def test_the_timeline_thins_its_frames_to_stay_within_its_memory(monkeypatch) -> None:
    lab = LatentLab()
    codes = np.zeros((100, 2), np.float32)  # 800 bytes a frame
    monkeypatch.setattr(timeline_module, "TIMELINE_BUDGET_BYTES", 10 * codes.nbytes)
    lab.timeline.set_every(10)
    for step in range(1, 401):
        codes_arrive(lab, codes, step, step / 100)
        if step % 100 == 0:
            lab.model.epoch_ended.emit(EpochEnded(step // 100, {}, {}))
    frames = lab.timeline.frames
    assert len(frames) <= 10
    assert [f.step for f in frames if f.epoch_end] == [100, 200, 300, 400]  # all epoch ends
    assert frames[0].step == 10 and frames[-1].step == 400  # the whole span
    steps = [f.step for f in frames]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)


def test_an_epoch_end_replaces_a_frame_taken_at_the_same_step() -> None:
    lab = LatentLab()
    lab.timeline.set_every(10)
    codes_arrive(lab, np.zeros((4, 2), np.float32), 10, 0.5)
    lab.model.epoch_ended.emit(EpochEnded(1, {}, {}))
    assert [(f.step, f.epoch, f.epoch_end) for f in lab.timeline.frames] == [(10, 1.0, True)]
    # A new model starts a new timeline.
    lab.model.reset()
    assert lab.timeline.frames == [] and lab.timeline.index is None
