"""What ``latentlab train``, ``evaluate`` and ``export`` do, behind the parser in ``cli.py``.

Heavy modules (torch, the core) are imported inside the functions, so that importing this
module costs nothing for ``latentlab --version``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from latentlab.config import (
    MODEL_FAMILIES,
    ConfigError,
    ModelConfig,
    TrainConfig,
    parse_int_list,
)

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
CHECKPOINT_NAME = "checkpoint.safetensors"
#: Loader options the data flags set (``load_source`` keyword → flag).
DATA_OPTIONS = {
    "test_fraction": "--test-fraction", "seed": "--split-seed", "size": "--image-size",
    "mode": "--colour", "max_words": "--max-words", "images_key": "--images-key",
    "labels_key": "--labels-key", "text_column": "--text-column", "label_column": "--label-column",
}


class CommandError(Exception):
    """Ends a command with a one-line message on stderr and an exit code (1 unless usage)."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


def usage_error(message: str) -> CommandError:
    return CommandError(message, EXIT_USAGE)


# ------------------------------------------------------------------------------------ data
def _data_options(args: argparse.Namespace) -> dict[str, Any]:
    options = {k: getattr(args, k) for k in DATA_OPTIONS if getattr(args, k, None) is not None}
    if "test_fraction" in options and not 0 <= options["test_fraction"] < 1:
        raise usage_error(f"--test-fraction must lie in [0, 1) (got {options['test_fraction']}).")
    if "size" in options and not 1 <= options["size"] <= 1024:
        raise usage_error(f"--image-size must lie in 1…1024 (got {options['size']}).")
    if "max_words" in options and options["max_words"] < 1:
        raise usage_error(f"--max-words must be at least 1 (got {options['max_words']}).")
    return options


def load_data(source: str, options: dict[str, Any], progress: TextIO | None = None) -> Any:
    """A Dataset from a name or a path; CommandError (exit 1) names the file and the reason."""
    from latentlab.core.data import DatasetError, load_source
    from latentlab.core.data.catalogue import CATALOGUE, load_catalogue_dataset

    try:
        if source in CATALOGUE and not CATALOGUE[source].builtin and not Path(source).exists():
            return load_catalogue_dataset(source, progress=_download_progress(source, progress))
        return load_source(source, **options)
    except DatasetError as exc:  # DownloadError included
        raise CommandError(str(exc)) from None
    except (OSError, ValueError) as exc:  # a loader's own checks (say, an image size)
        name = getattr(exc, "filename", None) or source
        reason = getattr(exc, "strerror", None) or str(exc)
        raise CommandError(f"{name}: {reason}") from None


def _download_progress(name: str, stream: TextIO | None) -> Callable[[Any], None] | None:
    if stream is None:
        return None
    tty = stream.isatty()
    last = [0.0]

    def report(p: Any) -> None:
        now = time.monotonic()
        done = p.fraction is not None and p.fraction >= 1
        if not done and now - last[0] < (0.2 if tty else 5.0):
            return
        last[0] = now
        share = "" if p.fraction is None else f" {p.fraction:.0%}"
        line = f"downloading {name}:{share} ({p.filename}, {p.done / 1e6:.1f} MB)"
        stream.write(("\r" + line + "\033[K") if tty else line + "\n")
        if tty and done:
            stream.write("\n")
        stream.flush()

    return report


def checkpoint_and_data(args: argparse.Namespace, device_name: str) -> tuple[Any, Any, str]:
    """Load the checkpoint and its data (``--data`` or the source recorded in it) and check
    that they fit each other; the model is moved to the device."""
    from latentlab.core.checkpoint import CheckpointError, check_matches, load_checkpoint
    from latentlab.core.device import resolve_device

    path = Path(args.checkpoint).expanduser()
    try:
        checkpoint = load_checkpoint(path)
    except CheckpointError as exc:
        raise CommandError(str(exc)) from None
    options = _data_options(args)
    recorded_source = checkpoint.meta.data.get("source")
    source = args.data if args.data is not None else recorded_source
    if not source:
        raise usage_error(f"{path}: the checkpoint does not say where its data came from; "
                          "give --data SOURCE.")
    if _same_source(source, recorded_source):  # load it as it was loaded for training
        recorded = checkpoint.meta.data.get("options") or {}
        options = {**{k: v for k, v in recorded.items() if k in DATA_OPTIONS}, **options}
    data = load_data(source, options, sys.stderr)
    try:
        check_matches(checkpoint.meta, data, path)
    except CheckpointError as exc:
        raise CommandError(str(exc)) from None
    try:
        device = resolve_device(device_name)
    except RuntimeError as exc:
        raise CommandError(str(exc)) from None
    checkpoint.model.to(device).eval()
    return checkpoint, data, source


