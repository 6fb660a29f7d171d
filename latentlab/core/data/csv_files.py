"""CSV files: one image per row (the Kaggle MNIST layout), or one document per row.

Pixel CSVs: an optional header; a label column named label/labels/class/y/target/digit/category
(any case), or, without such a name, the first column when the other columns make a square
image and all of them do not; no label column gives an unlabelled set. Images are square,
side = √(pixel count), and every row must hold as many cells as the first. Whole numbers in
0…255 are divided by 255; other values are brought into [0, 1] as ``scale_in_place`` describes.

A CSV is a text corpus when a column is named text/document/body/content/… or when its cells
read as sentences (letters and spaces, not numbers); ``sniff_csv`` decides from the first
complete rows, however long they are. Files are read as ``latentlab.core.data.text_files``
describes (regular files only, the encoding from a byte-order mark, the size checked against
the loading memory budget first); a quote that is never closed is refused, naming its line.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentlab.core.data.arrays import encode_labels, scale_in_place, square_side
from latentlab.core.data.csv_reading import (
    OpenQuote,
    allow_long_fields,
    csv_records,
    quote_problem,
)
from latentlab.core.data.dataset import Dataset, DatasetError, random_split
from latentlab.core.data.text_files import (
    NotText,
    TextHead,
    iter_lines,
    read_all,
    split_lines,
    text_pieces,
)
from latentlab.core.files.safe_io import check_budget, memory_budget, printable

PIXEL_LABEL_NAMES = ("label", "labels", "class", "y", "target", "digit", "category")
TEXT_NAMES = ("text", "document", "doc", "body", "content", "review", "sentence", "message",
              "comment", "tweet", "abstract")
TEXT_LABEL_NAMES = ("label", "labels", "class", "category", "target", "y", "sentiment", "topic")
#: Peak memory of loading a pixel CSV per byte of the file: the text, its lines, the parsed
#: table and the float32 images. Measured (tracemalloc, 2,000 rows of 785 cells) at 4.0 for
#: cells of one digit ("0,": 4 bytes of int32 table and 4 of image per 2 bytes of text), 5.0
#: with the label in a middle column (the table is copied without it), 2.3 for cells of
#: 0…255, 2.0 for fractions ("0.123,").
PIXEL_CSV_FACTOR = 5.0
#: …plus this much a line: a str object, its list slot and its number (measured: about 60).
LINE_BYTES = 80
_SNIFF_ROWS = 50
# Sniffing reads at least this much, then stops once it holds a header and two complete rows.
_SNIFF_BYTES = 1 << 20
_SNIFF_CELLS = 4096  # cells of a row kept to judge it (all of them are counted)


@dataclass(frozen=True)
class CsvInfo:
    """What the first rows of a CSV say about it."""

    path: Path
    delimiter: str
    header: tuple[str, ...] | None
    n_columns: int
    text_column: int | None

    @property
    def kind(self) -> str:
        return "text" if self.text_column is not None else "pixels"


@dataclass(frozen=True)
class _Row:
    line: int  # where it starts
    n_cells: int
    cells: list[str]  # the first _SNIFF_CELLS of them (all of a header's)


def file_name(path: Path) -> str:
    """``path``'s name as messages quote it (control characters escaped)."""
    return printable(path.name)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _looks_like_prose(cell: str) -> bool:
    return not _is_number(cell) and " " in cell.strip() and any(c.isalpha() for c in cell)


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _head_rows(text: str, delimiter: str, at_end: bool,
               name: str) -> tuple[list[_Row], bool]:
    """The first non-empty records of ``text`` (complete lines), and whether they suffice:
    there are enough of them, or ``text`` is the whole file. A cut quoted record is dropped."""
    rows: list[_Row] = []
    try:
        for start, n_cells, cells in csv_records(iter_lines(text), delimiter, name,
                                                 _SNIFF_CELLS):
            if any(cell.strip() for cell in cells):
                rows.append(_Row(start, n_cells, cells))
            if len(rows) > _SNIFF_ROWS:
                return rows, True
    except OpenQuote:
        if at_end:
            raise
        return rows, False  # the quoted cell goes on past what was read
    return rows, at_end


def _full_header(rows: list[_Row], first_line: str, delimiter: str) -> None:
    """Every name of a header row longer than what sniffing keeps of a row."""
    row = rows[0]
    cut = row.cells
    if (row.n_cells > len(cut) and '"' not in first_line
            and not all(map(_is_number, filter(str.strip, cut)))):
        cells = first_line.rstrip("\r\n").split(delimiter)
        rows[0] = _Row(row.line, len(cells), cells)


