"""Lessons headless: every built-in lesson's steps set up and complete on tiny settings; a
lesson authored from the current view survives saving and moving its folder."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.files.lesson_save import save_lesson
from latentlab.core.files.lessonfile import Lesson, load_lesson
from latentlab.lab.classroom import Classroom
from latentlab.lab.lesson_targets import latent_step_from
from latentlab.lab.lessons import FAILED, READY, builtin_lessons


def tiny(lesson: Lesson) -> Lesson:
    """The same steps with one epoch of training and two frames of play."""
    steps = []
    for step in lesson.steps:
        start = step.start
        if start.action == "train":
            start = replace(start, epochs=1)
        elif start.action == "play":
            start = replace(start, frames=2)
        steps.append(replace(step, start=start))
    return replace(lesson, steps=tuple(steps))


@pytest.fixture
def classroom():
    room = Classroom()
    yield room
    room.shutdown()


def test_the_builtin_lecture_is_in_order_and_every_step_runs(classroom, tmp_path: Path) -> None:
    paths = builtin_lessons()
    assert len(paths) >= 12 and paths == sorted(paths)
    lessons = classroom.lessons
    errors: list[str] = []
    classroom.latent.notes.error.connect(lambda title, message, *_: errors.append(message))
    classroom.notes.error.connect(lambda title, message, *_: errors.append(message))
    for path in paths:
        lesson = load_lesson(path)
        # The tiny copy sits beside the original, so its relative paths still resolve.
        copy = path.parent / f"tiny-{path.name}"
        try:
            save_lesson(copy, tiny(lesson))
            assert lessons.open(copy), errors
        finally:
            copy.unlink(missing_ok=True)
        for index in range(len(lesson.steps)):
            lessons.go(index)
            assert lessons.status == READY, (path.name, index, errors)
            step = lesson.steps[index]
            if step.start.action == "train":
                model = classroom.latent.model
                assert model.epoch == 1 and model.codes is not None
            if step.start.action == "open" and step.workspace == "latent maps":
                assert classroom.latent.model.path == Path(step.start.checkpoint)
            if step.lab is not None:
                assert classroom.latent.data.source == step.lab.dataset
    assert not errors


def test_a_step_that_cannot_be_set_up_fails_and_says_why(classroom, tmp_path: Path) -> None:
    room = classroom
    room.latent.data.set_dataset(*_digits())
    step = latent_step_from(room.latent, None, None, "opens a missing model")
    step = replace(step, start=replace(step.start, action="open",
                                       checkpoint=str(tmp_path / "gone.safetensors")))
    messages: list[str] = []
    room.latent.notes.error.connect(lambda title, message, *_: messages.append(message))
    room.lessons.add_step(step)
    room.lessons.reset_step()
    assert room.lessons.status == FAILED and "gone.safetensors" in messages[-1]


def _digits():
    from latentlab.core.data import load_builtin
    from latentlab.core.data.source import DataSource
    return load_builtin("digits"), None, DataSource.parse("digits")


def test_authored_lesson_survives_saving_and_moving(classroom, tmp_path: Path) -> None:
    lab = classroom.latent
    lab.data.set_dataset(*_digits())
    m, t = ModelConfig(hidden=(32,), latent_dim=2), TrainConfig(epochs=1, device="cpu")
    lab.model.start_training(m, t)
    # The model lives elsewhere (the user's autosaves): saving copies it beside the lesson.
    elsewhere = tmp_path / "elsewhere" / "model.safetensors"
    elsewhere.parent.mkdir()
    assert lab.files.save_model(elsewhere) is not None
    lessons = classroom.lessons
    lessons.new("Mine")
    lessons.add_step(latent_step_from(lab, m, t, "A trained model"))
    lessons.add_step(latent_step_from(lab, m, replace(t, epochs=2), "Train it"))
    lessons.edit_step(1, text="**Two** epochs.", try_this="Watch.",
                      start=replace(lessons.lesson.steps[1].start, action="train", epochs=2,
                                    checkpoint=""),
                      controls=("map:latent", "loss"))
    lessons.move_step(1, 0)
    assert [s.title for s in lessons.lesson.steps] == ["Train it", "A trained model"]
    (tmp_path / "class").mkdir()
    saved = lessons.save(tmp_path / "class" / "mine.lesson.json")
    assert saved is not None and not lessons.modified
    moved = tmp_path / "moved"
    shutil.move(tmp_path / "class", moved)
    shutil.rmtree(tmp_path / "elsewhere")
    again = load_lesson(moved / "mine.lesson.json")
    before = lessons.lesson
    assert [s.title for s in again.steps] == [s.title for s in before.steps]
    assert again.steps[0].controls == ("map:latent", "loss") and again.steps[0].start.epochs == 2
    assert again.steps[0].model == m and again.steps[1].start.action == "open"
    checkpoint = Path(again.steps[1].start.checkpoint)
    assert checkpoint.is_file() and checkpoint.is_relative_to(moved)
    assert lessons.open(moved / "mine.lesson.json")
    lessons.go(1)
    assert lessons.status == READY and lab.model.path == checkpoint
