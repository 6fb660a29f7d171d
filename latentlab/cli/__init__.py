"""The front door: ``latentlab`` opens the GUI; subcommands train, evaluate and export headless.

    latentlab                              the app
    latentlab open FILE                    the app, opening a checkpoint or a lab file
    latentlab train --model vae --data digits --epochs 20 --out runs/vae
    latentlab evaluate runs/vae/checkpoint.safetensors [--data SOURCE] [--json] [--maps MAP ...]
    latentlab export runs/vae/checkpoint.safetensors --format projector --out runs/vae/projector
    latentlab self-test

Only the GUI paths import Qt. Results go to stdout, progress and messages to stderr. Exit codes:
0 success, 1 failure (a file that cannot be read or written, training that diverged), 2 usage
(a malformed command line or settings that cannot work), 130 interrupted. A failure is one line
``latentlab COMMAND: error: FILE: reason`` without a traceback, and writes nothing.

``torchrun --nproc_per_node=N -m latentlab train …`` trains data-parallel across N processes
(``latentlab.core.training.distributed``); rank 0 alone prints progress and writes the checkpoint.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from latentlab.cli.common import EXIT_INTERRUPTED, CommandError
from latentlab.cli.evaluate import evaluate_command
from latentlab.cli.export import export_command
from latentlab.cli.open import open_command
from latentlab.cli.parser import build_parser
from latentlab.cli.train import train_command

__all__ = ["build_parser", "main"]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Imported here so `latentlab --version` and `--help` stay instant and need no display.
    if args.command == "self-test":
        from latentlab.cli.selftest import run_self_test

        return run_self_test()
    if args.command is None:
        from latentlab.qt.app import run_gui

        return run_gui(exit_after_show=args.exit_after_show)
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "open": open_command, "train": train_command, "evaluate": evaluate_command,
        "export": export_command,
    }
    prefix = _rank_prefix()
    try:
        return handlers[args.command](args)
    except CommandError as exc:
        _error(args.command, str(exc), prefix)
        return exc.code
    except KeyboardInterrupt:
        sys.stderr.write(f"\n{prefix}latentlab {args.command}: interrupted; nothing written\n")
        return EXIT_INTERRUPTED


def _rank_prefix() -> str:
    """Messages from other ranks than 0 of a torchrun job say which rank they come from."""
    rank, world = os.environ.get("RANK", "0"), os.environ.get("WORLD_SIZE", "1")
    return f"[rank {rank}] " if rank != "0" and world != "1" else ""


def _error(command: str, message: str, prefix: str = "") -> None:
    line = " ".join(message.replace("\n", "; ").split())
    sys.stderr.write(f"{prefix}latentlab {command}: error: {line}\n")

