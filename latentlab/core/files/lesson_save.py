"""Writing lesson files (the format: :mod:`latentlab.core.files.lessonfile`): paths inside the
lesson's folder relative to it, and a checkpoint from elsewhere copied beside the lesson first,
so that the folder travels whole."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from latentlab.core.files.atomic import write_atomic_or_explain
from latentlab.core.files.labfile import LabFileError, lab_to_json, stored_path
from latentlab.core.files.lessonfile import (
    LESSON_KIND,
    LESSON_SUFFIX,
    LESSON_VERSION,
    Lesson,
    LessonFileError,
    Step,
    lesson_from_json,
)


def save_lesson(path: str | Path, lesson: Lesson) -> Path:
    """Write ``lesson`` to ``path`` atomically; a checkpoint outside the lesson's folder is
    copied into ``<name> models/`` beside it first, so the folder travels whole. Returns the
    absolute path written."""
    path = Path(path)
    target = Path(os.path.abspath(path.expanduser()))
    folder = target.parent
    try:
        lesson = _bundle_checkpoints(lesson, target)
        d = lesson_to_json(lesson, folder)
        lesson_from_json(json.loads(json.dumps(d)), folder)  # never write what cannot be read
        data = (json.dumps(d, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
        return write_atomic_or_explain(target, data.encode("utf-8", "surrogateescape"))
    except (LessonFileError, LabFileError) as exc:
        raise LessonFileError(f"not saved: {exc.reason}", path) from None
    except (TypeError, ValueError, OSError) as exc:
        raise LessonFileError(f"not saved: {exc}", path) from None


def lesson_to_json(lesson: Lesson, folder: Path) -> dict[str, Any]:
    return {"kind": LESSON_KIND, "version": LESSON_VERSION, "title": lesson.title,
            "description": lesson.description,
            "steps": [_step_to_json(step, folder) for step in lesson.steps]}


def _step_to_json(step: Step, folder: Path) -> dict[str, Any]:
    setup: dict[str, Any] = {}
    if step.lab is not None:
        setup["lab"] = lab_to_json(step.lab, folder)
    if step.model is not None:
        setup["model"] = step.model.to_dict()
    if step.train is not None:
        setup["train"] = step.train.to_dict()
    if step.settings:
        setup["settings"] = step.settings
    if step.controls is not None:
        setup["controls"] = list(step.controls)
    start: dict[str, Any] = {"action": step.start.action}
    if step.start.action == "train":
        start["epochs"] = step.start.epochs
    elif step.start.action == "play":
        start["frames"] = step.start.frames
    elif step.start.action == "open":
        start["checkpoint"] = stored_path(step.start.checkpoint, folder)
    return {"title": step.title, "text": step.text, "try": step.try_this,
            "workspace": step.workspace, "setup": setup, "start": start}


def _bundle_checkpoints(lesson: Lesson, target: Path) -> Lesson:
    folder = target.parent
    models = folder / f"{target.name.removesuffix(LESSON_SUFFIX)} models"
    copied: dict[str, str] = {}

    def inside(p: str) -> str:
        absolute = os.path.abspath(p)
        if _in_folder(absolute, folder):
            return p
        if absolute not in copied:
            if not os.path.isfile(absolute):
                raise LessonFileError(f"the checkpoint {absolute} is missing")
            models.mkdir(exist_ok=True)
            name, n = Path(absolute).name, 1
            while (models / name).exists() and os.path.abspath(models / name) not in copied:
                n += 1
                name = f"{Path(absolute).stem}-{n}{Path(absolute).suffix}"
            shutil.copyfile(absolute, models / name)
            copied[absolute] = str(models / name)
        return copied[absolute]

    steps = []
    for step in lesson.steps:
        lab = step.lab
        if lab is not None and lab.checkpoints:
            lab = replace(lab, checkpoints=[inside(p) for p in lab.checkpoints])
        start = step.start
        if start.checkpoint:
            start = replace(start, checkpoint=inside(start.checkpoint))
        steps.append(replace(step, lab=lab, start=start))
    return replace(lesson, steps=tuple(steps))


def _in_folder(absolute: str, folder: Path) -> bool:
    try:
        return os.path.commonpath([absolute, str(folder)]) == str(folder)
    except ValueError:  # another drive (Windows)
        return False
