"""Lesson files (``.lesson.json``): an ordered list of steps a teacher walks through in class.

Each step has a title, a short Markdown text, a "try this" line for the audience, the set-up it
puts the app in and what happens when it starts::

    {"kind": "latentlab lesson", "version": 1, "title": "PCA against an autoencoder",
     "steps": [
       {"title": "Pixels through PCA", "text": "…", "try": "Drag the probe…",
        "workspace": "latent maps",
        "setup": {"lab": {"dataset": {"source": "mnist-5k"}, "maps": {"colour_by": "label"}},
                  "model": {"family": "ae", …}, "train": {"epochs": 8, …},
                  "controls": ["map:pixels", "probe"]},
        "start": {"action": "train", "epochs": 8}}]}

``setup.lab`` holds a lab's fields (:mod:`latentlab.core.files.labfile`: dataset, maps, probes);
``model``/``train`` the settings the form shows (and a ``train`` start uses); ``settings`` a
workspace's own (the 2-D GAN lab's runs); ``controls`` what presentation mode shows (absent:
everything; another workspace shows its central page alone for any list). ``start.action`` is
``none``, ``train`` (``epochs`` live), ``open`` (``checkpoint``, shipped beside the lesson) or
``play`` (``frames`` of the 2-D GAN lab). Paths inside the
lesson's folder are stored relative to it, so the folder can be moved as a whole; saving
(``lesson_save``) copies a checkpoint from elsewhere into ``<lesson name> models/`` beside it.
Every problem is a ``LessonFileError`` naming the file and the reason (and the step).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from latentlab.config import ConfigError, ModelConfig, TrainConfig
from latentlab.core.files.labfile import (
    Lab,
    LabFileError,
    absolute_path,
    file_version,
    lab_from_json,
    read_json,
    short_repr,
)

LESSON_SUFFIX = ".lesson.json"
LESSON_KIND = "latentlab lesson"
#: The version of the layout above; a reader refuses files of a newer version.
LESSON_VERSION = 1
MAX_LESSON_BYTES = 4 << 20
MAX_STEPS = 200
MAX_TITLE_CHARS = 200
MAX_TEXT_CHARS = 20_000

LATENT_MAPS, GAN_DYNAMICS, UNPAIRED, TRANSLATION = ("latent maps", "gan dynamics", "unpaired",
                                                   "translation")
WORKSPACES = (LATENT_MAPS, GAN_DYNAMICS, UNPAIRED, TRANSLATION)
ACTIONS = ("none", "train", "open", "play")
#: What presentation mode can show or hide in the latent-map workspace; the others show whole.
CONTROLS: dict[str, str] = {
    "dataset": "Dataset panel",
    "model": "Model and training form",
    "map:pixels": "Inputs map (PCA / LSA)",
    "map:latent": "Codes map",
    "map:third": "Third map",
    "map controls": "Each map's source and method",
    "timeline": "Codes map's replay",
    "legend": "Class legend",
    "probe": "Images at the probes",
    "codes": "Generator's code panel",
    "outputs": "Reconstructions or samples",
    "loss": "Loss curves",
    "toolbar": "Map tools and colours",
    "few labels": "Few-labels panel",
    "metrics": "Metrics table",
}
#: The 2-D GAN lab's toy datasets' names are checked when applied; its runs here.
GAN_RUNS = ("A", "B")


class LessonFileError(ValueError):
    """A lesson cannot be read or written; the message names the file and the reason."""

    def __init__(self, reason: str, path: str | Path | None = None) -> None:
        self.reason = reason
        self.path = Path(path) if path is not None else None
        super().__init__(f"{path}: {reason}" if path is not None else reason)


@dataclass(frozen=True)
class StepStart:
    """What happens once a step's set-up is in place."""

    action: str = "none"
    epochs: int = 0  # train: epochs of the live run
    checkpoint: str = ""  # open: the checkpoint (absolute once read)
    frames: int = 0  # play: frames of the 2-D GAN lab


@dataclass(frozen=True)
class Step:
    title: str
    text: str = ""
    try_this: str = ""
    workspace: str = LATENT_MAPS
    lab: Lab | None = None  # latent maps: dataset, maps, colours, probes
    model: ModelConfig | None = None
    train: TrainConfig | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # another workspace's own
    controls: tuple[str, ...] | None = None  # shown in presentation mode (None: all)
    start: StepStart = StepStart()

    def checkpoints(self) -> list[str]:
        """Every checkpoint the step uses (its lab's and the one it opens)."""
        found = list(self.lab.checkpoints) if self.lab is not None else []
        return found + ([self.start.checkpoint] if self.start.checkpoint else [])


