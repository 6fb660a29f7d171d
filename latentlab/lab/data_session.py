"""The data session: the dataset, where it came from, its loads, and the baseline map.

A load is a :class:`~latentlab.core.data.source.DataSource` run as a background job, which
also fits the baseline map — PCA of pixels, or LSA of TF-IDF for text — so that only values are
swapped in when it ends. A failed or cancelled load leaves everything as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from psygnal import Signal

from latentlab.core.data import AmbiguousKeys, Dataset, DatasetError, LoadCancelled
from latentlab.core.data.download import DownloadCancelled, DownloadError
from latentlab.core.data.source import DataSource, LoadProgress
from latentlab.core.maps.linear import PCA, TfidfLSA
from latentlab.core.maps.spatial import PointIndex
from latentlab.core.training.device import training_cpu_threads
from latentlab.lab.jobs import JobCallbacks, JobControl, Runner
from latentlab.lab.notifications import Notifications

#: Maps show every item up to this many, else a fixed random subset.
MAX_MAP_POINTS = 1_000_000
STRIP_SIZE = 8
#: The baseline map is fitted on at most this many train items and bytes of them as stored
#: (MNIST's 60,000 train images fit both, as floats or as 8-bit pixels).
MAX_FIT_ITEMS = 100_000
MAX_FIT_BYTES = 256 << 20
#: The skipped-files summary lists at most this many files in its details.
SKIPPED_LISTED = 1000


@dataclass(frozen=True)
class PreparedData:
    """What the lab derives from a dataset: map items, strip items and the baseline map."""

    map_indices: np.ndarray
    strip_indices: np.ndarray
    baseline: PCA | TfidfLSA
    coords: np.ndarray
    title: str
    probe_start: np.ndarray
    #: The baseline map's spatial index (built in the load job: none of it on the GUI thread).
    index: PointIndex | None = None


@dataclass(frozen=True)
class LoadOutcome:
    """How a load ended: ``dataset`` on success, else the ``error`` (cancelled ones included)."""

    source: DataSource
    dataset: Dataset | None = None
    error: BaseException | None = None
    details: str = ""

    @property
    def cancelled(self) -> bool:
        return isinstance(self.error, (LoadCancelled, DownloadCancelled))

    @property
    def offline(self) -> bool:
        """A download failed without reaching any server: the machine seems to be offline."""
        return isinstance(self.error, DownloadError) and self.error.offline

    @property
    def ambiguous(self) -> AmbiguousKeys | None:
        """A NumPy file whose images or labels key must be chosen by the user."""
        return self.error if isinstance(self.error, AmbiguousKeys) else None


def prepare_data(dataset: Dataset) -> PreparedData:
    """Choose the mapped and strip items and fit the baseline map (numpy only: any thread)."""
    if dataset.n < 2:
        raise DatasetError(f"{dataset.name}: a single item cannot be mapped; a map needs two.")
    if dataset.kind == "text" and dataset.input_shape[2] < 2:
        raise DatasetError(f"{dataset.name}: the documents share only one known word; a map "
                           "needs at least two.")
    rng = np.random.default_rng(0)
    if dataset.n <= MAX_MAP_POINTS:
        map_indices = np.arange(dataset.n)
    else:
        map_indices = np.sort(rng.choice(dataset.n, MAX_MAP_POINTS, replace=False))
    test = dataset.test_indices if len(dataset.test_indices) else dataset.train_indices
    strip_indices = np.sort(rng.choice(test, min(STRIP_SIZE, len(test)), replace=False))
    x_flat = dataset.x.reshape(dataset.n, -1)  # as stored: 8-bit pixels are never all floats
    train = _fit_rows(dataset, x_flat.shape[1] * x_flat.itemsize)
    if dataset.kind == "text":
        baseline: PCA | TfidfLSA = TfidfLSA(2).fit(x_flat[train])
        name = "LSA of TF-IDF"
    else:
        baseline = PCA(2).fit(x_flat[train])
        name = "PCA of pixels"
    # Every item mapped: the rows as they are (indexing would copy them all).
    coords = baseline.transform(x_flat if len(map_indices) == dataset.n else x_flat[map_indices])
    ratio = float(np.sum(baseline.explained_variance_ratio_))
    # PCA's origin is the mean image; LSA is not centred, so its probe starts among the points.
    start = coords.mean(0) if dataset.kind == "text" else np.zeros(2)
    return PreparedData(map_indices, strip_indices, baseline, coords,
                        f"{name} · {ratio:.0%} of variance", start.astype(np.float32))


def _fit_rows(dataset: Dataset, row_bytes: int) -> np.ndarray:
    """The train items the baseline is fitted on: all of them up to ``MAX_FIT_ITEMS`` and
    ``MAX_FIT_BYTES`` (as stored), else a seeded sample (a million images map in bounded
    memory; the principal directions of a 100,000-item sample are those of the whole)."""
    train = dataset.train_indices if len(dataset.train_indices) >= 2 else np.arange(dataset.n)
    most = max(2, min(MAX_FIT_ITEMS, MAX_FIT_BYTES // max(row_bytes, 1)))
    if len(train) <= most:
        return train
    return np.sort(np.random.default_rng(1).choice(train, most, replace=False))


def load_and_prepare(source: DataSource, control: JobControl) -> tuple[Dataset, PreparedData]:
    """The load job: the dataset, then its baseline map (on the loader's thread)."""
    dataset = source.load(progress=control.report, cancel=control.cancel_event)
    if control.stop_requested:
        raise LoadCancelled("The load was cancelled.")
    method = "LSA of TF-IDF" if dataset.kind == "text" else "PCA of pixels"
    control.report(LoadProgress(0, None, f"Mapping {dataset.n:,} items: {method}…"))
    from threadpoolctl import threadpool_limits  # scikit-learn's dependency; only when needed

    # Leave a core to the GUI: BLAS threads that outnumber the free cores slow down many-fold.
    with threadpool_limits(limits=training_cpu_threads(), user_api="blas"):
        prepared = prepare_data(dataset)
    return dataset, replace(prepared, index=PointIndex(prepared.coords))


def skipped_summary(dataset: Dataset, label: str) -> tuple[str, str]:
    """One message for every file a load skipped, and the list of them with their reasons."""
    n = len(dataset.skipped)
    text = (f"{n:,} file{'s' if n != 1 else ''} in {label} could not be read and "
            f"{'were' if n != 1 else 'was'} skipped; {dataset.n:,} items were loaded.")
    lines = [f"{name}: {reason}" for name, reason in dataset.skipped[:SKIPPED_LISTED]]
    if n > SKIPPED_LISTED:
        lines.append(f"… and {n - SKIPPED_LISTED:,} more.")
    return text, "\n".join(lines)


class DataSession:
    """The dataset and its source; the only writer of both."""

    #: A new dataset is about to replace the current one (a run on it ends first).
    changing = Signal()
    #: A new dataset is in place (the other models start afresh on it).
    changed = Signal()
    loading_changed = Signal()  # a load started or ended
    load_progress = Signal(object)  # LoadProgress
    load_ended = Signal(object)  # LoadOutcome: loaded, failed or cancelled

    def __init__(self, runner: Runner, notes: Notifications) -> None:
        self._runner = runner
        self._notes = notes
        self.dataset: Dataset | None = None
        #: Where the dataset came from, for labs and checkpoints to name it.
        self.source: DataSource | None = None
        self.prepared: PreparedData | None = None
        #: The source being loaded (None: no load running).
        self.loading_source: DataSource | None = None
        #: Where catalogue downloads are cached; None is the user cache folder.
        self.catalogue_cache_dir: str | None = None

    # What the other models read most.
    @property
    def map_indices(self) -> np.ndarray:
        return self.prepared.map_indices if self.prepared else np.zeros(0, np.int64)

    @property
    def strip_indices(self) -> np.ndarray:
        return self.prepared.strip_indices if self.prepared else np.zeros(0, np.int64)

    @property
    def baseline(self) -> PCA | TfidfLSA | None:
        """The linear baseline map: PCA of pixels, or LSA of TF-IDF for text."""
        return self.prepared.baseline if self.prepared else None

    @property
    def loading(self) -> bool:
        return self.loading_source is not None

    def map_inputs(self) -> np.ndarray:
        """The mapped items' inputs, one flat row each."""
        assert self.dataset is not None
        indices = self.map_indices
        return self.dataset.images(indices).reshape(len(indices), -1)

    def set_dataset(self, dataset: Dataset, prepared: PreparedData | None = None,
                    source: DataSource | None = None) -> None:
        """Switch datasets (``prepared`` by a load spares fitting the baseline here)."""
        prepared = prepared or prepare_data(dataset)
        self.changing.emit()
        self.prepared = prepared
        self.dataset, self.source = dataset, source
        self.changed.emit()

    def load(self, source: DataSource) -> bool:
        """Start loading ``source`` in the background; False (with a message) if one is busy."""
        if self.loading_source is not None:
            self._notes.say(f"Still loading {self.loading_source.label}: cancel it first.")
            return False
        if source.is_catalogue and source.cache_dir is None and self.catalogue_cache_dir:
            source = replace(source, cache_dir=self.catalogue_cache_dir)
        self.loading_source = source
        self.loading_changed.emit()
        self._runner.start(lambda control: load_and_prepare(source, control), JobCallbacks(
            yielded=self.load_progress.emit, returned=self._on_loaded, errored=self._on_failed))
        return True

    def cancel_load(self) -> None:
        if self.loading_source is not None:
            self._runner.cancel()
            self._notes.say(f"Cancelling the load of {self.loading_source.label}…")

    def stop_load(self) -> None:
        """Stop a load and wait for it; nothing it sends arrives any more."""
        self._runner.cancel_and_wait()
        if self.loading_source is not None:
            self.loading_source = None
            self.loading_changed.emit()

    def _on_loaded(self, result: tuple[Dataset, PreparedData]) -> None:
        source, self.loading_source = self.loading_source, None
        assert source is not None
        dataset, prepared = result
        self.set_dataset(dataset, prepared, source)
        self.loading_changed.emit()
        self._notes.say(f"Loaded {dataset.describe()}.")
        if dataset.skipped:
            text, details = skipped_summary(dataset, source.label)
            self._notes.report_notice("Some files were skipped", text, details)
        self.load_ended.emit(LoadOutcome(source, dataset))

    def _on_failed(self, exc: BaseException, details: str) -> None:
        source, self.loading_source = self.loading_source, None
        assert source is not None
        outcome = LoadOutcome(source, error=exc, details=details)
        kept = (f"{self.dataset.name} is still loaded." if self.dataset is not None
                else "Nothing was loaded.")
        self.loading_changed.emit()
        if outcome.cancelled:
            self._notes.say(f"Loading {source.label} was cancelled; {kept}")
        elif outcome.ambiguous is None and not outcome.offline:
            # Ambiguous keys and being offline are questions for the user, asked by observers.
            if isinstance(exc, DatasetError):
                self._notes.report_error(f"Could not load {source.label}", f"{exc}\n\n{kept}")
            else:  # a bug or a resource problem: the details stay folded away
                self._notes.report_error(f"Could not load {source.label}",
                                         f"{type(exc).__name__}: {exc}\n\n{kept}", details)
        self.load_ended.emit(outcome)
