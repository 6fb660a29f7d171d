"""What ``latentlab gan2d`` does: train a GAN on a 2-D toy distribution headless and report how
many of its modes the generator covers (VEEGAN's mode metrics, GAN Lab's grid KL and JS)."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, fields
from typing import Any, TextIO

from latentlab.cli.common import EXIT_OK, CommandError, StatusLine, usage_error
from latentlab.core.training.events import format_duration

#: ``Gan2dConfig`` field → (flag type, metavar, help). Every field has a flag; a test checks it.
#: Values are checked by ``Gan2dConfig.validate()``, the one place that knows what can work.
FLAGS: dict[str, tuple[str, str, str]] = {
    "data": ("str", "NAME", "the toy distribution: ring (8 Gaussians on a circle), grid (25), "
                            "… (ring)"),
    "seed": ("int", "N", "seed of the weights, the batches and the noise (0)"),
    "noise_dim": ("int", "N", "size of the generator's noise (2)"),
    "noise": ("str", "KIND", "the noise's distribution: gaussian or uniform (gaussian)"),
    "g_hidden": ("ints", "W,W", "generator hidden layer widths (128,128)"),
    "d_hidden": ("ints", "W,W", "discriminator hidden layer widths (128,128)"),
    "activation": ("str", "NAME", "hidden activation, such as relu or tanh (relu)"),
    "loss": ("str", "LOSS", "non_saturating, saturating, least_squares, hinge, wgan_clip or "
                            "wgan_gp (non_saturating)"),
    "r1": ("float", "GAMMA", "weight of the R1 penalty on real points' gradients; 0 = off (0)"),
    "gp_weight": ("float", "LAMBDA", "WGAN-GP: weight of the gradient penalty (10)"),
    "clip": ("float", "C", "WGAN: weight clipping bound (0.01)"),
    "instance_noise": ("float", "SIGMA", "σ of the noise added to real and generated points, "
                                         "annealed to 0; 0 = off (0)"),
    "anneal_steps": ("int", "N", "steps over which the instance noise anneals (10000)"),
    "pack": ("int", "M", "PacGAN: samples the discriminator judges together (1)"),
    "minibatch_features": ("int", "N", "minibatch discrimination features; 0 = off (0)"),
    "unrolled": ("int", "K", "unrolled GAN: discriminator steps the generator looks ahead (0)"),
    "d_steps": ("int", "N", "discriminator steps per generator step (1)"),
    "g_optimizer": ("str", "NAME", "the generator's optimiser: adam, sgd, … (adam)"),
    "d_optimizer": ("str", "NAME", "the discriminator's optimiser (adam)"),
    "g_lr": ("float", "LR", "the generator's learning rate (1e-3)"),
    "d_lr": ("float", "LR", "the discriminator's learning rate (1e-3)"),
    "betas": ("floats", "B1,B2", "Adam's betas (0.5,0.999)"),
    "updates": ("str", "HOW", "alternating (D, then G against it) or simultaneous "
                              "(alternating)"),
    "batch_size": ("int", "N", "points per batch (256)"),
    "g_average": ("float", "DECAY", "samples and metrics from a moving average of the "
                                    "generator's weights with this decay, e.g. 0.999; 0 = off (0)"),
}
DEFAULT_STEPS = 25_000
MAX_STEPS = 10_000_000
MAX_SAMPLES = 1_000_000


def flag(field: str) -> str:
    return "--" + field.replace("_", "-")


def add_gan2d_arguments(p: argparse.ArgumentParser) -> None:
    """The command's flags: one per ``Gan2dConfig`` field, then the run's own."""
    settings = p.add_argument_group("settings (Gan2dConfig; not given: its defaults)")
    for name, (kind, metavar, text) in FLAGS.items():
        settings.add_argument(flag(name), dest=name, metavar=metavar, help=text,
                              type={"int": int, "float": float}.get(kind, str))
    run = p.add_argument_group("run")
    run.add_argument("--steps", type=int, default=DEFAULT_STEPS, metavar="N",
                     help=f"training steps, each D then G (or both at once) "
                          f"({DEFAULT_STEPS:,})")
    run.add_argument("--samples", type=int, default=2500, metavar="N",
                     help="generated points the metrics are computed from (2500)")
    run.add_argument("--threads", type=int, metavar="N",
                     help="torch CPU threads (torch's default: one per core)")
    run.add_argument("--json", action="store_true", help="print one JSON object (see the README)")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def _numbers(name: str, text: str, kind: type) -> tuple[Any, ...]:
    try:
        return tuple(kind(part) for part in text.split(","))
    except ValueError:
        what = "whole numbers" if kind is int else "numbers"
        raise usage_error(f"{flag(name)}: expected {what} separated by commas (got "
                          f"{text!r}).") from None


def settings_from(args: argparse.Namespace) -> Any:
    """The ``Gan2dConfig`` the flags give; CommandError (exit 2) naming the first bad field."""
    from latentlab.core.gan2d import Gan2dConfig

    known = {f.name for f in fields(Gan2dConfig)}
    given: dict[str, Any] = {}
    for name, (kind, _, _) in FLAGS.items():
        value = getattr(args, name, None)
        if value is None or name not in known:
            continue
        if kind in ("ints", "floats"):
            value = _numbers(name, value, int if kind == "ints" else float)
        given[name] = value
    try:
        cfg = Gan2dConfig(**given)
        problems = cfg.validate()
    except (TypeError, ValueError) as exc:
        raise usage_error(str(exc)) from None
    if problems:
        raise usage_error(problems[0])
    if cfg.data == "drawn":
        raise usage_error("Data: drawn data is drawn in the app; the command line takes the "
                          "built-in toy data (ring, grid, swiss_roll, line, moons).")
    if not 1 <= args.steps <= MAX_STEPS:
        raise usage_error(f"--steps must lie in 1…{MAX_STEPS:,} (got {args.steps:,}).")
    if not 1 <= args.samples <= MAX_SAMPLES:
        raise usage_error(f"--samples must lie in 1…{MAX_SAMPLES:,} (got {args.samples:,}).")
    if args.threads is not None and not 1 <= args.threads <= 1024:
        raise usage_error(f"--threads must lie in 1…1024 (got {args.threads}).")
    return cfg


def _finite(value: Any) -> bool:
    return value is None or (isinstance(value, (int, float)) and math.isfinite(value))


def gan2d_command(args: argparse.Namespace) -> int:
    import torch

    from latentlab.core.gan2d import Gan2dError, Gan2dTrainer, make_toy_data
    from latentlab.core.gan2d.metrics import mode_metrics

    cfg = settings_from(args)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    try:
        trainer = Gan2dTrainer(cfg)
    except (Gan2dError, ValueError) as exc:
        raise usage_error(str(exc)) from None
    progress = None if args.quiet else Progress(sys.stderr, args.steps)
    started = time.perf_counter()
    stats = None
    try:
        for _ in range(args.steps):
            try:
                stats = trainer.train_step("both")
            except Gan2dError as exc:
                # The trainer's message says at which step; add it where one does not.
                step = (stats.step if stats is not None else 0) + 1
                text = str(exc) if "step" in str(exc) else f"at step {step:,}: {exc}"
                raise CommandError(text) from None
            if not (_finite(stats.d_loss) and _finite(stats.g_loss)):
                who = "discriminator" if not _finite(stats.d_loss) else "generator"
                raise CommandError(f"training diverged at step {stats.step:,}: the {who}'s "
                                   "loss is not finite (try a lower --g-lr/--d-lr, or --r1).")
            if progress is not None:
                progress(stats)
    finally:
        if progress is not None:
            progress.close()
    seconds = time.perf_counter() - started
    samples = trainer.sample(args.samples, cfg.seed)
    data = getattr(trainer, "data", None) or make_toy_data(cfg.data)
    metrics = mode_metrics(samples, data)
    report = {
        "schema": 1,
        "settings": _jsonable(asdict(cfg)),
        "steps": stats.step if stats is not None else 0,
        "seconds": round(seconds, 2),
        "samples": args.samples,
        "metrics": metrics.to_json(),
        "final": {"d_loss": _round(stats.d_loss), "g_loss": _round(stats.g_loss)},
    }
    if args.json:
        print(json.dumps(report, indent=2, allow_nan=False))
    else:
        print(format_table(report))
    return EXIT_OK


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 6)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def describe(settings: dict[str, Any]) -> str:
    """"ring · non_saturating, unrolled 5": the data, the loss and what differs from plain."""
    parts = [settings["loss"]]
    for name, label in (("unrolled", "unrolled"), ("r1", "R1"), ("pack", "pack"),
                        ("minibatch_features", "minibatch features"),
                        ("instance_noise", "instance noise σ")):
        value = settings.get(name)
        if value and not (name == "pack" and value == 1):
            parts.append(f"{label} {value:g}")
    if settings.get("updates") == "simultaneous":
        parts.append("simultaneous updates")
    return f"{settings['data']} · {', '.join(parts)}"


def format_table(report: dict[str, Any]) -> str:
    m = report["metrics"]
    lines = [f"{describe(report['settings'])} · seed {report['settings']['seed']}",
             f"{report['steps']:,} steps in {format_duration(report['seconds'])} · metrics from "
             f"{report['samples']:,} samples", ""]
    if m["n_modes"] is not None:
        lines += [f"modes captured   {m['modes_captured']} / {m['n_modes']}",
                  f"high quality     {m['high_quality']:.1%} (within 3σ of a mode)",
                  f"reverse KL       {m['reverse_kl']:.3f} nats (captured modes vs uniform)"]
    lines.append(f"grid KL / JS     {m['kl']:.3f} / {m['js']:.3f} nats (30×30 grid)")
    final = report["final"]
    if final["d_loss"] is not None:
        lines.append(f"final losses     D {final['d_loss']:.4f} · G {final['g_loss']:.4f}")
    return "\n".join(lines)


class Progress(StatusLine):
    """Step, losses and elapsed time on stderr: a line redrawn in place on a terminal, else one
    line per tenth of the run."""

    def __init__(self, stream: TextIO, total: int) -> None:
        super().__init__(stream)
        self.total = total
        self.started = self.last = time.perf_counter()
        self.every = max(1, total // 10)

    def __call__(self, stats: Any) -> None:
        now = time.perf_counter()
        if self.tty:
            if now - self.last < 0.2 and stats.step < self.total:
                return
        elif stats.step % self.every and stats.step < self.total:
            return
        self.last = now
        line = (f"gan2d step {stats.step:,}/{self.total:,} · D {stats.d_loss:.4f} · "
                f"G {stats.g_loss:.4f} · {format_duration(now - self.started)} elapsed")
        self.write(line)
