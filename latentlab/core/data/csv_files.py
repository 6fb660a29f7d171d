"""CSV files: one image per row (the Kaggle MNIST layout), or one document per row.

Pixel CSVs: an optional header; a label column named label/labels/class/y/target/digit/category
(any case), or, without such a name, the first column when the other columns make a square
image and all of them do not; no label column gives an unlabelled set. Images are square,
side = √(pixel count). Whole numbers in 0…255 are divided by 255; other values are brought into
[0, 1] as ``scale_in_place`` describes.

A CSV is a text corpus when a column is named text/document/body/content/… or when its cells
read as sentences (letters and spaces, not numbers); ``sniff_csv`` decides.
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentlab.core.data.arrays import encode_labels, scale_in_place, square_side
from latentlab.core.data.dataset import Dataset, DatasetError, random_split

PIXEL_LABEL_NAMES = ("label", "labels", "class", "y", "target", "digit", "category")
TEXT_NAMES = ("text", "document", "doc", "body", "content", "review", "sentence", "message",
              "comment", "tweet", "abstract")
TEXT_LABEL_NAMES = ("label", "labels", "class", "category", "target", "y", "sentiment", "topic")
_SNIFF_ROWS = 50
_SNIFF_BYTES = 1 << 20


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


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _looks_like_prose(cell: str) -> bool:
    return not _is_number(cell) and " " in cell.strip() and any(c.isalpha() for c in cell)


def read_text(path: Path) -> str:
    try:
        # utf-8-sig drops a byte-order mark; undecodable bytes must not stop a corpus loading.
        return path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise DatasetError(f"{path.name}: cannot be read ({exc.strerror or exc}).") from None


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def allow_long_fields() -> None:
    """Let the csv module read long documents (its default cap is 128 KiB a field)."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def sniff_csv(path: str | Path) -> CsvInfo:
    """Delimiter, header and whether a column holds text, from the first rows."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as exc:
        raise DatasetError(f"{path.name}: cannot be read ({exc.strerror or exc}).") from None
    lines = head.splitlines()
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise DatasetError(f"{path.name}: the file is empty.")
    delimiter = _delimiter(first)
    allow_long_fields()
    rows = []
    try:
        for row in csv.reader(io.StringIO(head), delimiter=delimiter):
            if any(cell.strip() for cell in row):
                rows.append(row)
            if len(rows) > _SNIFF_ROWS:
                break
    except csv.Error as exc:
        raise DatasetError(f"{path.name}: not a readable CSV ({exc}).") from None
    if not rows:
        raise DatasetError(f"{path.name}: the file holds no values.")
    # A bounded read may cut the last row short: judge the complete ones.
    if len(head) == _SNIFF_BYTES and len(rows) > 1:
        rows = rows[:-1]
    header: tuple[str, ...] | None = None
    if not all(_is_number(cell) for cell in rows[0] if cell.strip()):
        header = tuple(cell.strip() for cell in rows[0])
    text_column = _text_column(rows, header)
    first_cell = rows[0][text_column] if text_column is not None and text_column < len(
        rows[0]) else ""
    if header is not None and _looks_like_prose(first_cell):
        header = None  # the first row is a document, not column names
    return CsvInfo(path, delimiter, header, len(rows[0]), text_column)


def _text_column(rows: list[list[str]], header: tuple[str, ...] | None) -> int | None:
    if header is not None:
        for name in TEXT_NAMES:
            for i, cell in enumerate(header):
                if cell.lower() == name:
                    return i
    body = rows[1:] if len(rows) > 1 else rows
    best, best_length = None, 0.0
    for column in range(max(len(r) for r in body)):
        cells = [r[column] for r in body if column < len(r) and r[column].strip()]
        if not cells or sum(map(_looks_like_prose, cells)) * 2 < len(cells):
            continue
        length = sum(map(len, cells)) / len(cells)
        if length > best_length:
            best, best_length = column, length
    return best


def _label_column(info: CsvInfo) -> int | None:
    if info.header is not None:
        named = [i for i, c in enumerate(info.header) if c.lower() in PIXEL_LABEL_NAMES]
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            found = ", ".join(info.header[i] for i in named)
            raise DatasetError(f"{info.path.name}: several columns could be the label ({found}).")
    if square_side(info.n_columns) is not None:
        return None
    if square_side(info.n_columns - 1) is not None:
        return 0
    raise DatasetError(
        f"{info.path.name}: {info.n_columns:,} columns make no square image, with or without a "
        "label column first."
    )


def _locate_problem(path: Path, rows: list[tuple[int, str]], info: CsvInfo,
                    label: int | None) -> DatasetError:
    """The first bad row, found by the slow careful scan that runs only after a failure."""
    names = info.header
    for lineno, line in rows:
        cells = next(csv.reader([line], delimiter=info.delimiter))
        if len(cells) != info.n_columns:
            return DatasetError(f"{path.name}: line {lineno} has {len(cells):,} cells, "
                                f"expected {info.n_columns:,}.")
        for column, cell in enumerate(cells):
            if column == label:
                if not cell.strip():
                    return DatasetError(f"{path.name}: line {lineno}: the label is empty.")
                continue
            if not _is_number(cell):
                where = f"column {column + 1}" + (f" ({names[column]})" if names else "")
                return DatasetError(f"{path.name}: line {lineno}, {where}: {cell!r} is not "
                                    "a number.")
    return DatasetError(f"{path.name}: the pixel values cannot be read.")


def _parse(lines: list[str], dtype: type, delimiter: str, quoted: bool,
           usecols: list[int] | None) -> np.ndarray | None:
    try:
        return np.loadtxt(lines, delimiter=delimiter, dtype=dtype, comments=None, ndmin=2,
                          usecols=usecols, quotechar='"' if quoted else None)
    except (ValueError, OverflowError):
        return None


def _parse_table(path: Path, rows: list[tuple[int, str]], info: CsvInfo,
                 label: int | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Pixels (int32 or float32) and raw label values, in as few passes as the data allow."""
    lines = [line for _, line in rows]
    quoted = '"' in lines[0]
    # Whole numbers parse about seven times faster than floats: try them first.
    for dtype in (np.int32, np.float32):
        table = _parse(lines, dtype, info.delimiter, quoted, None)
        if table is not None and table.shape[1] == info.n_columns:
            if label is None:
                return table, None
            return np.delete(table, label, axis=1), table[:, label]
    if label is not None:  # labels that are names, not numbers
        labels = _parse(lines, str, info.delimiter, quoted, [label])
        # An empty label is left to the careful scan, which names its line.
        if labels is not None and (np.char.str_len(np.char.strip(labels)) > 0).all():
            pixel_columns = [c for c in range(info.n_columns) if c != label]
            for dtype in (np.int32, np.float32):
                table = _parse(lines, dtype, info.delimiter, quoted, pixel_columns)
                if table is not None:
                    return table, labels[:, 0]
    raise _locate_problem(path, rows, info, label)


