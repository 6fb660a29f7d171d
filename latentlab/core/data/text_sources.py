"""Text corpora as datasets: a folder of .txt files, or a CSV with a text column.

Both become bag-of-words vectors (``latentlab.core.data.text``) stored as N×1×1×V word
probabilities, with the vocabulary and the texts kept on the Dataset. Empty documents are kept
as rows of zeros (never dropped, so every text keeps its row). Files are read as
``latentlab.core.data.text_files`` describes; the text read, and the N×V vectors, must fit the
loading memory budget (``latentlab.core.files.safe_io``), checked before they are made.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from latentlab.core.data.arrays import Progress, check_cancel
from latentlab.core.data.csv_files import (
    TEXT_LABEL_NAMES,
    TEXT_NAMES,
    CsvInfo,
    encode_names,
    file_name,
    sniff_csv,
)
from latentlab.core.data.csv_reading import csv_records
from latentlab.core.data.dataset import Dataset, DatasetError, random_split
from latentlab.core.data.layout import scan_folder
from latentlab.core.data.text import (
    build_vocabulary,
    count_matrix,
    tokenize_each,
    word_probabilities,
)
from latentlab.core.data.text_files import NotText, decode, read_all, text_lines
from latentlab.core.files.safe_io import check_budget, printable

TEXT_SUFFIXES = frozenset({".txt"})
#: Peak memory of loading a corpus per byte of text, before its N×V vectors (checked apart):
#: the bytes and their decoded text, the documents, and a pointer a word. Measured
#: (tracemalloc) at 2.8–3.2 for documents of 400–5,000 words and 5.0 for the densest text
#: (a two-letter word every three bytes: 8 bytes a word), plus the costs a document below.
#: A quoted CSV cell costs the csv module more (``csv_files.allow_long_fields`` caps it).
CORPUS_FACTOR = 5.0
#: …plus this much a CSV line (measured: about 120 bytes for rows of two words) or a .txt
#: file (measured: about 500 bytes, with its path and place in the layout).
ROW_BYTES = 250
FILE_BYTES = 1000
_PROGRESS_EVERY = 256


def corpus_dataset(texts: Sequence[str], *, name: str, labels: np.ndarray | None = None,
                   class_names: tuple[str, ...] = (), is_test: np.ndarray | None = None,
                   max_words: int = 2000, stem: bool = False, test_fraction: float = 0.2,
                   seed: int = 0, skipped: tuple[tuple[str, str], ...] = (),
                   cancel: threading.Event | None = None) -> Dataset:
    """A text Dataset from document texts (and optional labels and split)."""
    if max_words < 1:
        raise ValueError(f"max_words must be at least 1, not {max_words}.")
    token_lists = []
    for i, tokens in enumerate(tokenize_each(texts, stem)):
        if i % _PROGRESS_EVERY == 0:
            check_cancel(cancel)
        token_lists.append(tokens)
    vocabulary = build_vocabulary(token_lists, max_words)
    if not vocabulary:
        raise DatasetError(f"{printable(name)}: no document holds a word (after dropping stop "
                           "words).")
    check_budget(len(token_lists) * len(vocabulary) * 4, printable(name),
                 f"the word vectors of {len(token_lists):,} documents over "
                 f"{len(vocabulary):,} words")
    counts = count_matrix(token_lists, vocabulary)
    lengths = counts.sum(axis=1)
    x = word_probabilities(counts)
    if is_test is None:
        is_test = random_split(len(x), test_fraction, seed)
    return Dataset(name, x[:, None, None, :], labels, class_names, is_test,
                   vocabulary=vocabulary, documents=tuple(texts), skipped=skipped,
                   lengths=lengths)


def _sizes(files: Sequence[Path]) -> int:
    total = 0
    for path in files:
        with contextlib.suppress(OSError):  # the read will say why
            total += os.stat(path).st_size
    return total


def load_text_folder(folder: str | Path, *, max_words: int = 2000, stem: bool = False,
                     name: str | None = None, test_fraction: float = 0.2, seed: int = 0,
                     progress: Progress | None = None,
                     cancel: threading.Event | None = None) -> Dataset:
    """.txt files under ``folder``: subfolders are classes, a flat folder is unlabelled.

    Files are read as UTF-8 (undecodable bytes replaced) unless a byte-order mark says UTF-16 or
    UTF-32; unreadable ones, binary ones and what the layout passes over (links leading out of
    the folder, FIFOs, …) are skipped and listed in ``Dataset.skipped``. DatasetError when the
    text would not fit the loading budget.
    """
    folder = Path(folder)
    shown = printable(str(folder))
    layout = scan_folder(folder, TEXT_SUFFIXES, "text (.txt)")
    what = f"the text of its {len(layout.files):,} .txt files"
    check_budget(math.ceil(_sizes(layout.files) * CORPUS_FACTOR + len(layout.files) * FILE_BYTES),
                 shown, what)
    texts: list[str] = []
    keep = np.zeros(len(layout.files), dtype=bool)
    skipped: list[tuple[str, str]] = []
    total = 0
    for i, path in enumerate(layout.files):
        if i % _PROGRESS_EVERY == 0:
            check_cancel(cancel)
            if progress is not None:
                progress(i, len(layout.files))
        try:
            # Bounded by what the budget leaves, should the files have grown since.
            data = read_all(path, CORPUS_FACTOR, shown, what, already=total)
            text = decode(data)
            # One wide character makes a whole text four bytes a character: count that.
            total += max(len(data), sys.getsizeof(text))
            texts.append(text)
        except (OSError, NotText) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            skipped.append((path.relative_to(folder).as_posix(), reason))
        else:
            keep[i] = True
    if progress is not None:
        progress(len(layout.files), len(layout.files))
    skipped += [(p.relative_to(folder).as_posix(), reason) for p, reason in layout.skipped]
    if not texts:
        example = f" (e.g. {printable(skipped[0][0])}: {skipped[0][1]})" if skipped else ""
        raise DatasetError(f"{shown}: none of its {len(layout.files):,} .txt files could be "
                           f"read{example}.")
    labels = layout.labels[keep] if layout.labels is not None else None
    is_test = layout.is_test[keep] if layout.is_test is not None else None
    return corpus_dataset(texts, name=name or folder.name, labels=labels,
                          class_names=layout.class_names, is_test=is_test, max_words=max_words,
                          stem=stem, test_fraction=test_fraction, seed=seed,
                          skipped=tuple(skipped), cancel=cancel)


def _column(header: tuple[str, ...] | None, wanted: str | None, names: tuple[str, ...],
            name: str) -> int | None:
    if header is None:
        if wanted is not None:
            raise DatasetError(f"{name}: has no header row, so no column {wanted!r}.")
        return None
    lower = [c.lower() for c in header]
    if wanted is not None:
        if wanted.lower() not in lower:
            raise DatasetError(f"{name}: no column {wanted!r} (it has "
                               f"{printable(', '.join(header))}).")
        return lower.index(wanted.lower())
    for candidate in names:
        if candidate in lower:
            return lower.index(candidate)
    return None


def _read_csv(path: Path, name: str) -> bytes:
    what = "reading its texts"
    try:
        data = read_all(path, CORPUS_FACTOR, name, what)
    except OSError as exc:
        raise DatasetError(f"{name}: cannot be read ({exc.strerror or exc}).") from None
    check_budget(math.ceil(len(data) * CORPUS_FACTOR + data.count(b"\n") * ROW_BYTES), name,
                 what)
    return data


def load_text_csv(path: str | Path, *, text_column: str | None = None,
                  label_column: str | None = None, max_words: int = 2000, stem: bool = False,
                  name: str | None = None, test_fraction: float = 0.2, seed: int = 0,
                  info: CsvInfo | None = None, cancel: threading.Event | None = None) -> Dataset:
    """One document per row of a CSV; the text column is found by name or content, the label
    column by name (label/class/category/…) or given; rows missing cells count as empty text.
    A quote that is never closed is refused, naming the line it opens on.
    """
    path = Path(path)
    shown = file_name(path)
    info = info or sniff_csv(path)
    text_at = _column(info.header, text_column, TEXT_NAMES, shown)
    if text_at is None:
        text_at = info.text_column
    if text_at is None:
        raise DatasetError(f"{shown}: no column holds text (name one text, document, body "
                           "or content).")
    label_at = _column(info.header, label_column, TEXT_LABEL_NAMES, shown)
    texts: list[str] = []
    raw_labels: list[str] = []
    header_pending = info.header is not None
    lines = text_lines(_read_csv(path, shown))
    try:
        for _, _, row in csv_records(lines, info.delimiter, shown):
            if not any(cell.strip() for cell in row):
                continue
            if header_pending:
                header_pending = False
                continue
            texts.append(row[text_at] if text_at < len(row) else "")
            if label_at is not None:
                label = row[label_at].strip() if label_at < len(row) else ""
                raw_labels.append(label or "(none)")
    except NotText as exc:
        raise DatasetError(f"{shown}: {exc}.") from None
    del lines  # the file's bytes go before the words are counted
    if not texts:
        raise DatasetError(f"{shown}: the file holds no rows of text.")
    labels, class_names = None, ()
    if label_at is not None:
        labels, class_names = encode_names(raw_labels, f"{shown} (labels)")
    return corpus_dataset(texts, name=name or path.stem, labels=labels, class_names=class_names,
                          max_words=max_words, stem=stem, test_fraction=test_fraction,
                          seed=seed, cancel=cancel)
