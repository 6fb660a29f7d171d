"""The front door: ``latentlab`` opens the GUI; ``latentlab self-test`` checks an installation."""

from __future__ import annotations

import argparse

from latentlab import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="latentlab",
        description="A desktop laboratory for latent spaces: train autoencoders and VAEs live, "
        "compare their maps with PCA, and drag a point to decode it. Without a command it opens "
        "the app.",
    )
    parser.add_argument("--version", action="version", version=f"latentlab {__version__}")
    parser.add_argument("--exit-after-show", action="store_true",
                        help="open the window, print 'window shown' and quit (for start-up checks)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "self-test",
        help="train one short epoch, decode, project, open the window offscreen; "
        "print a one-line verdict and exit 0 (works) or 1 (broken)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Imported here so `latentlab --version` and `--help` stay instant and need no display.
    if args.command == "self-test":
        from latentlab.selftest import run_self_test

        return run_self_test()
    from latentlab.qt.app import run_gui

    return run_gui(exit_after_show=args.exit_after_show)
