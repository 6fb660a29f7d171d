"""The 2-D GAN lab: one toy dataset, one run or two side by side (same data and seed, different
settings), stepped by hand (D only, G only, both) or played as a background job.

Who writes what — each model is the only writer of its own fields:

==============  ==============================================================================
``GanLab``      the data (a toy set or drawn points), the plane's bounds, which runs exist,
                playing, speed, the layers shown, drawing
``runs[name]``  a run's settings, trainer, losses, latest frame and metrics (``GanRun``)
``notes``       errors and messages for whatever displays them
==============  ==============================================================================

Playing trains ``speed`` steps of each run per frame (fewer when a frame's time budget runs
out) on the runner and reports the frames; the
job waits for the lab to take a frame before it reports the next (it trains the next meanwhile),
so frames never pile up. Headless (the default runner), a job runs inside :meth:`play`: pass
``frames`` to end it.
"""

from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np
from psygnal import Signal

from latentlab.core.gan2d import Gan2dConfig, Gan2dError, ToyData, make_toy_data
from latentlab.core.gan2d.data import MIN_DRAWN_POINTS as MIN_DRAWN
from latentlab.core.training.device import training_cpu_threads
from latentlab.lab.gan2d_run import Bounds, GanFrame, GanRun, StepLog, take_frame, train_steps
from latentlab.lab.jobs import InlineRunner, JobCallbacks, JobControl, Runner
from latentlab.lab.notifications import Notifications

RUNS = ("A", "B")
LAYERS = ("heatmap", "real", "fake", "arrows", "grid")
MAX_SPEED = 100
#: Mode metrics while playing: at most this often (each samples 2,500 points).
METRICS_INTERVAL_S = 0.5
#: How long the job waits for the lab to take a frame before it looks at the stop flag again.
FRAME_POLL_S = 0.05


def plane_bounds(points: np.ndarray) -> Bounds:
    """A square around the data with room for fakes that stray: the plane every view shows."""
    if len(points) == 0:
        return (-2.0, 2.0), (-2.0, 2.0)
    centre = (points.max(axis=0) + points.min(axis=0)) / 2
    half = float(np.abs(points - centre).max()) * 1.35 + 0.1
    cx, cy = (float(c) for c in centre)
    return (cx - half, cx + half), (cy - half, cy + half)


