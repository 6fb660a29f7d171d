"""Few labels on the lab models, headless: settings, a sweep, its curves and predictions, the
maps coloured by them, labels picked by hand, a run on those, and a lab saved and reopened."""

from __future__ import annotations

import json

import numpy as np
import pytest

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data import Dataset
from latentlab.core.data.dataset import random_split
from latentlab.core.data.source import DataSource
from latentlab.core.semisup import ALL_LABELS, SemisupError, SweepSettings
from latentlab.lab.latent_lab import LatentLab
from latentlab.lab.semisup_values import MINE, SWEEP, Choice, parse_budgets

FAST_MODEL = ModelConfig(hidden=(32, 16))
ONE_EPOCH = TrainConfig(epochs=1, snapshot_interval_s=0.001)
METHODS = ("scratch", "linear", "knn", "propagation")
TINY = SweepSettings(budgets=(2, 5), methods=METHODS, repeats=1, per_class=True, seed=0)


class Said:
    def __init__(self, lab: LatentLab) -> None:
        self.messages: list[str] = []
        self.errors: list[tuple[str, str]] = []
        lab.notes.message.connect(self.messages.append)
        lab.notes.error.connect(lambda title, text, _d: self.errors.append((title, text)))


def trained_lab(dataset: Dataset) -> tuple[LatentLab, Said]:
    lab = LatentLab()
    said = Said(lab)
    lab.data.set_dataset(dataset)
    lab.model.start_training(FAST_MODEL, ONE_EPOCH)
    assert lab.model.finished_model() is not None
    return lab, said


@pytest.fixture(scope="module")
def swept(tiny_digits):
    """A trained lab that has run the tiny sweep."""
    lab, said = trained_lab(tiny_digits)
    assert lab.semisup.run(TINY), lab.semisup.status
    return lab, said


def test_nothing_runs_without_an_encoder(tiny_digits) -> None:
    lab = LatentLab()
    said = Said(lab)
    assert "Load a dataset" in lab.semisup.problem()
    lab.data.set_dataset(tiny_digits)
    assert "Train or open an autoencoder" in lab.semisup.problem()
    assert not lab.semisup.run(TINY)
    assert not lab.semisup.results and "autoencoder" in said.messages[-1]


def test_a_sweep_gives_curves_predictions_and_colours(swept, tiny_digits) -> None:
    lab, said = swept
    semisup = lab.semisup
    assert semisup.running is None and not said.errors
    result = semisup.results[SWEEP]
    k, n_test = len(tiny_digits.class_names), len(tiny_digits.test_indices)
    for method in METHODS:
        curve = result.curve(method)
        assert [n for n, _mean, _std in curve] == [2 * k, 5 * k]
        assert all(0.0 <= mean <= 1.0 and std == 0.0 for _n, mean, std in curve)
    # The result looked at: a method at the smallest number of labels.
    chosen = semisup.chosen
    assert chosen is not None and chosen.run == SWEEP and chosen.n_labels == 2 * k
    predicted = semisup.test_predictions()
    assert predicted.shape == (n_test,)
    matrix = semisup.confusion()
    assert matrix.shape == (k, k) and matrix.sum() == n_test
    truth = tiny_digits.labels[tiny_digits.test_indices]
    assert np.trace(matrix) == np.sum(predicted == truth)
    items, true, wrong = semisup.mistakes()
    assert len(items) == n_test - np.trace(matrix)
    assert np.all(tiny_digits.is_test[items]) and np.all(true != wrong)
    # Choosing another result changes what is shown.
    other = Choice(SWEEP, "knn", 5 * k)
    semisup.choose(other)
    assert semisup.chosen == other
    with pytest.raises(ValueError):
        semisup.choose(Choice(SWEEP, "knn", 7))