@dataclass(frozen=True)
class Lesson:
    title: str
    steps: tuple[Step, ...] = ()
    description: str = ""
    version: int = LESSON_VERSION


# ---------------------------------------------------------------------------------- reading


def load_lesson(path: str | Path) -> Lesson:
    """Read a lesson; relative paths in it are resolved against its folder. Checkpoints and
    datasets are not opened here: applying a step reports a missing one."""
    path = Path(path)
    try:
        d = read_json(path, "a lesson", MAX_LESSON_BYTES)
    except ValueError as exc:
        raise LessonFileError(str(exc), path) from None
    try:
        return lesson_from_json(d, Path(os.path.abspath(path.expanduser())).parent)
    except LessonFileError as exc:
        raise LessonFileError(exc.reason, path) from None


def lesson_title(path: Path) -> str:
    """A lesson's title without reading the rest (menus list lessons before one is opened:
    the full check happens then); the file's name if it has none."""
    try:
        title = json.loads(path.read_text(encoding="utf-8")).get("title")
    except (OSError, ValueError, AttributeError):
        title = None
    return title if isinstance(title, str) and title.strip() else path.name


def lesson_from_json(d: Any, folder: Path) -> Lesson:
    try:
        version = file_version(d, LESSON_KIND, "lesson", LESSON_VERSION)
    except ValueError as exc:
        raise LessonFileError(str(exc)) from None
    title = _text(d, "title", MAX_TITLE_CHARS, required=True)
    steps = d.get("steps")
    if not isinstance(steps, list) or not steps:
        raise LessonFileError("'steps' must be a non-empty list of steps")
    if len(steps) > MAX_STEPS:
        raise LessonFileError(f"has {len(steps)} steps; at most {MAX_STEPS}")
    parsed = []
    for number, step in enumerate(steps, start=1):
        try:
            parsed.append(_step(step, folder))
        except LessonFileError as exc:
            raise LessonFileError(f"step {number}: {exc.reason}") from None
    return Lesson(title=title, steps=tuple(parsed),
                  description=_text(d, "description", MAX_TEXT_CHARS), version=version)


def _step(d: Any, folder: Path) -> Step:
    if not isinstance(d, dict):
        raise LessonFileError("must be an object with a 'title'")
    unknown = sorted(set(d) - {"title", "text", "try", "workspace", "setup", "start"})
    if unknown:
        raise LessonFileError(f"unknown field(s) {', '.join(unknown)}")
    workspace = d.get("workspace", LATENT_MAPS)
    if workspace not in WORKSPACES:
        raise LessonFileError(f"'workspace' must be one of {', '.join(WORKSPACES)} "
                              f"(got {short_repr(workspace)})")
    setup = d.get("setup", {})
    if not isinstance(setup, dict):
        raise LessonFileError("'setup' must be an object")
    unknown = sorted(set(setup) - {"lab", "model", "train", "settings", "controls"})
    if unknown:
        raise LessonFileError(f"'setup' has unknown field(s) {', '.join(unknown)}")
    lab = None
    if "lab" in setup:
        if not isinstance(setup["lab"], dict):
            raise LessonFileError("'setup.lab' must be an object with a 'dataset'")
        try:
            lab = lab_from_json(setup["lab"], folder)
        except LabFileError as exc:
            raise LessonFileError(f"'setup.lab': {exc.reason}") from None
    settings = setup.get("settings", {})
    if not isinstance(settings, dict):
        raise LessonFileError("'setup.settings' must be an object")
    if workspace == GAN_DYNAMICS:
        gan_configs(settings)  # refused here, not halfway through a class
    return Step(title=_text(d, "title", MAX_TITLE_CHARS, required=True),
                text=_text(d, "text", MAX_TEXT_CHARS), try_this=_text(d, "try", MAX_TEXT_CHARS),
                workspace=workspace, lab=lab,
                model=_settings(setup, "model", ModelConfig),
                train=_settings(setup, "train", TrainConfig),
                settings=settings, controls=_controls(setup.get("controls")),
                start=_start(d.get("start", {}), folder))


