"""What to load, as one value: a catalogue dataset by name or a file or folder, with its loader
options. :meth:`DataSource.parse` is the one place that tells a name from a path; the command
line, the window, lab files and checkpoints all go through it.

A source loads itself (:meth:`DataSource.load`, with progress and cancel, for a worker thread)
and round-trips through JSON (:meth:`DataSource.to_dict`, :meth:`DataSource.from_dict`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from types import MappingProxyType
from typing import Any

from latentlab.core.data.catalogue import CATALOGUE, is_cached, load_catalogue_dataset
from latentlab.core.data.dataset import Dataset, DatasetError, LoadCancelled
from latentlab.core.data.download import Progress
from latentlab.core.data.sources import load_source

#: Progress reports go out at most this often (the loaders may report far more often).
REPORT_INTERVAL_S = 0.05


@dataclass(frozen=True)
class LoadProgress:
    """How far a load has come, for a progress bar: ``done`` of ``total`` and a line of text."""

    done: float
    total: float | None  # None: not known (the bar only shows that work goes on)
    text: str

    @property
    def fraction(self) -> float | None:
        return None if not self.total else min(self.done / self.total, 1.0)


def is_catalogue_name(text: str, base: str | Path | None = None) -> bool:
    """Whether ``text`` names a catalogue dataset: a name there that is not an existing path
    (relative ones against ``base``, else the current folder)."""
    if text not in CATALOGUE:
        return False
    return not os.path.exists(text if base is None else os.path.join(base, text))


@dataclass(frozen=True)
class DataSource:
    """What to load: a catalogue dataset by name (built-in or downloadable) or a file/folder,
    with loader options."""

    location: str  # a catalogue name ("digits", "mnist", ...) or a path
    options: Mapping[str, Any] = field(default_factory=dict)  # size, mode, max_words, ...
    cache_dir: str | None = None  # catalogue downloads only; None = the user cache folder

    def __post_init__(self) -> None:
        # A read-only copy: the value cannot change under whoever holds it.
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    def same_data(self, other: DataSource | None) -> bool:
        """Whether ``other`` loads the same data (where downloads are cached is no part of it)."""
        return other is not None and (self.location, dict(self.options)) == (
            other.location, dict(other.options))

    def __hash__(self) -> int:
        return hash((self.location, tuple(sorted(self.options.items())), self.cache_dir))

    @classmethod
    def parse(cls, text: str | Path, cache_dir: str | Path | None = None,
              **options: Any) -> DataSource:
        """A catalogue name that is not an existing path is that dataset; anything else (and
        any ``Path``) is a file or folder."""
        location = str(text)
        if isinstance(text, PurePath) and location in CATALOGUE:
            location = os.path.join(os.curdir, location)  # a Path is never a name
        return cls(location, options, None if cache_dir is None else str(cache_dir))

    @property
    def is_catalogue(self) -> bool:
        return is_catalogue_name(self.location)

    @property
    def label(self) -> str:
        """How the user knows this source: the dataset's title, or the file or folder name."""
        if self.is_catalogue:
            return CATALOGUE[self.location].title
        return Path(self.location).name or self.location

    def with_options(self, **options: Any) -> DataSource:
        return replace(self, options={**self.options, **options})

    def load(self, progress: Callable[[LoadProgress], None] | None = None,
             cancel: threading.Event | None = None) -> Dataset:
        """The dataset, downloaded first if need be. Raises DatasetError naming the file and the
        reason (DownloadError for downloads), LoadCancelled or DownloadCancelled on ``cancel``."""
        reporter = _Reporter(progress, self.label)
        if self.is_catalogue:
            if self.options.get("pairs"):
                raise DatasetError(f"{self.location}: a catalogue dataset holds no A → B pairs; "
                                   f"pairs are read from a folder with A/ and B/ or a .npz "
                                   f"with A and B.")
            cached = is_cached(self.location, self.cache_dir)
            what = "from the cache" if cached else "(connecting)"
            reporter.send(LoadProgress(0, None, f"Loading {self.label} {what}…"), force=True)
            dataset = load_catalogue_dataset(
                self.location, progress=None if cached or progress is None else reporter.download,
                cancel=cancel, cache_dir=self.cache_dir)
        else:
            reporter.send(LoadProgress(0, None, f"Loading {self.label}…"), force=True)
            items = None if progress is None else reporter.items
            dataset = load_source(self.location, progress=items, cancel=cancel, **self.options)
        if cancel is not None and cancel.is_set():
            raise LoadCancelled("The load was cancelled.")
        return dataset

    # ------------------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"source": self.location, "options": dict(self.options)}
        if self.cache_dir is not None:
            d["cache_dir"] = self.cache_dir
        return d

    @classmethod
    def from_dict(cls, data: object) -> DataSource:
        """The source ``to_dict`` wrote; ValueError names the field that is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("a dataset source must be an object with a 'source'")
        location = data.get("source")
        if not isinstance(location, str) or not location or "\0" in location:
            raise ValueError("'source' must be a path or a dataset name")
        options = data.get("options", {})
        if not isinstance(options, Mapping) or not all(isinstance(k, str) for k in options):
            raise ValueError("'options' must be an object of loader options")
        cache_dir = data.get("cache_dir")
        if cache_dir is not None and (not isinstance(cache_dir, str) or not cache_dir):
            raise ValueError("'cache_dir' must be a folder path or null")
        return cls(location, options, cache_dir)


class _Reporter:
    """Turns the loaders' progress callbacks into LoadProgress reports, at most every so often."""

    def __init__(self, report: Callable[[LoadProgress], None] | None, label: str) -> None:
        self._report = report
        self._label = label
        self._last = -float("inf")

    def send(self, progress: LoadProgress, force: bool = False) -> None:
        now = time.monotonic()
        if self._report is not None and (force or now - self._last >= REPORT_INTERVAL_S):
            self._last = now
            self._report(progress)

    def items(self, done: int, total: int) -> None:
        """``progress(done, total)`` of the image and text loaders."""
        self.send(LoadProgress(done, total, f"Reading {self._label}: {done:,} of {total:,} files"),
                  force=done >= total)

    def download(self, p: Progress) -> None:
        mb = p.done / 1e6
        of = f" of {p.total / 1e6:.1f}" if p.total else ""
        self.send(LoadProgress(p.done, p.total, f"Downloading {self._label}: {p.filename} "
                                                f"({p.index + 1} of {p.count}) · {mb:.1f}{of} MB"),
                  force=p.total is not None and p.done >= p.total)


__all__ = ["REPORT_INTERVAL_S", "DataSource", "LoadProgress", "is_catalogue_name"]