def _read_head(path: Path, name: str) -> tuple[list[_Row], str]:
    """The first complete records of the file and their delimiter."""
    # A line longer than this could not be loaded within the budget anyway.
    limit = int(memory_budget() / PIXEL_CSV_FACTOR)
    try:
        with TextHead(path, limit) as head:
            while True:
                text = head.complete()
                first = next((line for line in iter_lines(text) if line.strip()), None)
                if first is not None:
                    delimiter = _delimiter(first)
                    rows, enough = _head_rows(text, delimiter, head.eof, name)
                    if enough or (head.read >= _SNIFF_BYTES and len(rows) > 2):
                        if rows:
                            _full_header(rows, first, delimiter)
                        return rows, delimiter
                elif head.eof:
                    raise DatasetError(f"{name}: the file is empty.")
                if not head.more():
                    check_budget(math.ceil(max(head.size, head.read) * PIXEL_CSV_FACTOR),
                                 name, "reading it")
                    raise DatasetError(f"{name}: a line runs past what can be read.")
    except OSError as exc:
        raise DatasetError(f"{name}: cannot be read ({exc.strerror or exc}).") from None
    except NotText as exc:
        raise DatasetError(f"{name}: {exc}.") from None


def sniff_csv(path: str | Path) -> CsvInfo:
    """Delimiter, header and whether a column holds text, from the first complete rows."""
    path = Path(path)
    name = file_name(path)
    rows, delimiter = _read_head(path, name)
    if not rows:
        raise DatasetError(f"{name}: the file holds no values.")
    header: tuple[str, ...] | None = None
    if not all(_is_number(cell) for cell in rows[0].cells if cell.strip()):
        header = tuple(cell.strip() for cell in rows[0].cells)
    text_column = _text_column(rows, header)
    first = rows[0].cells
    first_cell = first[text_column] if text_column is not None and text_column < len(
        first) else ""
    if header is not None and _looks_like_prose(first_cell):
        header = None  # the first row is a document, not column names
    return CsvInfo(path, delimiter, header, rows[0].n_cells, text_column)


def _text_column(rows: list[_Row], header: tuple[str, ...] | None) -> int | None:
    if header is not None:
        for name in TEXT_NAMES:
            for i, cell in enumerate(header):
                if cell.lower() == name:
                    return i
    body = [r.cells for r in (rows[1:] if len(rows) > 1 else rows)]
    # Only a column with a space in some cell can hold prose (a pixel row has none).
    candidates = sorted({i for r in body for i, cell in enumerate(r) if " " in cell})
    best, best_length = None, 0.0
    for column in candidates:
        cells = [r[column] for r in body if column < len(r) and r[column].strip()]
        if not cells or sum(map(_looks_like_prose, cells)) * 2 < len(cells):
            continue
        length = sum(map(len, cells)) / len(cells)
        if length > best_length:
            best, best_length = column, length
    return best


def _label_column(info: CsvInfo) -> int | None:
    name = file_name(info.path)
    if info.header is not None:
        named = [i for i, c in enumerate(info.header) if c.lower() in PIXEL_LABEL_NAMES]
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            found = printable(", ".join(info.header[i] for i in named))
            raise DatasetError(f"{name}: several columns could be the label ({found}).")
    if square_side(info.n_columns) is not None:
        return None
    if square_side(info.n_columns - 1) is not None:
        return 0
    raise DatasetError(f"{name}: {info.n_columns:,} columns make no square image, with or "
                       "without a label column first.")


