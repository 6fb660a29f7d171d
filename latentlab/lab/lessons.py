"""The lesson being taught or written: its steps, the step shown, and whether that step is ready.

Moving to a step asks the workspace it belongs to (its :class:`StepTarget`) to put the step's
set-up in place and start its action; ``status`` follows: ``preparing`` until the target says
it is ready (``ready``) or could not be (``failed``: the lab has said why). Authoring edits the
lesson in memory (``modified`` until saved): add a step captured from the current view, edit a
step's words, action and visible controls, reorder and delete steps. Headless, a step is ready
(or failed) when ``go`` returns.
"""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from psygnal import Signal

from latentlab.core.files.lesson_save import save_lesson
from latentlab.core.files.lessonfile import (
    LESSON_SUFFIX,
    Lesson,
    LessonFileError,
    Step,
    load_lesson,
)
from latentlab.core.files.safe_io import printable
from latentlab.lab.lesson_targets import StepTarget
from latentlab.lab.notifications import Notifications

IDLE, PREPARING, READY, FAILED = "", "preparing", "ready", "failed"


def builtin_lessons() -> list[Path]:
    """The built-in lecture's lessons, in the lecture's order (their names sort so)."""
    folder = resources.files("latentlab.resources") / "lessons"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(LESSON_SUFFIX))


class Lessons:
    lesson_changed = Signal()  # another lesson, or its steps edited
    step_changed = Signal()  # another step shown (or none)
    status_changed = Signal()
    #: A step of another workspace is shown: the window shows that workspace.
    workspace_requested = Signal(str)

    def __init__(self, notes: Notifications) -> None:
        self._notes = notes
        self._targets: dict[str, StepTarget] = {}
        self.lesson: Lesson | None = None
        #: Where the lesson was read from or saved to (None: never saved).
        self.path: Path | None = None
        self.index = -1  # the step shown (-1: none)
        self.status = IDLE
        self.modified = False
        self._generation = 0  # a step's readiness counts only while it is the one shown

    def add_target(self, target: StepTarget) -> None:
        self._targets[target.workspace] = target

    @property
    def step(self) -> Step | None:
        if self.lesson is None or not 0 <= self.index < len(self.lesson.steps):
            return None
        return self.lesson.steps[self.index]

    # ------------------------------------------------------------------ files
    def open(self, path: str | Path) -> bool:
        """Read a lesson and show its first step; a bad file is refused, naming it and why."""
        try:
            lesson = load_lesson(path)
        except LessonFileError as exc:
            self._notes.report_error("Could not open the lesson", printable(str(exc), 8192))
            return False
        self._use(lesson, Path(path), modified=False)
        self._notes.say(f"Opened the lesson “{printable(lesson.title)}”, "
                        f"{len(lesson.steps)} step(s).")
        self.go(0)
        return True

    def new(self, title: str = "New lesson") -> None:
        self._stop()
        self._use(Lesson(title=title), None, modified=True)

    def save(self, path: str | Path) -> Path | None:
        """Write the lesson (its checkpoints from elsewhere copied beside it); None if not."""
        if self.lesson is None or not self.lesson.steps:
            self._notes.say("Add a step first: a lesson has at least one.")
            return None
        try:
            saved = save_lesson(path, self.lesson)
        except LessonFileError as exc:
            self._notes.report_error("Could not save the lesson", printable(str(exc), 8192))
            return None
        # Read back: the steps now name the checkpoints copied beside the lesson.
        self._use(load_lesson(saved), saved, modified=False)
        self._notes.say(f"Saved the lesson to {saved}.")
        return saved

    def _use(self, lesson: Lesson, path: Path | None, modified: bool) -> None:
        self.lesson, self.path, self.modified = lesson, path, modified
        self.index = min(self.index, len(lesson.steps) - 1) if modified else -1
        self.lesson_changed.emit()
        self.step_changed.emit()

    # ------------------------------------------------------------- navigation
    def go(self, index: int) -> None:
        """Show step ``index``: its workspace, its set-up, then its action."""
        if self.lesson is None or not 0 <= index < len(self.lesson.steps):
            return
        self._stop()
        self.index = index
        step = self.lesson.steps[index]
        self.step_changed.emit()
        target = self._targets.get(step.workspace)
        if target is None:
            self._notes.say(f"This step needs the {step.workspace} workspace, which opens "
                            "once PyTorch has loaded: reset the step in a moment.")
            self._set_status(FAILED)
            return
        self.workspace_requested.emit(step.workspace)
        generation = self._generation  # ``_stop`` began a new one
        self._set_status(PREPARING)

        def done(ok: bool) -> None:
            if generation == self._generation:
                self._set_status(READY if ok else FAILED)

        try:
            target.apply(step, done)
        except LessonFileError as exc:
            self._notes.report_error("Could not set up the step", str(exc))
            done(False)

    def next(self) -> None:
        self.go(self.index + 1)

    def previous(self) -> None:
        self.go(self.index - 1)

    def reset_step(self) -> None:
        """The step shown, from its start again."""
        self.go(self.index)

    def close(self) -> None:
        self._stop()
        self.lesson, self.path, self.index, self.modified = None, None, -1, False
        self._set_status(IDLE)
        self.lesson_changed.emit()
        self.step_changed.emit()

    def _stop(self) -> None:
        self._generation += 1
        step = self.step
        if step is not None and self.status == PREPARING and step.workspace in self._targets:
            self._targets[step.workspace].stop()

    def _set_status(self, status: str) -> None:
        self.status = status
        self.status_changed.emit()

    # --------------------------------------------------------------- authoring
    def add_step(self, step: Step) -> None:
        """Add ``step`` after the one shown (or last), and show it without applying it again:
        it was captured from what is on screen."""
        if self.lesson is None:
            self.new()
        assert self.lesson is not None
        at = self.index + 1 if self.index >= 0 else len(self.lesson.steps)
        steps = list(self.lesson.steps)
        steps.insert(at, step)
        self._edit(steps)
        self.index = at
        self._set_status(READY)
        self.step_changed.emit()

    def edit_step(self, index: int, **changes: Any) -> None:
        """Change a step's fields (title, text, try_this, start, controls)."""
        assert self.lesson is not None
        steps = list(self.lesson.steps)
        steps[index] = replace(steps[index], **changes)
        self._edit(steps)

    def move_step(self, index: int, to: int) -> None:
        assert self.lesson is not None
        steps = list(self.lesson.steps)
        if not (0 <= index < len(steps) and 0 <= to < len(steps)) or index == to:
            return
        steps.insert(to, steps.pop(index))
        if self.index == index:
            self.index = to
        elif index < self.index <= to:
            self.index -= 1
        elif to <= self.index < index:
            self.index += 1
        self._edit(steps)
        self.step_changed.emit()

    def delete_step(self, index: int) -> None:
        assert self.lesson is not None
        steps = list(self.lesson.steps)
        del steps[index]
        if index < self.index or self.index >= len(steps):
            self.index -= 1
        self._edit(steps)
        self.step_changed.emit()

    def set_title(self, title: str) -> None:
        if self.lesson is not None and title.strip():
            self._edit(title=title.strip())

    def _edit(self, steps: list[Step] | None = None, **changes: Any) -> None:
        assert self.lesson is not None
        if steps is not None:
            changes["steps"] = tuple(steps)
        self.lesson = replace(self.lesson, **changes)
        self.modified = True
        self.lesson_changed.emit()
