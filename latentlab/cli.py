"""The front door: ``latentlab`` opens the GUI."""

from __future__ import annotations

import argparse

from latentlab import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="latentlab",
        description="A desktop laboratory for latent spaces: train autoencoders and VAEs live, "
        "compare their maps with PCA, and drag a point to decode it.",
    )
    parser.add_argument("--version", action="version", version=f"latentlab {__version__}")
    parser.add_argument("--exit-after-show", action="store_true",
                        help="open the window, print 'window shown' and quit (for start-up checks)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Imported here so `latentlab --version` and `--help` stay instant and need no display.
    from latentlab.qt.app import run_gui

    return run_gui(exit_after_show=args.exit_after_show)
