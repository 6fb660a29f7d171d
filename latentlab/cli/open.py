"""What ``latentlab open FILE`` does: check the checkpoint or lab file (or the folder ``train
--out`` wrote), then open the app on it."""

from __future__ import annotations

import argparse
import sys

from latentlab.cli.common import CommandError, checkpoint_path


def open_command(args: argparse.Namespace) -> int:
    path = checkpoint_path(args.file)  # the folder train --out wrote opens its checkpoint
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        from latentlab.core.files.checkpoint import CheckpointError, load_checkpoint

        try:  # refused here as the window would, before it opens; each model goes to the
            load_checkpoint(path)  # workspace that shows it (pix2pix: Image translation)
        except CheckpointError as exc:
            raise CommandError(str(exc)) from None
    elif suffix == ".latentlab":
        from latentlab.core.files.labfile import DatasetMissing, LabFileError, load_lab

        try:
            load_lab(path)
        except DatasetMissing as exc:  # the app asks where the dataset went
            sys.stderr.write(f"latentlab open: note: {exc}\n")
        except LabFileError as exc:
            raise CommandError(str(exc)) from None
    else:
        reason = "no such file" if not path.exists() else "unsupported file type"
        raise CommandError(f"{path}: {reason} (expected a .safetensors checkpoint or a "
                           ".latentlab lab file)")
    from latentlab.qt.app import run_gui

    return run_gui(exit_after_show=args.exit_after_show or args.open_exit_after_show,
                   open_path=path)


