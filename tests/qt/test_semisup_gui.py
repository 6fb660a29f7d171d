"""Few labels in the window: the panel runs the sweep in the background, the results show the
curves, the confusion matrix and the mistakes, the maps colour by the predictions, labels
picked by hand are ringed and run on, and a cancelled run leaves no thread behind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from latentlab.core.data import Dataset
from latentlab.core.data.dataset import random_split
from latentlab.core.semisup import METHODS
from latentlab.lab.map_state import LATENT, PIXELS
from latentlab.lab.semisup_values import MINE, SWEEP
from latentlab.qt.widgets.palette import CLASS_COLOURS, NOT_PREDICTED

from .conftest import train_to_end

SHOTS = Path("/tmp/semisup")


@pytest.fixture
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def fill_form(panel, budgets: str = "2, 5", per_class: bool = True, repeats: int = 1,
              methods: tuple[str, ...] = tuple(METHODS)) -> None:
    panel.budgets.setText(budgets)
    panel.budgets.editingFinished.emit()
    panel.per_class.setChecked(per_class)
    panel.repeats.setValue(repeats)
    for key, box in panel.methods.items():
        box.setChecked(key in methods)


def run_to_end(qtbot, lab, start) -> None:
    with qtbot.waitSignal(lab.semisup.running_changed, timeout=60_000,
                          check_params_cb=lambda: lab.semisup.running is None):
        start()


def test_a_run_shows_curves_confusion_mistakes_and_colours(qtbot, window, shots) -> None:
    lab, ws = window.lab, window.workspace
    panel, results = ws.semisup_panel, ws.semisup_results
    ws.semisup_action.trigger()
    assert ws.semisup_dock.isVisible() and not ws.semisup_results_dock.isVisible()
    # No model: Run is disabled and says why.
    assert not panel.run_button.isEnabled() and "Train or open" in panel.reason.text()
    assert not ws.colour_by.model().item(ws.colour_by.findData("predicted")).isEnabled()
    train_to_end(qtbot, window)
    assert panel.run_button.isEnabled() and panel.reason.isHidden()
    fill_form(panel)
    run_to_end(qtbot, lab, panel.run_button.click)
    assert lab.semisup.results[SWEEP] and "Done" in panel.status.text()
    assert ws.semisup_results_dock.isVisible()
    dataset = lab.data.dataset
    k, n_test = len(dataset.class_names), len(dataset.test_indices)
    # One curve per method, at 2 and 5 labels per class, with error bars; PCA references.
    assert set(results.curves) == set(METHODS) == set(results.error_bars)
    for curve in results.curves.values():
        np.testing.assert_array_equal(curve.xData, [2 * k, 5 * k])
    assert set(results.references) == {"linear", "knn", "propagation"}
    assert "PCA" in results.key.text()
    # The confusion matrix and the mistakes of the result looked at.
    chosen = lab.semisup.chosen
    assert chosen.method == "finetune" and chosen.n_labels == 2 * k
    table = results.confusion
    assert table.rowCount() == table.columnCount() == k
    counts = [int(table.item(i, j).text() or 0) for i in range(k) for j in range(k)]
    assert sum(counts) == n_test
    wrong = len(lab.semisup.mistakes()[0])
    assert results.mistakes.count() == wrong and f"{wrong:,} of {n_test:,}" in (
        results.mistakes_title.text())
    assert "→" in results.mistakes.item(0).text()
    # Choosing another method and number of labels.
    results.method.setCurrentIndex(results.method.findData("knn"))
    results.method.activated.emit(results.method.currentIndex())
    results.n_labels.setCurrentIndex(1)
    results.n_labels.activated.emit(1)
    assert (lab.semisup.chosen.method, lab.semisup.chosen.n_labels) == ("knn", 5 * k)
    # The maps coloured by the predictions: train items grey, test items their class.
    combo = ws.colour_by
    assert combo.model().item(combo.findData("predicted")).isEnabled()
    combo.setCurrentIndex(combo.findData("predicted"))
    assert lab.colouring.colour_by == "predicted"
    colours = ws.maps[PIXELS].scatter.point_colours()
    n_train = int(np.sum(~dataset.is_test[lab.data.map_indices]))
    # The train items are painted first, beneath the predicted test items.
    assert set(colours[:n_train]) == {NOT_PREDICTED} and NOT_PREDICTED not in colours[n_train:]
    expected = np.array(CLASS_COLOURS)[lab.semisup.test_predictions() % len(CLASS_COLOURS)]
    assert colours[n_train:] == expected.tolist()
    combo.setCurrentIndex(combo.findData("correct"))
    assert set(ws.maps[LATENT].scatter.point_colours()) <= {"#2ca02c", "#d62728", NOT_PREDICTED}
    qtbot.wait(300)
    window.grab().save(str(shots / "few_labels_window.png"))
    # A mistake double-clicked is selected on the maps.
    entry = results.mistakes.item(0)
    results.mistakes.itemDoubleClicked.emit(entry)
    item = entry.data(Qt.ItemDataRole.UserRole)
    assert lab.data.map_indices[lab.selection.items].tolist() == [item]


def test_a_setting_that_cannot_work_starts_nothing(qtbot, window) -> None:
    lab, panel = window.lab, window.workspace.semisup_panel
    train_to_end(qtbot, window)
    for budgets, per_class, methods, said in [
            ("3", False, ("linear",), "Labels: 3 is below the number of classes"),
            ("ten", True, ("linear",), "Labels per class: “ten”"),
            ("100", True, ("linear",), "Labels per class: 100 is above"),
            ("2", True, (), "Methods:")]:
        fill_form(panel, budgets, per_class, methods=methods)
        with qtbot.waitSignal(lab.notes.message) as message:
            assert not panel.run()
        assert message.args[0].startswith(said) and panel.status.text().startswith(said)
        assert lab.semisup.running is None and not lab.semisup.results


def test_labels_by_hand_are_ringed_and_run_on(qtbot, window, shots) -> None:
    lab, ws = window.lab, window.workspace
    panel, results = ws.semisup_panel, ws.semisup_results
    train_to_end(qtbot, window)
    assert not panel.label_own.isEnabled() and not panel.run_mine.isEnabled()
    dataset = lab.data.dataset
    # Two train items of every class, and a test item (which is left out, and said so).
    positions = [int(p) for c in range(len(dataset.class_names))
                 for p in np.flatnonzero((dataset.labels[lab.data.map_indices] == c)
                                         & ~dataset.is_test[lab.data.map_indices])[:2]]
    test_item = int(np.flatnonzero(dataset.is_test[lab.data.map_indices])[0])
    lab.selection.select(np.array([*positions, test_item]))
    with qtbot.waitSignal(lab.notes.message) as message:
        panel.label_own.click()
    assert "1 test item was left out" in message.args[0]
    assert "20 items labelled" in panel.labels_status.text()
    for view in ws.maps.values():
        if view.coords is not None and len(view.coords):
            assert len(view.labelled.data) == 20
    # A class by hand: the ring takes its colour.
    lab.selection.select(np.array(positions[:1]))
    panel.label_class.setCurrentIndex(3)
    panel.label_as.click()
    first = ws.maps[PIXELS].labelled
    pens = {p.color().name() for p in first.data["pen"]}
    assert CLASS_COLOURS[3] in pens
    fill_form(panel, methods=("linear", "knn"))
    run_to_end(qtbot, lab, panel.run_mine.click)
    assert lab.semisup.chosen.run == MINE and lab.semisup.chosen.n_labels == 20
    assert set(results.stars) == {"linear", "knn"}
    assert "your&nbsp;20&nbsp;labels" in results.key.text()
    assert "(yours)" in results.n_labels.currentText()
    lab.selection.clear()
    qtbot.wait(300)
    window.grab().save(str(shots / "few_labels_by_hand.png"))
    panel.clear.click()
    assert len(ws.maps[PIXELS].labelled.data) == 0


def test_cancel_and_escape_stop_the_run(qtbot, window) -> None:
    lab, panel = window.lab, window.workspace.semisup_panel
    train_to_end(qtbot, window)
    fill_form(panel, "2, 5, 10", repeats=5)
    for stop in (panel.cancel_button.click,
                 lambda: QTest.keyClick(window, Qt.Key.Key_Escape)):
        with qtbot.waitSignal(lab.semisup.running_changed, timeout=60_000,
                              check_params_cb=lambda: lab.semisup.running is None):
            assert panel.run()
            assert panel.cancel_button.isEnabled() and not panel.bar.isHidden()
            stop()
        assert "Cancelled" in panel.status.text() and not lab.semisup.results
        assert panel.run_button.isEnabled()


def test_another_dataset_drops_results_labels_and_their_colours(qtbot, window, digits) -> None:
    lab, ws = window.lab, window.workspace
    train_to_end(qtbot, window)
    fill_form(ws.semisup_panel, methods=("linear",))
    run_to_end(qtbot, lab, ws.semisup_panel.run_button.click)
    lab.selection.select(np.arange(10))
    lab.semisup.label_selection()
    ws.colour_by.setCurrentIndex(ws.colour_by.findData("predicted"))
    other = Dataset("other digits", digits.x[:200], digits.labels[:200], digits.class_names,
                    random_split(200, 0.25, seed=3))
    lab.data.set_dataset(other)
    assert lab.colouring.colour_by == "label"
    assert not lab.semisup.results and not len(lab.semisup.hand_items)
    qtbot.waitUntil(lambda: len(ws.maps[PIXELS].scatter) == 200)
    assert len(ws.maps[PIXELS].labelled.data) == 0
    assert not ws.colour_by.model().item(ws.colour_by.findData("predicted")).isEnabled()
    assert not ws.semisup_panel.run_button.isEnabled()  # no model for these data yet