def _same_source(source: str, recorded: str | None) -> bool:
    if recorded is None:
        return False
    if source == recorded:
        return True
    return Path(source).expanduser().resolve() == Path(recorded).expanduser().resolve()


# ---------------------------------------------------------------------------- output folders
def _prepare_out_dir(out: Path, files: tuple[str, ...], force: bool) -> bool:
    """Refuse to overwrite unless forced, create the folder, prove it is writable: all before
    any long work, so a run never fails at its end for want of a place to write. Returns
    whether the folder was created (``_remove_if_empty`` takes it back after a failure)."""
    if out.exists() and not out.is_dir():
        raise CommandError(f"{out}: exists and is not a folder.")
    if not force:
        taken = [name for name in files if (out / name).exists()]
        if taken:
            raise CommandError(f"{out / taken[0]}: already exists; pass --force to replace "
                               f"{'it' if len(taken) == 1 else 'them'}, or choose another --out.")
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        _remove_if_empty(out, created)
        raise CommandError(f"{out}: cannot write there ({exc.strerror or exc}).") from None
    return created


def _remove_if_empty(folder: Path, created: bool) -> None:
    if created:
        with contextlib.suppress(OSError):
            folder.rmdir()  # only succeeds while empty


# ----------------------------------------------------------------------------------- train
def _configs(args: argparse.Namespace, text_data: bool | None = None
             ) -> tuple[ModelConfig, TrainConfig]:
    """The settings the flags give over the recommended settings for the family and the kind
    of data (``core.recipes``); ConfigError → exit 2."""
    from latentlab.core.recipes import recommended_settings

    problems: list[str] = []
    base_model, base_train = recommended_settings(args.family, "text" if text_data else "image")
    model: dict[str, Any] = {}
    for name in ("architecture", "latent_dim", "likelihood", "beta", "gan_loss", "noise_dim",
                 "n_categories", "n_continuous", "info_weight", "d_steps", "batch_norm",
                 "input_dropout", "umap_weight", "umap_neighbors", "umap_min_dist"):
        if getattr(args, name) is not None:
            model[name] = getattr(args, name)
    for name, flag in (("hidden", "--hidden"), ("conv_channels", "--conv-channels")):
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
                                                    "weight_decay", "early_stopping")
             if getattr(args, name) is not None}
    model_cfg, train_cfg = replace(base_model, **model), replace(base_train, **train)
    problems += model_cfg.validate() + train_cfg.validate()
    if problems:
        raise ConfigError(problems)
    return model_cfg, train_cfg


def train_command(args: argparse.Namespace) -> int:
    from latentlab.core.distributed import DistributedError, launch_info

    try:
        _configs(args)  # settings errors first, before any data is read
    except ConfigError as exc:
        raise usage_error(" ".join(exc.problems)) from None
    options = _data_options(args)
    try:
        info = launch_info()
    except DistributedError as exc:
        raise CommandError(str(exc)) from None
    main_rank = info is None or info.is_main
    out = Path(args.out).expanduser()
    created = False
    if main_rank:  # on several nodes the folder is rank 0's
        created = _prepare_out_dir(out, (CHECKPOINT_NAME,), args.force)
    try:
        return _train_here_or_distributed(args, options, out, info)
    except BaseException:
        _remove_if_empty(out, created)
        raise


def _train_here_or_distributed(args: argparse.Namespace, options: dict[str, Any], out: Path,
                               info: Any) -> int:
    if info is None:
        return _run_training(args, options, out, None)
    from latentlab.core import distributed
    from latentlab.core.device import resolve_device

    try:
        device = resolve_device(args.device or "auto")
        device = distributed.init_process_group(info, device)
    except (distributed.DistributedError, RuntimeError) as exc:
        raise CommandError(str(exc)) from None
    try:
        return _run_training(args, options, out, distributed.DataShard.from_process_group(),
                             device)
    finally:
        distributed.shutdown()