class GanLab:
    data_changed = Signal()  # new data (every run restarts)
    runs_changed = Signal()  # a run added, removed or restarted with new settings
    frame_changed = Signal()  # any run has a new frame (or a fresh start)
    playing_changed = Signal(bool)
    speed_changed = Signal(int)
    layers_changed = Signal()
    drawing_changed = Signal()  # drawing mode on or off, or a point added

    def __init__(self, runner: Runner | None = None, data: str = "ring", seed: int = 0,
                 frame_budget_s: float | None = None) -> None:
        self.notes = Notifications()
        #: Training time per frame, at most (None: always ``speed`` steps, as headless labs do
        #: to stay deterministic); the app keeps frames coming 30 times a second or more.
        self.frame_budget_s = frame_budget_s
        self._runner: Runner = runner or InlineRunner()
        self.seed = seed
        self.data: ToyData = make_toy_data(data, seed=seed)
        self.bounds: Bounds = plane_bounds(self.data.points)
        first = self._new_run("A", Gan2dConfig(data=data, seed=seed))
        self.runs: dict[str, GanRun] = {"A": first}
        self.playing = False
        self.speed = 5  # steps of each run per frame
        self.layers = dict.fromkeys(LAYERS, True)
        self.drawing = False
        self.drawn = np.zeros((0, 2), dtype=np.float32)
        self._frame_taken = threading.Event()
        self.runs["A"].restart(self.runs["A"].cfg, self.data, self.bounds)

    def _new_run(self, name: str, cfg: Gan2dConfig) -> GanRun:
        run = GanRun(name, cfg)
        run.changed.connect(self.frame_changed.emit)
        return run

    # ------------------------------------------------------------- settings
    @property
    def side_by_side(self) -> bool:
        return "B" in self.runs

    def set_side_by_side(self, on: bool, cfg: Gan2dConfig | None = None) -> None:
        """Add run B (A's settings unless ``cfg``) or remove it."""
        if on == self.side_by_side:
            return
        self.pause()
        if on:
            run = self._new_run("B", self._own(cfg or self.runs["A"].cfg))
            problems = run.cfg.validate()
            if problems:
                self._refuse("B", problems)
                return
            run.restart(run.cfg, self.data, self.bounds)
            self.runs = {**self.runs, "B": run}
        else:
            self.runs = {"A": self.runs["A"]}
        self.runs_changed.emit()

    def set_config(self, run: str, cfg: Gan2dConfig) -> list[str]:
        """New settings for a run, which restarts from step 0; the problems, if any (each names
        its field), are reported and nothing changes."""
        if run not in self.runs:
            raise KeyError(f"Run: {run!r} is not one of {', '.join(self.runs)}.")
        cfg = self._own(cfg)
        problems = cfg.validate()
        if problems:
            self._refuse(run, problems)
            return problems
        self.pause()
        self.runs[run].restart(cfg, self.data, self.bounds)
        self.runs_changed.emit()
        self.notes.say(f"Run {run}: new settings, from step 0.")
        return []

    def set_data(self, name: str) -> None:
        """A toy dataset by name (every run restarts on it)."""
        try:
            data = make_toy_data(name, seed=self.seed)
        except Gan2dError as exc:
            self.notes.report_error("Data", str(exc))
            return
        self._use_data(data)

    def set_seed(self, seed: int) -> None:
        """The seed of the data and of every run's weights and batches."""
        self.seed = int(seed)
        if self.data.name == "drawn":
            self._use_data(self.data)
        else:
            self.set_data(self.data.name)

    def _use_data(self, data: ToyData) -> None:
        self.pause()
        self.data = data
        self.bounds = plane_bounds(data.points)
        for run in self.runs.values():
            run.restart(self._own(run.cfg), data, self.bounds)
        self.data_changed.emit()

    def _own(self, cfg: Gan2dConfig) -> Gan2dConfig:
        # Both runs train on the lab's data with the lab's seed: only their settings differ.
        return dataclasses.replace(cfg, data=self.data.name, seed=self.seed)

    def _refuse(self, run: str, problems: list[str]) -> None:
        self.notes.report_error(f"Run {run}: settings", "\n".join(problems))
        self.notes.say(f"Run {run}: " + "; ".join(problems))

    def set_speed(self, steps_per_frame: int) -> None:
        self.speed = max(1, min(MAX_SPEED, int(steps_per_frame)))
        self.speed_changed.emit(self.speed)

    def set_layer(self, layer: str, shown: bool) -> None:
        if layer not in self.layers:
            raise KeyError(f"Layer: {layer!r} is not one of {', '.join(LAYERS)}.")
        self.layers = {**self.layers, layer: bool(shown)}
        self.layers_changed.emit()

    # ------------------------------------------------------------- drawing
    def start_drawing(self) -> None:
        """Clicks on the plane add points; :meth:`finish_drawing` trains on them."""
        self.pause()
        self.drawing = True
        self.drawn = np.zeros((0, 2), dtype=np.float32)
        self.drawing_changed.emit()
        self.notes.say(f"Draw data: click or drag on the plane to add points (at least "
                       f"{MIN_DRAWN}).")

    def add_points(self, points: np.ndarray) -> None:
        if not self.drawing:
            return
        points = np.asarray(points, dtype=np.float32).reshape(-1, 2)
        self.drawn = np.concatenate([self.drawn, points[np.isfinite(points).all(axis=1)]])
        self.drawing_changed.emit()

    def finish_drawing(self) -> bool:
        """Train on the drawn points; refused (and still drawing) with fewer than 10."""
        if not self.drawing:
            return True
        if len(self.drawn) < MIN_DRAWN:
            self.notes.report_error(
                "Drawn data", f"Drawn points: {len(self.drawn)} drawn; at least {MIN_DRAWN} are "
                "needed. Click or drag on the plane to add more.")
            return False
        try:
            data = make_toy_data("drawn", seed=self.seed, points=self.drawn)
        except Gan2dError as exc:
            self.notes.report_error("Drawn data", str(exc))
            return False
        self.drawing = False
        self.drawing_changed.emit()
        self._use_data(data)
        self.notes.say(f"Training on {len(self.drawn)} drawn points.")
        return True

    def cancel_drawing(self) -> None:
        if self.drawing:
            self.drawing = False
            self.drawing_changed.emit()

    # ------------------------------------------------------------- training
    def _ready(self) -> bool:
        return self.finish_drawing()

    def reset(self) -> None:
        """Every run back to step 0 with the same seed: the same start again."""
        self.pause()
        for run in self.runs.values():
            run.restart(run.cfg, self.data, self.bounds)
        self.runs_changed.emit()

    def step(self, run: str = "both", which: str = "both") -> None:
        """One step of a run (or of both): D only ("d"), G only ("g") or both."""
        if which not in ("d", "g", "both"):
            raise ValueError(f"Step: which must be 'd', 'g' or 'both' (got {which!r}).")
        if not self._ready():
            return
        self.pause()
        names = list(self.runs) if run == "both" else [run]
        for name in names:
            target = self.runs[name]
            if target.diverged or target.trainer is None:
                continue
            log = StepLog()
            diverged = train_steps(name, target.trainer, 1, which, log)
            target.apply(take_frame(name, target.trainer, self.bounds, log, self.data, diverged))
            if diverged:
                self.notes.report_error("Training stopped", diverged)

    def play(self, frames: int | None = None) -> None:
        """Train every run that has not diverged, ``speed`` steps per frame, until paused (or
        for ``frames`` frames)."""
        if self.playing or not self._ready():
            return
        live = {n: r.trainer for n, r in self.runs.items() if not r.diverged and r.trainer}
        if not live:
            self.notes.say("Every run has diverged: reset or change its settings.")
            return
        bounds, data, budget = self.bounds, self.data, self.frame_budget_s
        taken = self._frame_taken

        def job(control: JobControl) -> None:
            active = dict(live)
            logs = {name: StepLog() for name in active}
            last_metrics = -float("inf")
            done = 0
            while active and not control.stop_requested and (frames is None or done < frames):
                why = dict.fromkeys(active, "")
                start = last = time.perf_counter()
                # Step by step in turn, so runs side by side stay at the same step; with a
                # frame budget, a frame ends early rather than late: no round starts that the
                # last one's length says would overrun it.
                for _ in range(self.speed):  # read each frame: the slider acts at once
                    for n, t in active.items():
                        why[n] = why[n] or train_steps(n, t, 1, "both", logs[n])
                    now = time.perf_counter()
                    if budget is not None and now + (now - last) - start > budget:
                        break
                    last = now
                done += 1
                now = time.perf_counter()
                with_metrics = (now - last_metrics >= METRICS_INTERVAL_S or done == frames
                                or any(why.values()))
                if with_metrics:
                    last_metrics = now
                shots = tuple(take_frame(n, t, bounds, logs[n], data if with_metrics else None,
                                         why[n]) for n, t in active.items())
                logs = {name: StepLog() for name in active}
                # One frame in flight at most: wait until the lab took the last one.
                while not taken.wait(FRAME_POLL_S):
                    if control.stop_requested:
                        return
                taken.clear()
                control.report(shots)
                active = {n: t for n, t in active.items() if not why[n]}

        taken.set()
        self.playing = True
        self.playing_changed.emit(True)
        self._runner.start(job, JobCallbacks(yielded=self._on_frames, errored=self._on_failed,
                                             finished=self._on_ended),
                           cpu_threads=training_cpu_threads())

    def pause(self) -> None:
        """Stop playing and wait for the job: its last frames are applied first."""
        if self._runner.running:
            self._runner.cancel()
            self._runner.wait()

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def _on_frames(self, frames: tuple[GanFrame, ...]) -> None:
        for frame in frames:
            run = self.runs.get(frame.run)
            if run is None:
                continue
            run.apply(frame)
            if frame.diverged:
                self.notes.report_error("Training stopped", frame.diverged)
        self._frame_taken.set()

    def _on_failed(self, exc: BaseException, details: str) -> None:
        self.notes.report_error("Training failed", f"{type(exc).__name__}: {exc}", details)

    def _on_ended(self) -> None:
        self.playing = False
        self.playing_changed.emit(False)

    def shutdown(self) -> None:
        self.pause()
        self._runner.cancel_and_wait()  # a job that has answered may still be ending its thread
