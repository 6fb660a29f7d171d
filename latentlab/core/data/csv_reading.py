"""Records of CSV text, read strictly: a quote left open is refused naming the line it opens on.

A line without a quote character is one record and is split as it is; a line with one goes to
the csv module (``strict``), which reads on over as many lines as the quoted cell spans. The
csv module holds a cell being read as four bytes a character, so one cell may be at most a
tenth of the loading memory budget.
"""

from __future__ import annotations

import csv
import itertools
import sys
from collections.abc import Iterable, Iterator

from latentlab.core.data.dataset import DatasetError
from latentlab.core.files.safe_io import memory_budget, printable


def allow_long_fields() -> None:
    """Let the csv module read long documents (its default cap is 128 KiB a field), up to a
    tenth of the loading budget: it holds a quoted cell being read as four bytes a character,
    and more while that buffer grows (measured: 5.5 times the cell's length)."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1, max(memory_budget() // 10, 1 << 17)))


class OpenQuote(DatasetError):
    """A quote still open where the lines end."""


def quote_problem(name: str, start: int, line: int, exc: csv.Error) -> DatasetError:
    """The message for a csv.Error (``strict`` reading) in the record that starts on line
    ``start``, raised on line ``line``."""
    text = str(exc)
    if "unexpected end of data" in text:
        return OpenQuote(f"{name}: line {start}: a quote opened here is never closed.")
    if "expected after" in text:  # a stray quote closed the cell, then text follows
        if line > start:
            return DatasetError(f"{name}: line {start}: a quote opened here is never closed "
                                f"(the next quote, on line {line}, is followed by more text).")
        return DatasetError(f"{name}: line {line}: a quoted cell has text after its closing "
                            "quote.")
    if "field limit" in text:
        return DatasetError(f"{name}: line {start}: a quoted cell holds more than "
                            f"{csv.field_size_limit():,} characters, too many for the loading "
                            "memory budget.")
    return DatasetError(f"{name}: line {line}: not a readable CSV ({printable(text, 120)}).")


def csv_records(lines: Iterable[str], delimiter: str, name: str,
                max_cells: int | None = None) -> Iterator[tuple[int, int, list[str]]]:
    """(first line, cell count, cells) of each record in ``lines`` (with their ends), blank
    ones too; ``max_cells`` keeps only the first cells of each. A quote left open is refused
    (OpenQuote when the lines end inside it)."""
    allow_long_fields()
    lines = iter(lines)
    number = 0
    for line in lines:
        number += 1
        if '"' not in line:
            # One line, one record: split as it is, sparing the csv module's four bytes a
            # character of buffer (a huge cell costs its size, not five times it).
            body = line.rstrip("\r\n")
            if max_cells is None:
                cells = body.split(delimiter)
                yield number, len(cells), cells
            else:
                cells = body.split(delimiter, max_cells)[:max_cells]
                yield number, body.count(delimiter) + 1, cells
            continue
        reader = csv.reader(itertools.chain([line], lines), delimiter=delimiter, strict=True)
        try:
            cells = next(reader, [])
        except csv.Error as exc:
            raise quote_problem(name, number, number + reader.line_num - 1, exc) from None
        start, number = number, number + reader.line_num - 1
        yield start, len(cells), cells if max_cells is None else cells[:max_cells]