def _run_training(args: argparse.Namespace, options: dict[str, Any], out: Path, shard: Any,
                  device: Any = None) -> int:
    import torch

    from latentlab.core.checkpoint import (
        CheckpointError,
        CheckpointMeta,
        describe_data,
        save_checkpoint,
    )
    from latentlab.core.events import EpochEnded, TrainingFailed, TrainingFinished
    from latentlab.core.models import build_model
    from latentlab.core.training import train

    main_rank = shard is None or shard.rank == 0
    stream = sys.stderr if main_rank and not args.quiet else None
    if shard is not None and shard.rank != 0:
        shard.barrier()  # rank 0 loads (and downloads) first, so the cache is filled once
    data = load_data(args.data, options, stream)
    if shard is not None and shard.rank == 0:
        shard.barrier()
    try:
        model_cfg, train_cfg = _configs(args, text_data=data.kind == "text")
        problems = model_cfg.validate(data.input_shape)
        if problems:
            raise ConfigError(problems)
        model = build_model(model_cfg, data.input_shape, seed=train_cfg.seed)
    except ConfigError as exc:
        raise usage_error(f"{data.name}: " + " ".join(exc.problems)) from None
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
    data_description = describe_data(data, args.data)
    if options:
        data_description["options"] = options
    meta = CheckpointMeta(model=model.cfg, train=train_cfg,
                          input_shape=data.input_shape, data=data_description,
                          epoch=finished.epochs_done, metrics=metrics)
    try:
        path = save_checkpoint(out / CHECKPOINT_NAME, model, meta)
    except CheckpointError as exc:
        raise CommandError(str(exc)) from None
    if stream is not None:
        stream.write(f"{meta.describe()}: {_loss_words(last_epoch)}; "
                     f"{_duration(finished.elapsed_s)}\n")
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
    """The loss terms worth a progress line: the loss, or a GAN's D and G losses."""
    if "loss" in losses:
        return ["loss"]
    return [n for n in ("d_loss", "g_loss") if n in losses] or list(losses)[:1]


def _loss_words(epoch: Any) -> str:
    parts = []
    for name in _main_terms(epoch.train):
        held_out = f" (held-out {epoch.test[name]:.4g})" if name in epoch.test else ""
        parts.append(f"{name} {epoch.train[name]:.4g}{held_out}")
    return ", ".join(parts) or "no loss recorded"


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


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
        from latentlab.core.events import EpochEnded, StepProgress, TrainingStarted

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
                    f"{event.steps_per_epoch} · {loss} · ETA {_duration(event.eta_s)}")
            bar_width = max(10, width - len(text) - 4)
            done = math.floor(bar_width * event.global_step / max(event.total_steps, 1))
            self._write(f"\r[{'#' * done}{'.' * (bar_width - done)}] {text}"[: width + 1]
                        + "\033[K")
            self.live = True
        elif isinstance(event, EpochEnded):
            self._clear()
            elapsed = time.perf_counter() - self.started
            self._write(f"epoch {event.epoch}/{self.epochs}: {_loss_words(event)} · "
                        f"{_duration(elapsed)} elapsed\n")

    def _clear(self) -> None:
        if self.live and self.stream is not None:
            self._write("\r\033[K")
            self.live = False

    def close(self) -> None:
        self._clear()


# ---------------------------------------------------------------------------------- export
def export_command(args: argparse.Namespace) -> int:
    from latentlab.core.export import ExportError, export, output_files

    out = Path(args.out).expanduser()
    checkpoint, data, _ = checkpoint_and_data(args, args.device)
    if not checkpoint.model.has_encoder:
        raise CommandError(f"{args.checkpoint}: holds a plain GAN, which has no encoder: real "
                           "items have no codes to export (an InfoGAN's Q head gives them).")
    created = _prepare_out_dir(out, output_files(args.fmt, data), args.force)
    try:
        written = export(checkpoint.model, data, args.fmt, out, args.split)
    except ExportError as exc:
        _remove_if_empty(out, created)
        raise CommandError(f"{args.checkpoint}: {exc}") from None
    except OSError as exc:
        _remove_if_empty(out, created)
        raise CommandError(f"{exc.filename or out}: cannot be written "
                           f"({exc.strerror or exc}).") from None
    for path in written:
        print(path)
    return EXIT_OK