def test_maps_are_coloured_by_the_predictions(swept, tiny_digits) -> None:
    lab, _ = swept
    colouring, semisup = lab.colouring, lab.semisup
    semisup.choose(Choice(SWEEP, "linear", 20))
    colouring.set_colour_by("predicted")
    assert colouring.colour_by == "predicted" and colouring.palette == "predicted"
    classes, names = colouring.point_classes()
    test = tiny_digits.is_test[lab.data.map_indices]
    assert names[1:] == tiny_digits.class_names and len(classes) == len(test)
    assert np.all(classes[~test] == 0)  # train items are not predicted
    np.testing.assert_array_equal(classes[test] - 1, semisup.test_predictions())
    colouring.set_colour_by("correct")
    classes, names = colouring.point_classes()
    assert names == ("correct", "wrong", "train item (not predicted)")
    truth = tiny_digits.labels[lab.data.map_indices][test]
    np.testing.assert_array_equal(classes[test] == 0, semisup.test_predictions() == truth)
    colouring.set_colour_by("label")


def test_the_same_settings_give_the_same_results(swept, tiny_digits) -> None:
    lab, _ = swept
    again, _ = trained_lab(tiny_digits)
    assert again.semisup.run(TINY)
    first, second = lab.semisup.results[SWEEP].runs, again.semisup.results[SWEEP].runs
    assert [r.accuracy for r in first] == [r.accuracy for r in second]
    # A new model: the results were another pretraining's, and go (the colours with them).
    again.colouring.set_colour_by("correct")
    again.model.start_training(FAST_MODEL, ONE_EPOCH)
    assert not again.semisup.results and again.semisup.chosen is None
    assert again.colouring.colour_by == "label" and "new model" in again.semisup.status


@pytest.mark.parametrize(("settings", "setting"), [
    (SweepSettings(budgets=(3,), methods=METHODS, repeats=1), "Labels"),
    (SweepSettings(budgets=(10_000,), methods=METHODS, repeats=1), "Labels"),
    (SweepSettings(budgets=(100,), methods=METHODS, repeats=1, per_class=True),
     "Labels per class"),
])
def test_a_bad_setting_starts_nothing_and_says_which(swept, settings, setting) -> None:
    lab, said = swept
    before = lab.semisup.results[SWEEP]
    assert not lab.semisup.run(settings)
    assert lab.semisup.status.startswith(setting) and said.messages[-1] == lab.semisup.status
    assert lab.semisup.results[SWEEP] is before and lab.semisup.running is None
    lab.semisup.set_settings(TINY)


def test_budgets_are_read_from_text() -> None:
    assert parse_budgets("10, 100,1000 , all") == (10, 100, 1000, ALL_LABELS)
    with pytest.raises(SemisupError, match="Labels per class: “ten”"):
        parse_budgets("ten", per_class=True)
    with pytest.raises(SemisupError, match=r"^Labels:"):
        parse_budgets(" , ")


def test_a_dataset_without_labels_is_refused(tiny_digits) -> None:
    unlabelled = Dataset("no labels", tiny_digits.x, None, (), random_split(300, 0.2, seed=1))
    lab, said = trained_lab(unlabelled)
    assert not lab.semisup.run(TINY)
    assert said.messages[-1] == lab.semisup.status
    assert "Labels" in lab.semisup.status and "no labels" in lab.semisup.status


