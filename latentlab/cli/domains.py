"""CycleGAN's second domain on the command line: ``--data-b SOURCE``, ``--derive-b KIND`` or
``--classes-a``/``--classes-b``, the pair built from ``--data`` and recorded in the checkpoint
(``meta.data["domains"]``) so that ``evaluate`` builds the same pair again."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from latentlab.cli.common import CommandError, load_data, usage_error


def add_domain_options(parser: argparse.ArgumentParser) -> None:
    from latentlab.core.data.domains import DERIVED_DOMAINS

    group = parser.add_argument_group("CycleGAN's second domain (one of these)")
    group.add_argument("--data-b", metavar="SOURCE",
                       help="domain B: another dataset, resized to one size with --data's "
                            "(e.g. --data digits --data-b mnist-5k: the 8×8 digits framed as "
                            "MNIST's, and the MNIST sample)")
    kinds = "; ".join(f"{k}: {v}" for k, v in DERIVED_DOMAINS.items())
    group.add_argument("--derive-b", choices=tuple(DERIVED_DOMAINS), metavar="KIND",
                       help=f"domain B: half of --data's items made another kind ({kinds}); A "
                            "the other half")
    group.add_argument("--classes-a", metavar="C,C", help="domain A: --data's items of these "
                       "classes (names, e.g. 0,1,2,3,4)")
    group.add_argument("--classes-b", metavar="C,C", help="domain B: those of these classes")


def domain_spec(args: argparse.Namespace) -> dict[str, Any] | None:
    """What the flags ask for as the second domain (None: no flag); UsageError for a mix."""
    from latentlab.core.files.checkpoint_meta import source_string

    given = [flag for flag, value in (("--data-b", args.data_b), ("--derive-b", args.derive_b),
                                      ("--classes-a/-b", args.classes_a or args.classes_b))
             if value]
    if len(given) > 1:
        raise usage_error(f"give one second domain, not {' and '.join(given)}.")
    if args.data_b:
        return {"b": source_string(args.data_b)}
    if args.derive_b:
        return {"derive": args.derive_b}
    if args.classes_a or args.classes_b:
        if not (args.classes_a and args.classes_b):
            raise usage_error("--classes-a and --classes-b go together.")
        return {"classes_a": _names(args.classes_a), "classes_b": _names(args.classes_b)}
    return None


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def make_domains(data: Any, source: str, spec: dict[str, Any]) -> Any:
    """The dataset of two domains ``spec`` (a ``domain_spec``, or one read from a checkpoint)
    makes from ``data``, loaded from ``source``; CommandError naming the reason."""
    from latentlab.core.data.dataset import DatasetError
    from latentlab.core.data.domains import pair_from_spec
    from latentlab.core.data.source import DataSource

    try:
        return pair_from_spec(data, source, spec,
                              lambda b: load_data(DataSource.parse(b), sys.stderr))
    except DatasetError as exc:
        raise CommandError(str(exc)) from None


__all__ = ["add_domain_options", "domain_spec", "make_domains"]
