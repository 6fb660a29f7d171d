"""What ``latentlab train`` does: settings from the flags, the data, the loop with a progress
bar on stderr (data-parallel under torchrun), and the checkpoint."""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from latentlab.cli.common import (
    CHECKPOINT_NAME,
    EXIT_OK,
    CommandError,
    data_options,
    load_data,
    prepare_out_dir,
    remove_if_empty,
    usage_error,
)
from latentlab.cli.domains import domain_spec, make_domains
from latentlab.config import (
    CONDITIONAL_FAMILIES,
    MODEL_FAMILIES,
    ConfigError,
    ModelConfig,
    TrainConfig,
    parse_int_list,
)
from latentlab.core.training.events import format_duration


def _configs(args: argparse.Namespace, text_data: bool | None = None,
             input_shape: tuple[int, ...] | None = None) -> tuple[ModelConfig, TrainConfig]:
    """The settings the flags give over the recommended settings for the family, the kind of
    data and its shape (``core.recipes``); ConfigError → exit 2."""
    from latentlab.core.training.recipes import recommended_settings

    problems: list[str] = []
    base_model, base_train = recommended_settings(args.family, "text" if text_data else "image",
                                                  input_shape, args.latent_dim or 2)
    model: dict[str, Any] = {}
    for name in ("architecture", "latent_dim", "likelihood", "beta", "gan_loss", "noise_dim",
                 "dcgan_width", "n_categories", "n_continuous", "info_weight", "noise_scale",
                 "d_steps", "r1", "instance_noise",
                 "minibatch_features", "unrolled", "batch_norm", "input_dropout", "umap_weight",
                 "umap_neighbors", "umap_min_dist", "task", "l1_weight", "adversarial",
                 "cycle_weight", "identity_weight", "minibatch_std", "pixel_norm"):
        if getattr(args, name) is not None:
            model[name] = getattr(args, name)
    for name, flag in (("hidden", "--hidden"), ("conv_channels", "--conv-channels"),
                       ("stages", "--stages")):
        if getattr(args, name) is not None:
            try:
                model[name] = parse_int_list(getattr(args, name), flag)
            except ConfigError as exc:
                problems += exc.problems
    if text_data:
        if model.get("likelihood", "multinomial") != "multinomial":
            problems.append(f"--likelihood: text datasets train with multinomial (word "
                            f"distributions), not {model['likelihood']}.")
        model["likelihood"] = "multinomial"
    train = {name: getattr(args, name) for name in ("epochs", "batch_size", "learning_rate",
                                                    "d_learning_rate", "seed", "device",
                                                    "cpu_threads", "lr_schedule",
                                                    "weight_decay", "early_stopping",
                                                    "precision")
             if getattr(args, name) is not None}
    model_cfg, train_cfg = replace(base_model, **model), replace(base_train, **train)
    problems += model_cfg.validate() + train_cfg.validate()
    if problems:
        raise ConfigError(problems)
    return model_cfg, train_cfg


def _domains(args: argparse.Namespace) -> dict[str, Any] | None:
    """CycleGAN's second domain from the flags; UsageError when it is missing or misplaced."""
    domains = domain_spec(args)
    if (domains is not None) != (args.family == "cyclegan"):
        raise usage_error("CycleGAN translates between two domains: give the second with "
                          "--data-b, --derive-b or --classes-a/--classes-b." if domains is None
                          else "--data-b, --derive-b and --classes-a/-b are for --model "
                               "cyclegan.")
    return domains


def train_command(args: argparse.Namespace) -> int:
    from latentlab.core.training.distributed import DistributedError, launch_info

    try:
        _configs(args)  # settings errors first, before any data is read
    except ConfigError as exc:
        raise usage_error(" ".join(exc.problems)) from None
    _domains(args)
    options = data_options(args)
    try:
        info = launch_info()
    except DistributedError as exc:
        raise CommandError(str(exc)) from None
    main_rank = info is None or info.is_main
    out = Path(args.out).expanduser()
    created = False
    if main_rank:  # on several nodes the folder is rank 0's
        created = prepare_out_dir(out, (CHECKPOINT_NAME,), args.force)
    try:
        return _train_here_or_distributed(args, options, out, info)
    except BaseException:
        remove_if_empty(out, created)
        raise