def test_labelling_by_hand_and_running_on_those_labels(tiny_digits) -> None:
    lab, said = trained_lab(tiny_digits)
    semisup, dataset = lab.semisup, tiny_digits
    assert not semisup.run_on_my_labels() and "Label some train items" in said.messages[-1]
    positions = np.arange(40)  # map positions: train and test items
    items = lab.data.map_indices[positions]
    lab.selection.select(positions)
    n_train = int(np.sum(~dataset.is_test[items]))
    assert semisup.label_selection() == n_train
    assert "test items" in said.messages[-1] and "left out" in said.messages[-1]
    np.testing.assert_array_equal(semisup.hand_items, np.sort(items[~dataset.is_test[items]]))
    np.testing.assert_array_equal(semisup.hand_labels, dataset.labels[semisup.hand_items])
    # The maps ring them: their map positions and labels.
    ringed, labels = semisup.labelled_points()
    np.testing.assert_array_equal(lab.data.map_indices[ringed], semisup.hand_items)
    np.testing.assert_array_equal(labels, semisup.hand_labels)
    # A class given by hand replaces the dataset's label; unlabelling removes items.
    lab.selection.select(positions[:5])
    semisup.label_selection(3)
    first = [i for i in items[:5] if not dataset.is_test[i]]
    assert np.all(semisup.hand_labels[np.isin(semisup.hand_items, first)] == 3)
    assert len(semisup.hand_items) == n_train
    semisup.unlabel_selection()
    assert len(semisup.hand_items) == n_train - len(first)
    # Make sure every class has a label, then run on exactly these.
    for c in range(len(dataset.class_names)):
        train_of_c = np.flatnonzero((dataset.labels == c) & ~dataset.is_test)[:1]
        lab.selection.select(np.searchsorted(lab.data.map_indices, train_of_c))
        semisup.label_selection(c)
    assert semisup.run_on_my_labels(), semisup.status
    mine = semisup.results[MINE]
    n = len(semisup.hand_items)
    assert {r.n_labels for r in mine.runs} == {n}
    assert semisup.chosen.run == MINE and semisup.chosen.n_labels == n
    assert semisup.test_predictions().shape == (len(dataset.test_indices),)
    semisup.clear_labels()
    assert not len(semisup.hand_items) and not len(semisup.labelled_points()[0])


def test_a_lab_keeps_settings_labels_and_results(tmp_path, tiny_digits) -> None:
    path = tmp_path / "tiny.npz"
    train, test = ~tiny_digits.is_test, tiny_digits.is_test
    np.savez(path, x_train=tiny_digits.x[train, 0], y_train=tiny_digits.labels[train],
             x_test=tiny_digits.x[test, 0], y_test=tiny_digits.labels[test])
    lab = LatentLab()
    said = Said(lab)
    assert lab.data.load(DataSource.parse(str(path)))
    lab.model.start_training(FAST_MODEL, ONE_EPOCH)
    assert lab.semisup.run(TINY), lab.semisup.status
    lab.selection.select(np.arange(12))
    lab.semisup.label_selection()
    lab.semisup.choose(Choice(SWEEP, "knn", 50))
    lab.colouring.set_colour_by("predicted")
    saved = lab.files.save_lab(tmp_path / "few.latentlab")
    assert saved is not None and not said.errors

    reopened = LatentLab()
    again = Said(reopened)
    assert reopened.files.open_lab(saved)
    semisup = reopened.semisup
    assert semisup.settings == TINY
    np.testing.assert_array_equal(semisup.hand_items, lab.semisup.hand_items)
    np.testing.assert_array_equal(semisup.hand_labels, lab.semisup.hand_labels)
    assert semisup.chosen == Choice(SWEEP, "knn", 50)
    for method in METHODS:
        assert semisup.results[SWEEP].curve(method) == lab.semisup.results[SWEEP].curve(method)
    np.testing.assert_array_equal(semisup.test_predictions(), lab.semisup.test_predictions())
    assert reopened.colouring.colour_by == "predicted" and not again.errors

    # A damaged entry is ignored with a message; the rest of the lab opens.
    d = json.loads(saved.read_text())
    d["maps"]["semisup"]["labels"]["items"][0] = 10**6
    d["maps"]["semisup"]["results"]["sweep"] = {"runs": "nonsense"}
    broken = tmp_path / "broken.latentlab"
    broken.write_text(json.dumps(d))
    third = LatentLab()
    told = Said(third)
    assert third.files.open_lab(broken)
    assert third.model.trained_model is not None and not told.errors
    assert not third.semisup.results and not len(third.semisup.hand_items)
    note = next(m for m in told.messages if "few-labels" in m)
    assert "hand-picked labels" in note and "results" in note
    assert third.colouring.colour_by == "label"
