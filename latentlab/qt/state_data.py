"""Datasets in the lab state: loads run off the GUI thread, and only a successful one changes
anything. Mixed into LabState, whose signals it emits.

A load is a :class:`~latentlab.core.data.source.DataSource` (a path with loader options, or a
catalogue name). The worker thread loads it (``DataSource.load``) and also fits the
baseline map — PCA of pixels, or LSA of TF-IDF for text — so the GUI thread only swaps values in.
A failed or cancelled load leaves the dataset, the model and the maps as they were.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from latentlab.core.data import AmbiguousKeys, Dataset, DatasetError, LoadCancelled
from latentlab.core.data.download import DownloadCancelled, DownloadError
from latentlab.core.data.source import DataSource, LoadProgress
from latentlab.core.maps.linear import PCA, TfidfLSA
from latentlab.core.training.device import training_cpu_threads
from latentlab.qt.workers import TaskRunner

#: Maps show every item up to this many, else a fixed random subset.
MAX_MAP_POINTS = 100_000
STRIP_SIZE = 8
#: The skipped-files summary lists at most this many files in its details.
SKIPPED_LISTED = 1000


@dataclass(frozen=True)
class PreparedMaps:
    """What the state derives from a dataset: map items, strip items and the baseline map."""

    map_indices: np.ndarray
    strip_indices: np.ndarray
    baseline: PCA | TfidfLSA
    coords: np.ndarray
    method: str
    probe_start: np.ndarray


@dataclass(frozen=True)
class LoadOutcome:
    """How a load ended: ``dataset`` on success, else the ``error`` (cancelled ones included)."""

    request: DataSource
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


def prepare_maps(dataset: Dataset) -> PreparedMaps:
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
    x_flat = dataset.x.reshape(dataset.n, -1)
    train = dataset.train_indices if len(dataset.train_indices) >= 2 else np.arange(dataset.n)
    if dataset.kind == "text":
        baseline: PCA | TfidfLSA = TfidfLSA(2).fit(x_flat[train])
        name = "LSA of TF-IDF"
    else:
        baseline = PCA(2).fit(x_flat[train])
        name = "PCA of pixels"
    coords = baseline.transform(x_flat[map_indices])
    ratio = float(np.sum(baseline.explained_variance_ratio_))
    # PCA's origin is the mean image; LSA is not centred, so its probe starts among the points.
    start = coords.mean(0) if dataset.kind == "text" else np.zeros(2)
    return PreparedMaps(map_indices, strip_indices, baseline, coords,
                        f"{name} · {ratio:.0%} of variance", start.astype(np.float32))


def run_request(request: DataSource, report: Callable[[object], None],
                cancel: threading.Event) -> tuple[Dataset, PreparedMaps]:
    """Load ``request`` and prepare its maps; runs on the loader thread."""
    dataset = request.load(report, cancel)
    if cancel.is_set():
        raise LoadCancelled("The load was cancelled.")
    method = "LSA of TF-IDF" if dataset.kind == "text" else "PCA of pixels"
    report(LoadProgress(0, None, f"Mapping {dataset.n:,} items: {method}…"))
    from threadpoolctl import threadpool_limits  # scikit-learn's dependency; only when needed

    # Leave a core to the GUI: BLAS threads that outnumber the free cores slow down many-fold.
    with threadpool_limits(limits=training_cpu_threads(), user_api="blas"):
        return dataset, prepare_maps(dataset)


def skipped_summary(dataset: Dataset, label: str) -> tuple[str, str]:
    """One message for every file a load skipped, and the list of them with their reasons."""
    n = len(dataset.skipped)
    text = (f"{n:,} file{'s' if n != 1 else ''} in {label} could not be read and "
            f"{'were' if n != 1 else 'was'} skipped; {dataset.n:,} items were loaded.")
    lines = [f"{name}: {reason}" for name, reason in dataset.skipped[:SKIPPED_LISTED]]
    if n > SKIPPED_LISTED:
        lines.append(f"… and {n - SKIPPED_LISTED:,} more.")
    return text, "\n".join(lines)


class DataStateMixin:
    """Loading datasets on the ``loader`` thread; LabState holds the signals used here."""

    dataset: Dataset | None
    loader: TaskRunner
    load_request: DataSource | None
    #: Where catalogue downloads are cached; None is the user cache folder (tests use a temp one).
    catalogue_cache_dir: str | None = None

    @property
    def loading(self) -> bool:
        return self.load_request is not None

    def load_dataset(self, request: DataSource) -> bool:
        """Start loading ``request`` in the background; False (with a message) if one is busy."""
        if self.load_request is not None:
            self.message.emit(f"Still loading {self.load_request.label}: cancel it first.")
            return False
        self.load_request = request
        self.loader.start(lambda report, cancel: run_request(request, report, cancel))
        self.loading_changed.emit()
        return True

    def cancel_load(self) -> None:
        if self.load_request is not None:
            self.loader.cancel()
            self.message.emit(f"Cancelling the load of {self.load_request.label}…")

    def _on_load_succeeded(self, result: tuple[Dataset, PreparedMaps]) -> None:
        request, self.load_request = self.load_request, None
        dataset, prepared = result
        self.set_dataset(dataset, prepared, request)
        self.loading_changed.emit()
        self.message.emit(f"Loaded {dataset.describe()}.")
        if dataset.skipped and request is not None:
            text, details = skipped_summary(dataset, request.label)
            self.notice.emit("Some files were skipped", text, details)
        self.load_ended.emit(LoadOutcome(request or DataSource(dataset.name), dataset))
        self._continue_lab(True)

    def _on_load_failed(self, exc: BaseException, details: str) -> None:
        request, self.load_request = self.load_request, None
        request = request or DataSource("")
        outcome = LoadOutcome(request, error=exc, details=details)
        kept = (f"{self.dataset.name} is still loaded." if self.dataset is not None
                else "Nothing was loaded.")
        self.loading_changed.emit()
        if outcome.cancelled:
            self.message.emit(f"Loading {request.label} was cancelled; {kept}")
        elif outcome.ambiguous is None and not outcome.offline:
            # Ambiguous keys and being offline are questions for the user, asked by observers.
            if isinstance(exc, DatasetError):
                self.error.emit(f"Could not load {request.label}", f"{exc}\n\n{kept}", "")
            else:  # a bug or a resource problem: the details stay folded away
                self.error.emit(f"Could not load {request.label}",
                                f"{type(exc).__name__}: {exc}\n\n{kept}", details)
        self.load_ended.emit(outcome)
        self._continue_lab(False)
