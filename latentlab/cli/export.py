"""What ``latentlab export`` does: a checkpoint's codes as CSV or for the Embedding Projector."""

from __future__ import annotations

import argparse
from pathlib import Path

from latentlab.cli.common import (
    EXIT_OK,
    CommandError,
    checkpoint_and_data,
    prepare_out_dir,
    remove_if_empty,
    without_encoder,
)


def export_command(args: argparse.Namespace) -> int:
    from latentlab.core.files.export import ExportError, export, output_files

    out = Path(args.out).expanduser()
    checkpoint, data, _ = checkpoint_and_data(args, args.device)
    if not checkpoint.model.has_encoder:
        held = without_encoder(checkpoint.meta.model.family)
        raise CommandError(f"{args.checkpoint}: holds {held}, which has no encoder: real items "
                           "have no codes to export (an InfoGAN's Q head gives them).")
    created = prepare_out_dir(out, output_files(args.fmt, data), args.force)
    try:
        written = export(checkpoint.model, data, args.fmt, out, args.split)
    except ExportError as exc:
        remove_if_empty(out, created)
        raise CommandError(f"{args.checkpoint}: {exc}") from None
    except OSError as exc:
        remove_if_empty(out, created)
        raise CommandError(f"{exc.filename or out}: cannot be written "
                           f"({exc.strerror or exc}).") from None
    for path in written:
        print(path)
    return EXIT_OK
