"""What ``latentlab open PATH`` does: check the checkpoint, lab file, lesson (or the folder
``train --out`` wrote) or dataset, then open the app on it. Anything else is one line naming
the path and the reason."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from latentlab.cli.common import CommandError, checkpoint_path

EXPECTED = ("expected a .safetensors checkpoint, a .latentlab lab, a .lesson.json lesson, or "
            "a dataset: a folder of IDX files, images or .txt files, or a "
            ".npz/.npy/.csv/.tsv/IDX file")


def _holds_checkpoints(folder: Path) -> bool:
    return any(p.is_file() for p in folder.glob("*.safetensors"))


def open_command(args: argparse.Namespace) -> int:
    given = Path(args.file).expanduser()
    # The folder train --out wrote opens its checkpoint; any other folder is a dataset.
    path = checkpoint_path(args.file) if given.is_dir() and _holds_checkpoints(given) else given
    suffix = path.suffix.lower()
    if path.name.lower().endswith(".lesson.json"):
        from latentlab.core.files.lessonfile import LessonFileError, load_lesson

        try:
            load_lesson(path)
        except LessonFileError as exc:
            raise CommandError(str(exc)) from None
    elif suffix == ".safetensors":
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
        from latentlab.core.data.sources import not_a_dataset

        reason = not_a_dataset(path)  # the window loads it, and says what is wrong inside
        if reason is not None:
            raise CommandError(f"{path}: {reason} ({EXPECTED})")
    from latentlab.qt.app import run_gui

    return run_gui(exit_after_show=args.exit_after_show or args.open_exit_after_show,
                   open_path=path)
