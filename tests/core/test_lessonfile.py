"""Lesson files: read and written with paths relative to the lesson, every bad field refused
with the file, the step and the reason; a checkpoint from elsewhere travels with the lesson."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data.source import DataSource
from latentlab.core.files.labfile import Lab
from latentlab.core.files.lesson_save import save_lesson
from latentlab.core.files.lessonfile import (
    LESSON_VERSION,
    Lesson,
    LessonFileError,
    Step,
    StepStart,
    load_lesson,
)
from latentlab.lab.lessons import builtin_lessons


def _write(path: Path, steps: list, **extra) -> Path:
    path.write_text(json.dumps({"kind": "latentlab lesson", "version": 1, "title": "T",
                                "steps": steps, **extra}), encoding="utf-8")
    return path


def test_a_lesson_round_trips_with_relative_paths(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "images.npz").write_bytes(b"")
    (folder / "model.safetensors").write_bytes(b"weights")
    lab = Lab(dataset=DataSource(str(folder / "data" / "images.npz")),
              maps={"colour_by": "label"}, probes={"latent": [0.5, -1.0]})
    lesson = Lesson("Autoencoders", (
        Step("One", text="**Bold**", try_this="Drag.", lab=lab,
             model=ModelConfig(family="vae", latent_dim=2), train=TrainConfig(epochs=3),
             controls=("map:latent", "probe"), start=StepStart("train", epochs=3)),
        Step("Two", start=StepStart("open", checkpoint=str(folder / "model.safetensors"))),
        Step("Three", workspace="gan dynamics", settings={"A": {"loss": "saturating"}},
             start=StepStart("play", frames=10)),
    ))
    saved = save_lesson(folder / "l.lesson.json", lesson)
    text = saved.read_text(encoding="utf-8")
    assert str(tmp_path) not in text and '"data/images.npz"' in text
    again = load_lesson(saved)
    assert again.steps[0] == lesson.steps[0] and again.steps[1] == lesson.steps[1]
    assert again.steps[2].settings == {"A": {"loss": "saturating"}}


def test_a_checkpoint_from_elsewhere_is_copied_beside_the_lesson(tmp_path: Path) -> None:
    model = tmp_path / "autosaves" / "m.safetensors"
    model.parent.mkdir()
    model.write_bytes(b"weights")
    lesson = Lesson("L", (Step("a", start=StepStart("open", checkpoint=str(model))),
                          Step("b", start=StepStart("open", checkpoint=str(model)))))
    (tmp_path / "class").mkdir()
    saved = save_lesson(tmp_path / "class" / "mine.lesson.json", lesson)
    copy = tmp_path / "class" / "mine models" / "m.safetensors"
    assert copy.read_bytes() == b"weights"
    assert [s.start.checkpoint for s in load_lesson(saved).steps] == [str(copy)] * 2
    missing = Lesson("L", (Step("a", start=StepStart("open", checkpoint=str(tmp_path / "x"))),))
    with pytest.raises(LessonFileError, match="missing"):
        save_lesson(tmp_path / "class" / "other.lesson.json", missing)
    assert not (tmp_path / "class" / "other.lesson.json").exists()


@pytest.mark.parametrize(("steps", "extra", "reason"), [
    ([], {}, "non-empty list of steps"),
    ([{"title": ""}], {}, "step 1: 'title' must be non-empty text"),
    ([{"title": "s", "colour": 1}], {}, "unknown field(s) colour"),
    ([{"title": "s", "workspace": "kitchen"}], {}, "'workspace' must be one of"),
    ([{"title": "s", "setup": {"controls": ["map:latent", "nope"]}}], {},
     "unknown control(s) nope"),
    ([{"title": "s", "setup": {"model": {"family": "ae", "depth": 3}}}], {},
     "unknown setting(s) depth"),
    ([{"title": "s", "setup": {"train": {"epochs": 0}}}], {}, "Epochs: must be at least 1"),
    ([{"title": "s", "start": {"action": "train"}}], {}, "'start.epochs' must be at least 1"),
    ([{"title": "s", "start": {"action": "fly"}}], {}, "'start.action' must be one of"),
    ([{"title": "s", "start": {"action": "open"}}], {}, "must name the checkpoint"),
    ([{"title": "s", "workspace": "gan dynamics", "setup": {"settings": {"A": {"g_lr": -1}}}}],
     {}, "run A:"),
    ([{"title": "s", "setup": {"lab": {"dataset": {"source": "digits", "options": {"x": 1}}}}}],
     {}, "'setup.lab': 'dataset.options' has unknown options: x"),
    ([{"title": "s"}], {"version": LESSON_VERSION + 1}, "written by a newer latentlab"),
    ([{"title": "s"}], {"kind": "latentlab lab"}, "not a latentlab lesson"),
])
def test_bad_lessons_are_refused_naming_file_step_and_reason(tmp_path: Path, steps, extra,
                                                            reason) -> None:
    path = _write(tmp_path / "bad.lesson.json", steps, **extra)
    with pytest.raises(LessonFileError) as caught:
        load_lesson(path)
    assert str(caught.value).startswith(f"{path}: ") and reason in str(caught.value)


def test_not_json_or_not_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.lesson.json").write_text("{]")
    with pytest.raises(LessonFileError, match="not valid JSON"):
        load_lesson(tmp_path / "a.lesson.json")
    with pytest.raises(LessonFileError, match="folder"):
        load_lesson(tmp_path)


def test_the_builtin_lecture_reads_and_ships_small_checkpoints() -> None:
    paths = builtin_lessons()
    lessons = [load_lesson(p) for p in paths]
    assert all(lesson.steps for lesson in lessons)
    shipped = {Path(c) for lesson in lessons for step in lesson.steps for c in step.checkpoints()}
    assert all(c.is_file() for c in shipped), sorted(c for c in shipped if not c.is_file())
    assert sum(c.stat().st_size for c in shipped) <= 20_000_000