def encode_names(values: Sequence[str], name: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Class indices and names from label cells: whole numbers keep their numeric order, other
    labels sort as text. (No fixed-width string array: one long label must not cost its length
    in every row.)"""
    try:
        numbers = np.array([int(v) for v in values], dtype=np.int64)
    except (ValueError, OverflowError):
        names = sorted(set(values))
        index = {value: i for i, value in enumerate(names)}
        codes = np.fromiter((index[v] for v in values), dtype=np.int64, count=len(values))
        return codes, tuple(names)
    return encode_labels(numbers, name)


def _cells(line: str, delimiter: str) -> list[str]:
    allow_long_fields()
    return next(csv.reader([line], delimiter=delimiter, strict=True), [])


def _locate_problem(name: str, lines: list[str], numbers: np.ndarray, info: CsvInfo,
                    label: int | None) -> DatasetError:
    """The first bad row, found by the slow careful scan that runs only after a failure."""
    names = info.header
    for line, number in zip(lines, numbers.tolist(), strict=True):
        try:
            cells = _cells(line, info.delimiter)
        except csv.Error as exc:
            return quote_problem(name, number, number, exc)
        if len(cells) != info.n_columns:
            return DatasetError(f"{name}: line {number} has {len(cells):,} cells, "
                                f"expected {info.n_columns:,}.")
        for column, cell in enumerate(cells):
            if column == label:
                if not cell.strip():
                    return DatasetError(f"{name}: line {number}: the label is empty.")
                continue
            if not _is_number(cell):
                where = f"column {column + 1}"
                if names and column < len(names):
                    where += f" ({printable(names[column], 60)})"
                return DatasetError(f"{name}: line {number}, {where}: "
                                    f"'{printable(cell, 60)}' is not a number.")
    return DatasetError(f"{name}: the pixel values cannot be read.")


def _parse(lines: list[str], dtype: type, delimiter: str, quoted: bool,
           usecols: list[int] | None) -> np.ndarray | None:
    try:
        return np.loadtxt(lines, delimiter=delimiter, dtype=dtype, comments=None, ndmin=2,
                          usecols=usecols, quotechar='"' if quoted else None)
    except (ValueError, OverflowError):
        return None


def _all_rows_full(lines: list[str], info: CsvInfo) -> bool:
    """Whether every row holds ``info.n_columns`` cells (loadtxt checks only the columns it
    is asked for)."""
    d, n = info.delimiter, info.n_columns
    try:
        return all(line.count(d) == n - 1 if '"' not in line else len(_cells(line, d)) == n
                   for line in lines)
    except csv.Error:
        return False


def _parse_table(name: str, lines: list[str], numbers: np.ndarray, info: CsvInfo,
                 label: int | None) -> tuple[np.ndarray, np.ndarray | list[str] | None]:
    """Pixels (int32 or float32) and raw label values, in as few passes as the data allow."""
    quoted = '"' in lines[0]
    # Whole numbers parse about seven times faster than floats: try them first.
    for dtype in (np.int32, np.float32):
        table = _parse(lines, dtype, info.delimiter, quoted, None)
        if table is not None and table.shape[1] == info.n_columns:
            if label is None:
                return table, None
            labels = table[:, label].copy()  # a view would keep the whole table alive
            if label in (0, info.n_columns - 1):  # the usual places: a view, not a copy
                return table[:, 1:] if label == 0 else table[:, :-1], labels
            return np.delete(table, label, axis=1), labels
    if label is not None and _all_rows_full(lines, info):  # labels that are names
        cells = _parse(lines, object, info.delimiter, quoted, [label])
        labels = [str(cell).strip() for cell in cells[:, 0]] if cells is not None else []
        # An empty label is left to the careful scan, which names its line.
        if len(labels) == len(lines) and all(labels):
            pixel_columns = [c for c in range(info.n_columns) if c != label]
            for dtype in (np.int32, np.float32):
                table = _parse(lines, dtype, info.delimiter, quoted, pixel_columns)
                if table is not None:
                    return table, labels
    raise _locate_problem(name, lines, numbers, info, label)


def _read_lines(path: Path, name: str) -> tuple[list[str], np.ndarray]:
    """The non-empty lines of the file and their line numbers, within the memory budget."""
    what = "reading its pixels"
    try:
        data = read_all(path, PIXEL_CSV_FACTOR, name, what)
    except OSError as exc:
        raise DatasetError(f"{name}: cannot be read ({exc.strerror or exc}).") from None
    check_budget(math.ceil(len(data) * PIXEL_CSV_FACTOR + data.count(b"\n") * LINE_BYTES),
                 name, what)
    lines: list[str] = []
    try:
        for piece in text_pieces(data):
            lines += split_lines(piece)
    except NotText as exc:
        raise DatasetError(f"{name}: {exc}.") from None
    del data
    full = np.fromiter((bool(line.strip()) for line in lines), dtype=bool, count=len(lines))
    numbers = np.flatnonzero(full) + 1
    if len(numbers) < len(lines):
        lines = [lines[i - 1] for i in numbers.tolist()]
    return lines, numbers


def load_pixel_csv(path: str | Path, *, name: str | None = None, test_fraction: float = 0.2,
                   seed: int = 0, info: CsvInfo | None = None) -> Dataset:
    """Square grey images, one per row, with an optional label column (module docstring)."""
    path = Path(path)
    shown = file_name(path)
    info = info or sniff_csv(path)
    label = _label_column(info)
    n_pixels = info.n_columns - (label is not None)
    side = square_side(n_pixels)
    if side is None:
        raise DatasetError(f"{shown}: {n_pixels:,} pixel columns make no square image.")
    lines, numbers = _read_lines(path, shown)
    if info.header is not None:
        lines, numbers = lines[1:], numbers[1:]
    if not lines:
        raise DatasetError(f"{shown}: the file holds a header but no rows.")
    pixels, raw_labels = _parse_table(shown, lines, numbers, info, label)
    del lines  # the text goes before the images are made
    if pixels.dtype == np.float32:
        bad = np.flatnonzero(~np.isfinite(pixels).all(axis=1))
        if len(bad):
            raise DatasetError(f"{shown}: line {numbers[bad[0]]} holds NaN or infinity.")
    x = np.empty((len(pixels), 1, side, side), dtype=np.float32)
    x.reshape(len(pixels), -1)[...] = pixels
    lo, hi = float(x.min()), float(x.max())
    eight_bit = lo >= 0 and 1 < hi <= 255 and (
        pixels.dtype != np.float32 or np.array_equal(pixels, np.rint(pixels)))
    del pixels
    if eight_bit:  # whole numbers 0…255: kept as 8-bit pixels (Dataset.images divides)
        x = x.astype(np.uint8)
    else:
        scale_in_place(x, np.dtype(np.float32), shown)
    labels, class_names = None, ()
    if isinstance(raw_labels, list):
        labels, class_names = encode_names(raw_labels, f"{shown} (labels)")
    elif raw_labels is not None:
        labels, class_names = encode_labels(raw_labels, f"{shown} (labels)")
    return Dataset(name or path.stem, x, labels, class_names,
                   random_split(len(x), test_fraction, seed))