def _text(d: dict, key: str, limit: int, required: bool = False) -> str:
    value = d.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise LessonFileError(f"'{key}' must be {'non-empty ' if required else ''}text")
    if len(value) > limit:
        raise LessonFileError(f"'{key}' is {len(value):,} characters; at most {limit:,}")
    return value


def _settings(setup: dict, key: str, cls: type[ModelConfig] | type[TrainConfig]) -> Any:
    value = setup.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise LessonFileError(f"'setup.{key}' must be an object of settings")
    try:
        settings = cls.from_dict(value)
        problems = settings.validate() if isinstance(settings, TrainConfig) else []
    except ConfigError as exc:
        problems = exc.problems
    except TypeError as exc:
        problems = [str(exc)]
    if problems:
        raise LessonFileError(f"'setup.{key}': {' '.join(problems)}")
    return settings


def _controls(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise LessonFileError("'setup.controls' must be a list of control names")
    unknown = [c for c in value if c not in CONTROLS]
    if unknown:
        raise LessonFileError(f"'setup.controls' names unknown control(s) {', '.join(unknown)} "
                              f"(known: {', '.join(CONTROLS)})")
    return tuple(dict.fromkeys(value))


def _start(d: Any, folder: Path) -> StepStart:
    if not isinstance(d, dict):
        raise LessonFileError("'start' must be an object with an 'action'")
    unknown = sorted(set(d) - {f.name for f in fields(StepStart)})
    if unknown:
        raise LessonFileError(f"'start' has unknown field(s) {', '.join(unknown)}")
    action = d.get("action", "none")
    if action not in ACTIONS:
        raise LessonFileError(f"'start.action' must be one of {', '.join(ACTIONS)} "
                              f"(got {short_repr(action)})")
    counts = {}
    for key in ("epochs", "frames"):
        value = d.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100_000:
            raise LessonFileError(f"'start.{key}' must be a whole number from 0 to 100,000")
        counts[key] = value
    if action == "train" and counts["epochs"] < 1:
        raise LessonFileError("'start.epochs' must be at least 1 to train")
    if action == "play" and counts["frames"] < 1:
        raise LessonFileError("'start.frames' must be at least 1 to play")
    checkpoint = d.get("checkpoint", "")
    if not isinstance(checkpoint, str) or "\0" in checkpoint:
        raise LessonFileError("'start.checkpoint' must be a path")
    if action == "open" and not checkpoint:
        raise LessonFileError("'start.checkpoint' must name the checkpoint to open")
    return StepStart(action=action, checkpoint=absolute_path(checkpoint, folder)
                     if checkpoint else "", **counts)


def gan_configs(settings: dict[str, Any]) -> dict[str, Any]:
    """The 2-D GAN lab's settings of a step: ``{"A": Gan2dConfig, "B": …}`` (B: side by side);
    LessonFileError names the run and the field that cannot work."""
    from latentlab.core.gan2d.settings import Gan2dConfig  # the 2-D lab's own, on demand

    unknown = sorted(set(settings) - set(GAN_RUNS))
    if unknown or "A" not in settings:
        raise LessonFileError("'setup.settings' must hold run \"A\" (and \"B\" side by side)")
    known = {f.name for f in fields(Gan2dConfig)}
    configs = {}
    for run, value in settings.items():
        if not isinstance(value, dict) or set(value) - known:
            bad = sorted(set(value) - known) if isinstance(value, dict) else ["not an object"]
            raise LessonFileError(f"run {run}: unknown setting(s) {', '.join(bad)}")
        try:
            cfg = Gan2dConfig(**{k: tuple(v) if isinstance(v, list) else v
                                 for k, v in value.items()})
            problems = cfg.validate()
        except (TypeError, ValueError) as exc:
            problems = [str(exc)]
        if problems:
            raise LessonFileError(f"run {run}: {' '.join(problems)}")
        configs[run] = cfg
    return configs


__all__ = [
    "ACTIONS",
    "CONTROLS",
    "LATENT_MAPS",
    "LESSON_SUFFIX",
    "LESSON_VERSION",
    "WORKSPACES",
    "Lesson",
    "LessonFileError",
    "Step",
    "StepStart",
    "gan_configs",
    "lesson_from_json",
    "lesson_title",
    "load_lesson",
]