def _train_here_or_distributed(args: argparse.Namespace, options: dict[str, Any], out: Path,
                               info: Any) -> int:
    if info is None:
        return _run_training(args, options, out, None)
    from latentlab.core.training import distributed
    from latentlab.core.training.device import resolve_device

    try:
        device = resolve_device(args.device or "auto")
        device = distributed.init_process_group(info, device)
    except (distributed.DistributedError, RuntimeError) as exc:
        raise CommandError(str(exc)) from None
    try:
        code = _run_training(args, options, out, distributed.DataShard.from_process_group(),
                             device)
    finally:
        distributed.shutdown()
    # The run is done and written. Gloo's threads can still abort the interpreter's teardown
    # ("terminate called without an active exception"), which torchrun would report as a
    # failure: a finished worker leaves without it.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _run_training(args: argparse.Namespace, options: dict[str, Any], out: Path, shard: Any,
                  device: Any = None) -> int:
    import torch

    from latentlab.core.data.source import DataSource
    from latentlab.core.files.checkpoint import (
        CheckpointError,
        CheckpointMeta,
        describe_data,
        save_checkpoint,
    )
    from latentlab.core.models import build_model
    from latentlab.core.training.events import EpochEnded, TrainingFailed, TrainingFinished
    from latentlab.core.training.loop import train

    main_rank = shard is None or shard.rank == 0
    stream = sys.stderr if main_rank and not args.quiet else None
    if shard is not None and shard.rank != 0:
        shard.barrier()  # rank 0 loads (and downloads) first, so the cache is filled once
    source = DataSource.parse(args.data, **options)
    data = load_data(source, stream)
    domains = _domains(args)
    if domains is not None:
        data = make_domains(data, args.data, domains)
    if shard is not None and shard.rank == 0:
        shard.barrier()
    try:
        model_cfg, train_cfg = _configs(args, data.kind == "text", data.input_shape)
        if (model_cfg.family in CONDITIONAL_FAMILIES and args.n_categories is None
                and data.labels is not None):
            # A conditional model has one class input per class of its data.
            model_cfg = replace(model_cfg, n_categories=len(data.class_names))
        problems = model_cfg.validate(data.input_shape)
        if problems:
            raise ConfigError(problems)
        model = build_model(model_cfg, data.input_shape, seed=train_cfg.seed,
                            batch_size=train_cfg.batch_size)
    except ConfigError as exc:
        raise usage_error(f"{data.name}: " + " ".join(exc.problems)) from None
    problem = model.data_problem(data)
    if problem:
        raise usage_error(problem)
    if train_cfg.cpu_threads:
        torch.set_num_threads(train_cfg.cpu_threads)

    bar = ProgressBar(stream, model_cfg, data)
    last_epoch: EpochEnded | None = None
    finished: TrainingFinished | None = None
    try:
        # Under torchrun, this rank's device (its own GPU: torch.cuda.set_device made it current).
        run_cfg = train_cfg if device is None else replace(train_cfg, device=device.type)
        for event in train(model, data, run_cfg, shard=shard):
            bar.update(event, shard)
            if isinstance(event, EpochEnded):
                last_epoch = event
            elif isinstance(event, TrainingFailed):
                raise CommandError(f"{data.name}: {event.message} Nothing was written.")
            elif isinstance(event, TrainingFinished):
                finished = event
    except RuntimeError as exc:  # a device that is missing or out of memory
        raise CommandError(f"training stopped: {exc}") from None
    except ValueError as exc:  # data the loop cannot train on (say, a single item)
        raise CommandError(str(exc)) from None
    finally:
        bar.close()
    assert finished is not None and last_epoch is not None

    if shard is not None:
        digests = shard.gather_digests(model)
        if main_rank:
            _check_digests(digests, args.digest_file, stream)
    if not main_rank:
        return EXIT_OK
    metrics = {f"train_{k}": v for k, v in last_epoch.train.items()}
    metrics |= {f"test_{k}": v for k, v in last_epoch.test.items()}
    metrics["train_seconds"] = finished.elapsed_s
    if shard is not None:
        metrics["processes"] = float(shard.world_size)
    data_description = describe_data(data, source)
    if source.options:
        data_description["options"] = dict(source.options)
    if domains is not None:
        data_description["domains"] = domains
    meta = CheckpointMeta(model=model.cfg, train=train_cfg,
                          input_shape=data.input_shape, data=data_description,
                          epoch=finished.epochs_done, metrics=metrics)
    try:
        path = save_checkpoint(out / CHECKPOINT_NAME, model, meta, half=args.half)
    except CheckpointError as exc:
        raise CommandError(str(exc)) from None
    if stream is not None:
        stream.write(f"{meta.describe()}: {_loss_words(last_epoch)}; "
                     f"{format_duration(finished.elapsed_s)}\n")
    print(path)
    return EXIT_OK


