"""Running the command line in-process, and what a failure must look like."""

from __future__ import annotations

import pytest

from latentlab.cli import main

#: Settings that train in a blink.
TINY = ["--hidden", "32", "--batch-size", "128"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err: str, *names: object) -> str:
    """The single line a failure prints: no traceback, no control characters, naming each of
    ``names``."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and "\x1b" not in err and "\x00" not in err
    for name in names:
        assert str(name) in lines[0], (name, lines[0])
    return lines[0]

