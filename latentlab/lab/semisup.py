"""Few labels: the same few labels with and without unsupervised pretraining.

The model is pretrained without labels (an autoencoder on every image); the sweep then trains
classifiers on a few labelled train items — from scratch, or on the pretrained encoder's codes
(linear, k-NN, fine-tuned, label propagation) — and scores each on the test split, for several
numbers of labels. The items to label can also be picked by hand on the maps: "run on my
labels" trains the methods on exactly those.

This model keeps the settings, the hand-picked labels, the results of both kinds of run and
which result is looked at; the sweep runs as a job on its own runner (headless: inline).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from psygnal import Signal

from latentlab.core.data.source import LoadProgress
from latentlab.core.semisup import (
    METHODS,
    LabelBudget,
    SemisupError,
    SweepCancelled,
    SweepResult,
    SweepSettings,
    pick_labelled,
    run_sweep,
)
from latentlab.core.training.device import training_cpu_threads
from latentlab.lab.data_session import DataSession
from latentlab.lab.jobs import JobCallbacks, JobControl, Runner
from latentlab.lab.metrics_table import model_name
from latentlab.lab.model_session import ModelSession
from latentlab.lab.notifications import Notifications
from latentlab.lab.selection import Selection
from latentlab.lab.semisup_file import entry_to_json, read_entry
from latentlab.lab.semisup_values import (
    MINE,
    RUN_KINDS,
    SWEEP,
    Choice,
    choices_in,
    first_choice,
    runs_of,
)

NO_RESULTS = "Choose the label budgets and methods, then Run."


def _no_items() -> np.ndarray:
    return np.zeros(0, np.int64)


class Semisup:
    settings_changed = Signal()
    labels_changed = Signal()  # the hand-picked items or their labels
    running_changed = Signal()  # a run started or ended (and the status line with it)
    progress = Signal(object)  # LoadProgress of the run going on
    results_changed = Signal()  # results, or which of them is looked at

    def __init__(self, data: DataSession, model: ModelSession, selection: Selection,
                 runner: Runner, notes: Notifications) -> None:
        self._data, self._model, self._selection = data, model, selection
        self._runner, self._notes = runner, notes
        self.settings = SweepSettings()
        #: Train items labelled by hand (dataset indices, sorted) and their classes.
        self.hand_items = _no_items()
        self.hand_labels = _no_items()
        #: SWEEP: random label budgets; MINE: the hand-picked labels.
        self.results: dict[str, SweepResult] = {}
        #: What the results were computed with (the pretrained model's name).
        self.results_model = ""
        self.chosen: Choice | None = None
        self.running: str | None = None  # the kind of run going on
        self.status = NO_RESULTS
        # Before the new dataset is in place: whatever shows the old one still sees it whole.
        data.changing.connect(self._on_dataset_changing)
        model.changed.connect(self._on_model_changed)

    # -------------------------------------------------------------- running
    def problem(self) -> str | None:
        """Why no run can start now, or None."""
        model = self._model.finished_model()
        if self._data.dataset is None:
            return "Load a dataset first."
        if self._model.training:
            return "Wait for training to end: the methods use the finished encoder."
        if model is None:
            return "Train or open an autoencoder first: its encoder is the pretraining."
        if not model.has_encoder:
            return "A GAN has no encoder to pretrain with: train or open an autoencoder."
        return None

    def set_settings(self, settings: SweepSettings) -> None:
        if settings != self.settings:
            self.settings = settings
            self.settings_changed.emit()

    def run(self, settings: SweepSettings | None = None) -> bool:
        """Sweep the label budgets in the background; a setting that cannot work is refused
        with the reason (nothing starts)."""
        if settings is not None:
            self.set_settings(settings)
        return self._start(SWEEP, None)

    def run_on_my_labels(self) -> bool:
        """Train the chosen methods on exactly the items labelled by hand."""
        if not len(self.hand_items):
            self._refuse("Label some train items first: select them on a map, then “Label "
                         "selection”.")
            return False
        budget = LabelBudget(size=len(self.hand_items), per_class=False,
                             seed=self.settings.seed, items=tuple(map(int, self.hand_items)),
                             item_labels=tuple(map(int, self.hand_labels)))
        return self._start(MINE, budget)

    def cancel(self) -> None:
        if self.running is not None:
            self._runner.cancel()
            self._set_status("Cancelling…")

    def cancel_and_wait(self) -> None:
        """Give the run up and wait for it (a new dataset or model, or closing). Always waits:
        a run that has answered may still be ending its thread."""
        self._runner.cancel_and_wait()
        if self.running is not None:
            self.running = None
            self._set_status("Cancelled: the dataset or the model changed.")

    shutdown = cancel_and_wait

    def _refuse(self, text: str) -> None:
        self._set_status(text)
        self._notes.say(text)

    def _start(self, kind: str, budget: LabelBudget | None) -> bool:
        problem = self.problem()
        if problem is None and self.running is not None:
            problem = "A run is going on: wait for it or cancel it."
        if problem is not None:
            self._refuse(problem)
            return False
        dataset, settings = self._data.dataset, self.settings
        model = self._model.finished_model()
        assert dataset is not None and model is not None
        try:  # the budgets, or the hand-picked items instead
            settings.validate(dataset, budgets=budget is None)
            if budget is not None:
                pick_labelled(dataset, budget)
        except SemisupError as exc:
            self._refuse(str(exc))
            return False
        name = model_name(model, self._model.epoch)
        # The run has its own copy: fine-tuning never touches the model the maps show.
        encoder = copy.deepcopy(model)

        def job(control: JobControl) -> SweepResult:
            def progress(done: float, total: float, text: str) -> None:
                control.report(LoadProgress(done, total, text))

            return run_sweep(encoder, dataset, settings, progress=progress,
                             cancel=control.cancel_event, budget=budget)

        self.running = kind
        what = (f"{len(self.hand_items):,} hand-picked labels" if kind == MINE
                else "the label budgets")
        self.status = f"Training the methods on {what}…"
        self.running_changed.emit()
        self._runner.start(job, JobCallbacks(
            yielded=self.progress.emit,
            returned=lambda result: self._on_result(kind, name, result),
            errored=self._on_failed, finished=self._on_finished),
            cpu_threads=training_cpu_threads())
        return True

    def _on_result(self, kind: str, name: str, result: SweepResult) -> None:
        results = dict(self.results)
        if name != self.results_model:  # another model's results are no comparison
            results = {}
        results[kind] = result
        self.results, self.results_model = results, name
        runs = result.runs
        best = max(runs, key=lambda r: r.accuracy) if runs else None
        took = f"{result.seconds:.1f}" if result.seconds < 10 else f"{result.seconds:.0f}"
        text = f"Done in {took} s: {len(runs):,} runs with {name}."
        if best is not None:
            text += (f" Best: {best.accuracy:.1%} ({self.method_title(best.method)}, "
                     f"{best.n_labels:,} labels).")
        self.status = text
        self.chosen = first_choice(choices_in(runs, kind), self.chosen)
        self.results_changed.emit()

    def _on_failed(self, exc: BaseException, details: str) -> None:
        if isinstance(exc, SweepCancelled):
            self.status = "Cancelled." + (" The results shown are the earlier ones."
                                          if self.results else "")
        elif isinstance(exc, SemisupError):
            self.status = str(exc)
            self._notes.say(str(exc))
        else:
            self.status = f"The run failed: {type(exc).__name__}: {exc}"
            self._notes.report_error("Could not train the few-label classifiers",
                                     f"{type(exc).__name__}: {exc}", details)

    def _on_finished(self) -> None:
        self.running = None
        self.running_changed.emit()

    def _set_status(self, text: str) -> None:
        self.status = text
        self.running_changed.emit()

    # ------------------------------------------------------------- results
    @staticmethod
    def method_title(method: str) -> str:
        return METHODS.get(method, method)

    def choices(self) -> list[Choice]:
        """Every result that can be looked at: the sweep's, then those on the hand labels."""
        return [c for kind in RUN_KINDS if kind in self.results
                for c in choices_in(self.results[kind].runs, kind)]

    def choose(self, choice: Choice) -> None:
        if choice not in self.choices():
            raise ValueError(f"No result for {choice}.")
        if choice != self.chosen:
            self.chosen = choice
            self.results_changed.emit()

    def chosen_runs(self) -> list[Any]:
        """The chosen result's repeats (MethodResult), by seed."""
        choice = self.chosen
        if choice is None or choice.run not in self.results:
            return []
        return runs_of(self.results[choice.run].runs, choice.method, choice.n_labels)

    def test_predictions(self) -> np.ndarray | None:
        """The chosen result's class for each test item (its first repeat), or None."""
        runs = self.chosen_runs()
        return np.asarray(runs[0].predictions, np.int64) if runs else None

    def confusion(self) -> np.ndarray | None:
        """K×K counts of (true, predicted) over the test items, of the chosen result's first
        repeat (like the mistakes and the maps' colours)."""
        dataset, runs, choice = self._data.dataset, self.chosen_runs(), self.chosen
        if dataset is None or not runs or choice is None:
            return None
        return self.results[choice.run].confusion(choice.method, runs[0].budget, dataset)

    def mistakes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Test items the chosen result (first repeat) gets wrong: dataset indices, true and
        predicted classes."""
        dataset, predicted = self._data.dataset, self.test_predictions()
        if dataset is None or predicted is None or dataset.labels is None:
            return _no_items(), _no_items(), _no_items()
        test = dataset.test_indices
        wrong = predicted != dataset.labels[test]
        return test[wrong], dataset.labels[test][wrong], predicted[wrong]

    def map_predictions(self) -> np.ndarray | None:
        """Per map point, the chosen result's predicted class; −1 for items not predicted
        (train items). None without results."""
        dataset, predicted = self._data.dataset, self.test_predictions()
        if dataset is None or predicted is None or len(predicted) != len(dataset.test_indices):
            return None
        per_item = np.full(dataset.n, -1, np.int64)
        per_item[dataset.test_indices] = predicted
        return per_item[self._data.map_indices]

    # ---------------------------------------------------------- hand labels
    def label_selection(self, label: int | None = None) -> int:
        """Label the selected train items as class ``label``, or with the dataset's own labels
        (None). Test items are left out, and said so: they score the methods. Returns how many
        items were labelled."""
        dataset, positions = self._data.dataset, self._selection.items
        if dataset is None or not len(positions):
            self._notes.say("Select items on a map first (box B or lasso L), then label them.")
            return 0
        if label is None and dataset.labels is None:
            self._notes.say(f"{dataset.name} has no labels of its own: choose a class.")
            return 0
        if label is not None and not 0 <= label < len(dataset.class_names):
            self._notes.say(f"Label: {dataset.name} has no class {label}.")
            return 0
        items = self._data.map_indices[positions]
        train = items[~dataset.is_test[items]]
        left_out = len(items) - len(train)
        if len(train):
            given = (dataset.labels[train] if label is None  # type: ignore[index]
                     else np.full(len(train), label, np.int64))
            keep = ~np.isin(self.hand_items, train)  # a new label replaces an earlier one
            self._set_labels(np.concatenate([self.hand_items[keep], train]),
                             np.concatenate([self.hand_labels[keep], given]))
        how = ("with the dataset's labels" if label is None
               else f"as “{dataset.class_names[label]}”")
        text = f"Labelled {len(train):,} train item{'s' if len(train) != 1 else ''} {how}"
        text += f"; {len(self.hand_items):,} labelled in all."
        if left_out:
            text += (f" {left_out:,} test item{'s were' if left_out != 1 else ' was'} left out: "
                     "test items score the methods, only train items can be labels.")
        self._notes.say(text)
        return len(train)

    def unlabel_selection(self) -> None:
        positions = self._selection.items
        if len(positions) and len(self.hand_items):
            keep = ~np.isin(self.hand_items, self._data.map_indices[positions])
            self._set_labels(self.hand_items[keep], self.hand_labels[keep])

    def clear_labels(self) -> None:
        self._set_labels(_no_items(), _no_items())

    def labelled_points(self) -> tuple[np.ndarray, np.ndarray]:
        """The hand-labelled items that are on the maps: map positions and their classes."""
        map_indices = self._data.map_indices
        if not len(self.hand_items) or not len(map_indices):
            return _no_items(), _no_items()
        positions = np.searchsorted(map_indices, self.hand_items)
        positions = np.minimum(positions, len(map_indices) - 1)
        on_map = map_indices[positions] == self.hand_items
        return positions[on_map], self.hand_labels[on_map]

    def _set_labels(self, items: np.ndarray, labels: np.ndarray) -> None:
        order = np.argsort(items, kind="stable")
        items, labels = np.asarray(items, np.int64)[order], np.asarray(labels, np.int64)[order]
        if np.array_equal(items, self.hand_items) and np.array_equal(labels, self.hand_labels):
            return
        self.hand_items, self.hand_labels = items, labels
        self.labels_changed.emit()

    # ------------------------------------------------------------ lab files
    def to_json(self) -> dict[str, Any]:
        """The settings, the hand-picked labels and the results, for a lab file."""
        return entry_to_json(self.settings, self.hand_items, self.hand_labels, self.results,
                             self.results_model, self.chosen)

    def restore(self, d: Any) -> None:
        """What a lab file kept; a part that does not fit is ignored, and said so."""
        dataset = self._data.dataset
        if d is None or dataset is None:
            return
        entry = read_entry(d, dataset)
        if entry.settings is not None:
            self.set_settings(entry.settings)
        if entry.labels is not None:
            self._set_labels(*entry.labels)
        if entry.results:
            self.results, self.chosen = entry.results, entry.chosen
            self.results_model = entry.results_model
            self.status = f"Results of {self.results_model or 'a pretrained model'}, from the lab."
            self.results_changed.emit()
            self.running_changed.emit()
        if entry.ignored:
            self._notes.say("The lab's few-labels entry: ignored " + "; ".join(entry.ignored)
                            + ".")

    # -------------------------------------------------------------- changes
    def _drop_results(self, status: str) -> None:
        had = bool(self.results)
        self.results, self.chosen, self.results_model = {}, None, ""
        self.status = status
        if had:
            self.results_changed.emit()
        self.running_changed.emit()

    def _on_dataset_changing(self) -> None:
        self.cancel_and_wait()
        self.clear_labels()
        self._drop_results(NO_RESULTS)

    def _on_model_changed(self) -> None:
        self.cancel_and_wait()
        if self.results:
            self._drop_results("A new model: run again to compare with its pretraining.")
        else:
            self.running_changed.emit()  # whether a run can start has changed