def _check_digests(digests: list[str], digest_file: str | None, stream: TextIO | None) -> None:
    if digest_file:
        Path(digest_file).write_text(json.dumps({"ranks": digests}) + "\n", encoding="utf-8")
    if len(set(digests)) != 1:
        differing = [r for r, d in enumerate(digests) if d != digests[0]]
        raise CommandError(f"the ranks ended with different weights (rank 0 differs from rank(s) "
                           f"{', '.join(map(str, differing))}); nothing was written.")
    if stream is not None:
        stream.write(f"{len(digests)} processes ended with identical weights "
                     f"(sha256 {digests[0][:16]}…)\n")


def _main_terms(losses: dict[str, float]) -> list[str]:
    """The loss terms worth a progress line: the loss, or a GAN's D and G losses (and
    pix2pix's L1)."""
    if "loss" in losses:
        return ["loss"]
    return [n for n in ("d_loss", "g_loss", "l1") if n in losses] or list(losses)[:1]


def _loss_words(epoch: Any) -> str:
    parts = []
    for name in _main_terms(epoch.train):
        held_out = f" (held-out {epoch.test[name]:.4g})" if name in epoch.test else ""
        parts.append(f"{name} {epoch.train[name]:.4g}{held_out}")
    return ", ".join(parts) or "no loss recorded"



class ProgressBar:
    """Training progress on stderr: a line redrawn with \\r on a terminal (epoch, step, loss,
    ETA), and one line per finished epoch (the only output when stderr is not a terminal)."""

    def __init__(self, stream: TextIO | None, model_cfg: ModelConfig, data: Any) -> None:
        self.stream = stream
        self.tty = bool(stream is not None and stream.isatty())
        self.model_cfg = model_cfg
        self.data = data
        self.epochs = 0
        self.live = False
        self.started = time.perf_counter()

    def _write(self, text: str) -> None:
        assert self.stream is not None
        self.stream.write(text)
        self.stream.flush()

    def update(self, event: Any, shard: Any) -> None:
        from latentlab.core.training.events import EpochEnded, StepProgress, TrainingStarted

        if self.stream is None:
            return
        if isinstance(event, TrainingStarted):
            self.epochs = event.epochs
            self.started = time.perf_counter()
            ranks = "" if shard is None else f", {shard.world_size} processes"
            self._write(f"training {MODEL_FAMILIES[self.model_cfg.family]} on "
                        f"{self.data.describe()} · {event.device}{ranks} · {event.epochs} epochs "
                        f"× {event.steps_per_epoch} steps\n")
        elif isinstance(event, StepProgress) and self.tty:
            width = min(shutil.get_terminal_size((80, 20)).columns, 120)
            loss = ", ".join(f"{n} {event.losses[n]:.4g}" for n in _main_terms(event.losses))
            text = (f"epoch {event.epoch}/{self.epochs} · step {event.step}/"
                    f"{event.steps_per_epoch} · {loss} · ETA {format_duration(event.eta_s)}")
            bar_width = max(10, width - len(text) - 4)
            done = math.floor(bar_width * event.global_step / max(event.total_steps, 1))
            self._write(f"\r[{'#' * done}{'.' * (bar_width - done)}] {text}"[: width + 1]
                        + "\033[K")
            self.live = True
        elif isinstance(event, EpochEnded):
            self._clear()
            elapsed = time.perf_counter() - self.started
            self._write(f"epoch {event.epoch}/{self.epochs}: {_loss_words(event)} · "
                        f"{format_duration(elapsed)} elapsed\n")

    def _clear(self) -> None:
        if self.live and self.stream is not None:
            self._write("\r\033[K")
            self.live = False

    def close(self) -> None:
        self._clear()

