"""The front door: ``latentlab`` opens the GUI; subcommands train, evaluate, export, semisup and
gan2d headless.

    latentlab                              the app
    latentlab open FILE                    the app, opening a checkpoint or a lab file
    latentlab train --model vae --data digits --epochs 20 --out runs/vae
    latentlab evaluate runs/vae/checkpoint.safetensors [--data SOURCE] [--json] [--maps MAP ...]
    latentlab export runs/vae/checkpoint.safetensors --format projector --out runs/vae/projector
    latentlab semisup runs/vae [--labels 10,100,1000,all] [--repeats 3] [--json]
    latentlab gan2d --data ring --loss non_saturating --unrolled 5 --steps 25000 [--json]
    latentlab self-test

Only the GUI paths import Qt. Results go to stdout, progress and messages to stderr. Exit codes:
0 success, 1 failure (a file that cannot be read or written, training that diverged), 2 usage
(a malformed command line or settings that cannot work), 130 interrupted, 143 terminated
(SIGTERM). A failure is one line
``latentlab COMMAND: error: FILE: reason`` without a traceback, and writes nothing.

``torchrun --nproc_per_node=N -m latentlab train …`` trains data-parallel across N processes
(``latentlab.core.training.distributed``); rank 0 alone prints progress and writes the checkpoint.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any

from latentlab.cli.common import EXIT_FAILURE, EXIT_INTERRUPTED, CommandError
from latentlab.cli.evaluate import evaluate_command
from latentlab.cli.export import export_command
from latentlab.cli.gan2d import gan2d_command
from latentlab.cli.open import open_command
from latentlab.cli.parser import build_parser
from latentlab.cli.semisup import semisup_command
from latentlab.cli.train import train_command

__all__ = ["build_parser", "main"]

EXIT_TERMINATED = 143  # 128 + SIGTERM, as shells report it


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
        "export": export_command, "semisup": semisup_command, "gan2d": gan2d_command,
    }
    prefix = _rank_prefix()
    previous = _terminate_as_interrupt()
    try:
        # Library warnings are kept until the command succeeds, then shown as one line each;
        # a failure's one error line says what went wrong without them.
        with warnings.catch_warnings(record=True) as caught:
            code = handlers[args.command](args)
        _notes(args.command, prefix, caught)
        return code
    except CommandError as exc:
        _error(args.command, str(exc), prefix)
        return exc.code
    except MemoryError:
        _error(args.command, "out of memory (the data or the model is too large for this "
                             "machine; see LATENTLAB_MEMORY_BUDGET in the README)", prefix)
        return EXIT_FAILURE
    except Terminated:
        sys.stderr.write(f"\n{prefix}latentlab {args.command}: terminated; nothing written\n")
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        sys.stderr.write(f"\n{prefix}latentlab {args.command}: interrupted; nothing written\n")
        return EXIT_INTERRUPTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is, so it cleans up as after Ctrl-C."""


def _terminate_as_interrupt() -> Any:
    """Turn SIGTERM into ``Terminated`` (main thread only); return the handler it replaced."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def terminate(_signum: int, _frame: object) -> None:
        raise Terminated()

    return signal.signal(signal.SIGTERM, terminate)


def _notes(command: str, prefix: str, caught: list[warnings.WarningMessage]) -> None:
    """Warnings as one escaped line each, once per message (not source dumps)."""
    from latentlab.core.files.safe_io import printable

    for text in dict.fromkeys(printable(" ".join(str(w.message).split())) for w in caught):
        sys.stderr.write(f"{prefix}latentlab {command}: note: {text}\n")


def _rank_prefix() -> str:
    """Messages from other ranks than 0 of a torchrun job say which rank they come from."""
    rank, world = os.environ.get("RANK", "0"), os.environ.get("WORLD_SIZE", "1")
    return f"[rank {rank}] " if rank != "0" and world != "1" else ""


def _error(command: str, message: str, prefix: str = "") -> None:
    from latentlab.core.files.safe_io import printable

    # Escaped: a message may quote a file's content or name (terminal escape sequences).
    line = printable(" ".join(message.replace("\n", "; ").split()), limit=2000)
    sys.stderr.write(f"{prefix}latentlab {command}: error: {line}\n")

