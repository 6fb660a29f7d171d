"""Every workspace's lab with a lesson over them, headless: what the window composes, for
scripts, tests and the lesson benchmark. Jobs run inline, so ``lessons.go(i)`` returns with the
step ready (or failed)."""

from __future__ import annotations

from latentlab.core.files.lessonfile import TRANSLATION, UNPAIRED
from latentlab.lab.cycle_lab import CycleLab
from latentlab.lab.gan2d import GanLab
from latentlab.lab.latent_lab import LatentLab
from latentlab.lab.lesson_targets import CheckpointStepTarget, GanStepTarget, LatentStepTarget
from latentlab.lab.lessons import Lessons
from latentlab.lab.notifications import Notifications
from latentlab.lab.translation import TranslationLab


class Classroom:
    def __init__(self) -> None:
        self.notes = Notifications()
        self.latent = LatentLab()
        self.gan2d = GanLab()
        self.cycle = CycleLab()
        self.translation = TranslationLab()
        self.lessons = Lessons(self.notes)
        for target in (LatentStepTarget(self.latent), GanStepTarget(self.gan2d),
                       CheckpointStepTarget(UNPAIRED, self.cycle),
                       CheckpointStepTarget(TRANSLATION, self.translation)):
            self.lessons.add_target(target)

    def shutdown(self) -> None:
        self.lessons.close()
        self.latent.shutdown()
        self.gan2d.shutdown()
        self.cycle.shutdown()
        self.translation.shutdown()
