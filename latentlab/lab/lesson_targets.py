"""What a lesson step does in each workspace's lab: put its set-up in place, start its action,
and say once it is ready — or could not be (the lab has said why).

A target calls ``done(ok)`` exactly once per ``apply``; a step applied while the previous one is
still getting ready replaces it (the earlier ``done`` is never called). Headless labs run their
jobs inline, so ``done`` has been called when ``apply`` returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from latentlab.config import ConfigError, ModelConfig, TrainConfig
from latentlab.core.files.labfile import Lab
from latentlab.core.files.lessonfile import (
    GAN_DYNAMICS,
    LATENT_MAPS,
    Step,
    StepStart,
    gan_configs,
)

if TYPE_CHECKING:  # the labs are handed in; importing them here would load torch
    from latentlab.lab.cycle_lab import CycleLab
    from latentlab.lab.gan2d import GanLab
    from latentlab.lab.latent_lab import LatentLab
    from latentlab.lab.translation import TranslationLab

Done = Callable[[bool], None]


class StepTarget(Protocol):
    workspace: str

    def apply(self, step: Step, done: Done) -> None: ...

    def stop(self) -> None:
        """Stop what a step started (the lesson moves on, or the window closes)."""


class LatentStepTarget:
    """Steps in the latent-map workspace: dataset, model settings, maps, colours and probes, then
    train live or open the lesson's checkpoint. Ready once training has ended (or the model is
    open) and no map is still projecting."""

    workspace = LATENT_MAPS

    def __init__(self, lab: LatentLab) -> None:
        self.lab = lab
        self._pending: tuple[Lab, Step, Done] | None = None
        self._training: Done | None = None
        self._waiting_maps: Done | None = None
        lab.files.lab_done.connect(self._on_lab_done)
        lab.model.run_ended.connect(self._on_run_ended)
        for state in lab.maps.states.values():
            state.projection_changed.connect(self._check_maps)

    def apply(self, step: Step, done: Done) -> None:
        self._pending = self._training = self._waiting_maps = None
        lab = self.lab
        # The step before gives way: its training, its load, the model it was opening.
        lab.model.stop_and_wait()
        lab.data.stop_load()
        lab.files.abandon()
        source = step.lab.dataset if step.lab is not None else lab.data.source
        if source is None:
            lab.notes.say("This step needs a dataset: load one first.")
            done(False)
            return
        setup = step.lab or Lab(dataset=source)
        opened = [step.start.checkpoint] if step.start.action == "open" else []
        setup = replace(setup, checkpoints=opened or setup.checkpoints)
        self._pending = (setup, step, done)
        lab.files.apply_lab(setup)

    def _on_lab_done(self, setup: Lab, ok: bool) -> None:
        if self._pending is None or self._pending[0] is not setup:
            return
        _, step, done = self._pending
        self._pending = None
        if not ok:
            done(False)
            return
        model = self.lab.model
        if step.model is not None:
            model.propose(step.model, step.train or TrainConfig())
        if step.start.action != "train":
            self._when_maps_ready(done)
            return
        self._training = done
        try:
            model.start_training(step.model or ModelConfig(),
                                 replace(step.train or TrainConfig(), epochs=step.start.epochs))
        except (ConfigError, RuntimeError) as exc:
            self._training = None
            self.lab.notes.report_error("The step could not start training", str(exc))
            done(False)

    def _on_run_ended(self) -> None:
        done, self._training = self._training, None
        if done is not None:
            if self.lab.model.diverged:
                done(False)
            else:
                self._when_maps_ready(done)

    def _when_maps_ready(self, done: Done) -> None:
        self._waiting_maps = done
        self._check_maps()

    def _check_maps(self) -> None:
        if self._waiting_maps is not None and not any(
                s.projecting for s in self.lab.maps.states.values()):
            done, self._waiting_maps = self._waiting_maps, None
            done(True)

    def stop(self) -> None:
        self._pending = self._training = self._waiting_maps = None
        self.lab.model.stop_and_wait()


class GanStepTarget:
    """Steps in the 2-D GAN lab: its data and one or two runs' settings, then play ``frames``
    frames. Ready once playing has started (headless: once the frames are played)."""

    workspace = GAN_DYNAMICS

    def __init__(self, lab: GanLab) -> None:
        self.lab = lab

    def apply(self, step: Step, done: Done) -> None:
        lab = self.lab
        configs = gan_configs(step.settings)
        lab.pause()
        if configs["A"].data != lab.data.name:
            lab.set_data(configs["A"].data)
        lab.set_side_by_side("B" in configs, configs.get("B"))
        for run, cfg in configs.items():
            if lab.set_config(run, cfg):
                done(False)
                return
        if step.start.action == "play":
            lab.play(step.start.frames)
        done(True)

    def stop(self) -> None:
        self.lab.pause()


class CheckpointStepTarget:
    """Steps in a translation workspace (pix2pix, CycleGAN): open the lesson's checkpoint, with
    the data it records. Ready once it is open."""

    def __init__(self, workspace: str, lab: CycleLab | TranslationLab) -> None:
        self.workspace = workspace
        self.lab = lab
        self._done: Done | None = None
        lab.opened.connect(lambda _path: self._finish(True))
        lab.notes.error.connect(lambda *_args: self._finish(False))

    def apply(self, step: Step, done: Done) -> None:
        self._done = None
        if step.start.action != "open":
            done(True)
            return
        self._done = done
        self.lab.open_checkpoint(step.start.checkpoint)

    def _finish(self, ok: bool) -> None:
        done, self._done = self._done, None
        if done is not None:
            done(ok)

    def stop(self) -> None:
        self._done = None
        self.lab.stop_and_wait()


def latent_step_from(lab: LatentLab, model_cfg: ModelConfig | None,
                     train_cfg: TrainConfig | None, title: str) -> Step | None:
    """The latent-map workspace's current set-up as a step (the form's settings given): it
    opens the model shown, if it is saved, else just sets up. None without a dataset."""
    if lab.data.source is None:
        return None
    setup = lab.files.current_lab()
    path = lab.model.path if lab.model.finished_model() is not None else None
    start = StepStart("open", checkpoint=str(path)) if path is not None else StepStart()
    return Step(title=title, lab=replace(setup, checkpoints=[]), model=model_cfg,
                train=train_cfg, start=start)


def checkpoint_step_from(workspace: str, path: Path | None, title: str) -> Step | None:
    """A translation workspace's model as a step that opens it (None: not saved, so it could
    not be opened again)."""
    if path is None:
        return None
    return Step(title=title, workspace=workspace, start=StepStart("open", checkpoint=str(path)))


def gan_step_from(lab: GanLab, title: str) -> Step:
    """The 2-D GAN lab's data and runs' settings as a step that plays 300 frames."""
    settings = {name: {k: list(v) if isinstance(v, tuple) else v
                       for k, v in asdict(run.cfg).items()} for name, run in lab.runs.items()}
    return Step(title=title, workspace=GAN_DYNAMICS, settings=settings,
                start=StepStart("play", frames=300))