def load_pixel_csv(path: str | Path, *, name: str | None = None, test_fraction: float = 0.2,
                   seed: int = 0, info: CsvInfo | None = None) -> Dataset:
    """Square grey images, one per row, with an optional label column (module docstring)."""
    path = Path(path)
    info = info or sniff_csv(path)
    label = _label_column(info)
    n_pixels = info.n_columns - (label is not None)
    side = square_side(n_pixels)
    if side is None:
        raise DatasetError(f"{path.name}: {n_pixels:,} pixel columns make no square image.")
    start = 1 if info.header is not None else 0
    numbered = [(i + 1, line) for i, line in enumerate(read_text(path).splitlines())
                if line.strip()]
    rows = numbered[start:]
    if not rows:
        raise DatasetError(f"{path.name}: the file holds a header but no rows.")
    pixels, raw_labels = _parse_table(path, rows, info, label)
    if pixels.dtype == np.float32:
        bad = np.flatnonzero(~np.isfinite(pixels).all(axis=1))
        if len(bad):
            raise DatasetError(f"{path.name}: line {rows[bad[0]][0]} holds NaN or infinity.")
    x = np.empty((len(pixels), 1, side, side), dtype=np.float32)
    x.reshape(len(pixels), -1)[...] = pixels
    lo, hi = float(x.min()), float(x.max())
    eight_bit = lo >= 0 and 1 < hi <= 255 and (
        pixels.dtype != np.float32 or np.array_equal(pixels, np.rint(pixels)))
    del pixels
    scale_in_place(x, np.dtype(np.uint8) if eight_bit else np.dtype(np.float32), path.name)
    labels, class_names = None, ()
    if raw_labels is not None:
        labels, class_names = encode_labels(raw_labels, f"{path.name} (labels)")
    return Dataset(name or path.stem, x, labels, class_names,
                   random_split(len(x), test_fraction, seed))
