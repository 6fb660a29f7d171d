"""Text corpora as datasets: a folder of .txt files, or a CSV with a text column.

Both become bag-of-words vectors (``latentlab.core.data.text``) stored as N×1×1×V word
probabilities, with the vocabulary and the texts kept on the Dataset. Empty documents are kept
as rows of zeros (never dropped, so every text keeps its row).
"""

from __future__ import annotations

import contextlib
import csv
import io
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from latentlab.core.data.arrays import Progress, check_cancel, encode_labels
from latentlab.core.data.csv_files import (
    TEXT_LABEL_NAMES,
    TEXT_NAMES,
    CsvInfo,
    allow_long_fields,
    read_text,
    sniff_csv,
)
from latentlab.core.data.dataset import Dataset, DatasetError, random_split
from latentlab.core.data.layout import scan_folder
from latentlab.core.data.text import build_vocabulary, count_matrix, tokenize, word_probabilities

TEXT_SUFFIXES = frozenset({".txt"})
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
    for i, text in enumerate(texts):
        if i % _PROGRESS_EVERY == 0:
            check_cancel(cancel)
        token_lists.append(tokenize(text, stem))
    vocabulary = build_vocabulary(token_lists, max_words)
    if not vocabulary:
        raise DatasetError(f"{name}: no document holds a word (after dropping stop words).")
    counts = count_matrix(token_lists, vocabulary)
    lengths = counts.sum(axis=1)
    x = word_probabilities(counts)
    if is_test is None:
        is_test = random_split(len(x), test_fraction, seed)
    return Dataset(name, x[:, None, None, :], labels, class_names, is_test,
                   vocabulary=vocabulary, documents=tuple(texts), skipped=skipped,
                   lengths=lengths)


def load_text_folder(folder: str | Path, *, max_words: int = 2000, stem: bool = False,
                     name: str | None = None, test_fraction: float = 0.2, seed: int = 0,
                     progress: Progress | None = None,
                     cancel: threading.Event | None = None) -> Dataset:
    """.txt files under ``folder``: subfolders are classes, a flat folder is unlabelled.

    Files are read as UTF-8 (undecodable bytes replaced); unreadable ones are skipped and listed
    in ``Dataset.skipped``.
    """
    folder = Path(folder)
    layout = scan_folder(folder, TEXT_SUFFIXES, "text (.txt)")
    texts: list[str] = []
    keep = np.zeros(len(layout.files), dtype=bool)
    skipped: list[tuple[str, str]] = []
    for i, path in enumerate(layout.files):
        if i % _PROGRESS_EVERY == 0:
            check_cancel(cancel)
            if progress is not None:
                progress(i, len(layout.files))
        try:
            texts.append(path.read_bytes().decode("utf-8-sig", errors="replace"))
        except OSError as exc:
            skipped.append((path.relative_to(folder).as_posix(), exc.strerror or str(exc)))
        else:
            keep[i] = True
    if progress is not None:
        progress(len(layout.files), len(layout.files))
    skipped += [(p.relative_to(folder).as_posix(), "not in a class folder")
                for p in layout.outside]
    if not texts:
        raise DatasetError(f"{folder}: none of its {len(layout.files):,} .txt files could be read.")
    labels = layout.labels[keep] if layout.labels is not None else None
    is_test = layout.is_test[keep] if layout.is_test is not None else None
    return corpus_dataset(texts, name=name or folder.name, labels=labels,
                          class_names=layout.class_names, is_test=is_test, max_words=max_words,
                          stem=stem, test_fraction=test_fraction, seed=seed,
                          skipped=tuple(skipped), cancel=cancel)


def _column(header: tuple[str, ...] | None, wanted: str | None, names: tuple[str, ...],
            path: Path) -> int | None:
    if header is None:
        if wanted is not None:
            raise DatasetError(f"{path.name}: has no header row, so no column {wanted!r}.")
        return None
    lower = [c.lower() for c in header]
    if wanted is not None:
        if wanted.lower() not in lower:
            raise DatasetError(f"{path.name}: no column {wanted!r} (it has {', '.join(header)}).")
        return lower.index(wanted.lower())
    for candidate in names:
        if candidate in lower:
            return lower.index(candidate)
    return None


def load_text_csv(path: str | Path, *, text_column: str | None = None,
                  label_column: str | None = None, max_words: int = 2000, stem: bool = False,
                  name: str | None = None, test_fraction: float = 0.2, seed: int = 0,
                  info: CsvInfo | None = None, cancel: threading.Event | None = None) -> Dataset:
    """One document per row of a CSV; the text column is found by name or content, the label
    column by name (label/class/category/…) or given; rows missing cells count as empty text.
    """
    path = Path(path)
    info = info or sniff_csv(path)
    text_at = _column(info.header, text_column, TEXT_NAMES, path)
    if text_at is None:
        text_at = info.text_column
    if text_at is None:
        raise DatasetError(f"{path.name}: no column holds text (name one text, document, body "
                           "or content).")
    label_at = _column(info.header, label_column, TEXT_LABEL_NAMES, path)
    allow_long_fields()
    reader = csv.reader(io.StringIO(read_text(path), newline=""), delimiter=info.delimiter)
    texts: list[str] = []
    raw_labels: list[str] = []
    header_pending = info.header is not None
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if header_pending:
                header_pending = False
                continue
            texts.append(row[text_at] if text_at < len(row) else "")
            if label_at is not None:
                label = row[label_at].strip() if label_at < len(row) else ""
                raw_labels.append(label or "(none)")
    except csv.Error as exc:
        raise DatasetError(f"{path.name}: line {reader.line_num}: {exc}.") from None
    if not texts:
        raise DatasetError(f"{path.name}: the file holds no rows of text.")
    labels, class_names = None, ()
    if label_at is not None:
        values = np.array(raw_labels)
        with contextlib.suppress(ValueError):  # numeric labels keep their numeric order
            values = values.astype(np.int64)
        labels, class_names = encode_labels(values, f"{path.name} (labels)")
    return corpus_dataset(texts, name=name or path.stem, labels=labels, class_names=class_names,
                          max_words=max_words, stem=stem, test_fraction=test_fraction,
                          seed=seed, cancel=cancel)
