"""Lessons in the window: the panel follows the lesson, a lesson authored from the view is
saved, moved and opened again with the same steps, the Start card opens the lecture."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from latentlab.core.data import load_builtin
from latentlab.core.data.source import DataSource
from latentlab.core.files.lessonfile import LESSON_SUFFIX, load_lesson
from latentlab.lab.lessons import READY, builtin_lessons

from .conftest import FAST_MODEL, shown_window, train_to_end
from .test_window_fits import PROJECTOR, fits


def _digits_window(qtbot):
    win = shown_window(qtbot, 1280)
    win.lab.data.set_dataset(load_builtin("digits"), source=DataSource.parse("digits"))
    return win


def test_a_lesson_authored_in_the_app_is_saved_moved_and_opened(qtbot, tmp_path: Path,
                                                                 monkeypatch) -> None:
    win = _digits_window(qtbot)
    actions, panel = win.lesson_actions, win.lesson_actions.panel
    lessons = actions.lessons
    monkeypatch.setattr("latentlab.qt.lesson_actions.QInputDialog.getText",
                        lambda *a, **k: ("Autoencoders", True))
    actions.new_action.trigger()
    assert actions.dock.isVisible() and panel.lesson_title.text() == "Autoencoders"
    monkeypatch.setattr("latentlab.qt.lesson_actions.QInputDialog.getText",
                        lambda *a, **k: ("Autoencoders, in class", True))
    actions.rename_action.trigger()
    assert lessons.lesson.title == panel.lesson_title.text() == "Autoencoders, in class"
    actions.add_action.trigger()  # the digits, no model: a set-up only step
    # Train a model, then capture a step that opens it.
    form = win.workspace.training_panel
    form.epochs.setValue(1)
    form.hidden.setText("16")
    train_to_end(qtbot, win, FAST_MODEL)
    actions.add_action.trigger()
    assert [s.title for s in lessons.lesson.steps] == ["Step 1", "Step 2"]
    assert lessons.lesson.steps[1].start.action == "open"
    # Edit in place: the title, the text, the controls presentation shows; then reorder.
    panel.editor.setChecked(True)
    panel.title_edit.setText("The trained autoencoder")
    panel.title_edit.editingFinished.emit()
    panel.text_edit.setPlainText("Its **codes**.")
    loss = next(panel.controls.item(r) for r in range(panel.controls.count())
                if panel.controls.item(r).data(Qt.ItemDataRole.UserRole) == "loss")
    loss.setCheckState(Qt.CheckState.Unchecked)
    panel.up_button.click()
    steps = lessons.lesson.steps
    assert [s.title for s in steps] == ["The trained autoencoder", "Step 1"]
    assert steps[0].text == "Its **codes**." and "loss" not in steps[0].controls
    assert "codes" in panel.text.toPlainText() and "**" not in panel.text.toPlainText()
    # Save (the model, an autosave elsewhere, is copied beside), move, open again.
    folder = tmp_path / "class"
    folder.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(folder / "mine"), ""))
    actions.save_action.trigger()
    assert (folder / f"mine{LESSON_SUFFIX}").is_file() and not lessons.modified
    moved = tmp_path / "moved"
    shutil.move(folder, moved)
    again = load_lesson(moved / f"mine{LESSON_SUFFIX}")
    assert [(s.title, s.text, s.controls, s.start.action) for s in again.steps] == [
        (s.title, s.text, s.controls, s.start.action) for s in steps]
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *a, **k: (str(moved / f"mine{LESSON_SUFFIX}"), ""))
    actions.open_action.trigger()
    qtbot.waitUntil(lambda: lessons.status == READY, timeout=20_000)
    assert win.lab.model.path is not None and win.lab.model.path.is_relative_to(moved)
    assert panel.step_title.text().startswith("Step 1 of 2")
    panel.next_button.click()  # the second step sets up the digits without a model
    qtbot.waitUntil(lambda: lessons.status == READY, timeout=20_000)
    assert win.lab.model.trained_model is None and not panel.next_button.isEnabled()
    assert fits(win), win.minimumSizeHint()
    win.close()


def test_the_start_card_opens_the_lecture(qtbot) -> None:
    win = _digits_window(qtbot)
    win.start_card.show()
    assert win.start_card.isVisible()
    qtbot.mouseClick(win.start_card.buttons["lecture"], Qt.MouseButton.LeftButton)
    lessons = win.lesson_actions.lessons
    assert not win.start_card.isVisible()
    assert lessons.path == builtin_lessons()[0] and lessons.index == 0
    qtbot.waitUntil(lambda: lessons.status == READY, timeout=30_000)
    assert win.lab.data.source == DataSource.parse("mnist-5k")
    assert win.minimumSizeHint().width() <= PROJECTOR.width()
    win.close()


def test_a_bad_lesson_is_refused_naming_it(qtbot, tmp_path: Path) -> None:
    win = _digits_window(qtbot)
    bad = tmp_path / f"bad{LESSON_SUFFIX}"
    bad.write_text('{"kind": "latentlab lesson", "version": 1, "title": "x", "steps": '
                   '[{"title": "s", "start": {"action": "train"}}]}', encoding="utf-8")
    errors = []
    win.lesson_actions.notes.error.connect(lambda title, message, *_: errors.append(message))
    assert not win.lesson_actions.open_path(bad)
    assert str(bad) in errors[0] and "step 1" in errors[0] and "epochs" in errors[0]
    assert win.lesson_actions.lessons.lesson is None and not win.lesson_actions.dock.isVisible()
    win.close()


def test_the_start_card_trains_a_vae_now(qtbot) -> None:
    win = _digits_window(qtbot)
    win.start_card.show()
    lab = win.lab
    with qtbot.waitSignal(lab.model.started, timeout=20_000):
        qtbot.mouseClick(win.start_card.buttons["vae"], Qt.MouseButton.LeftButton)
    assert not win.start_card.isVisible() and lab.model.model_cfg.family == "vae"
    assert win.workspace.training_panel.family.currentData() == "vae"
    lab.model.stop_and_wait()
    win.close()


def test_a_gan_dynamics_step_presents_its_planes_alone(qtbot) -> None:
    win = _digits_window(qtbot)
    gan = next(w for w in win.workspaces if w.lesson_name == "gan dynamics")
    win.show_workspace(gan)
    settings = gan.shown_controls.others[0]
    assert settings.isVisible()
    gan.show_controls(())  # a step of this workspace with a list of controls
    assert not settings.isVisible()
    gan.show_controls(None)
    assert settings.isVisible()
    win.close()
