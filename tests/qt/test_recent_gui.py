"""Recent files, remembered folders and the recent (autosaved) models, in the window."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

import pytest
from PySide6.QtWidgets import QApplication

from latentlab.core.files.recent import RecentStore
from latentlab.core.files.userdirs import user_data_folder
from latentlab.qt import data_actions, file_actions
from latentlab.qt.recent_menu import RecentMenu

from .conftest import shown_window, train_to_end
from .test_files_gui import FAST, wait_loaded, write_npz

SHOTS = os.environ.get("LATENTLAB_SHOTS")  # a folder: the screenshots are saved there too


@pytest.fixture(autouse=True)
def own_user_folders(monkeypatch, tmp_path_factory) -> None:
    """Recent files and autosaves of these tests only."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data")))


def menu_texts(menu: RecentMenu) -> list[str]:
    menu.rebuild()
    return [a.text() for a in menu.menu.actions() if not a.isSeparator()]


def shot(widget, name: str, tmp_path: Path) -> Path:
    path = Path(SHOTS or tmp_path) / name
    assert widget.grab().save(str(path))
    return path


class Dialogs:
    """QFileDialog's static methods: record where each starts and answer ``answer``."""

    answer = ""
    starts: ClassVar[list[str]] = []

    @classmethod
    def getOpenFileName(cls, _parent, _title, start, *_args) -> tuple[str, str]:
        cls.starts.append(start)
        return cls.answer, ""

    @classmethod
    def getSaveFileName(cls, _parent, _title, start, *_args) -> tuple[str, str]:
        cls.starts.append(start)
        return cls.answer, ""


def test_recent_files_open_again_drop_the_missing_and_clear(qtbot, window, tmp_path) -> None:
    lab, recent = window.lab, window.workspace.recent_menu
    assert menu_texts(recent) == ["No recent files", "Clear recent files"]
    npz = write_npz(lab.data.dataset, tmp_path / "tiny.npz")
    wait_loaded(qtbot, lab, lambda: window.workspace.data_actions.load_path(npz))
    train_to_end(qtbot, window, train=FAST)
    lesson = lab.files.save_lab(tmp_path / "lesson.latentlab")
    assert lesson is not None
    assert [(f.kind, f.path) for f in window.workspace.recent.files] == [
        ("lab", lesson), ("model", tmp_path / "lesson.safetensors"), ("dataset", npz)]
    texts = menu_texts(recent)
    assert texts[0] == f"&1  lesson.latentlab — lab, in {tmp_path.name}"
    assert texts[-1] == "Clear recent files" and len(texts) == 4
    menu = recent.menu
    menu.popup(window.mapToGlobal(window.rect().center()))
    qtbot.waitExposed(menu)
    shot(menu, "open-recent-menu.png", tmp_path)
    menu.hide()

    # Another session (a restarted app) lists the same files.
    other = shown_window(qtbot)
    try:
        assert menu_texts(other.workspace.recent_menu) == texts
        # A file that has gone is dropped, with a message naming it.
        npz.unlink()
        messages: list[str] = []
        other.lab.notes.message.connect(messages.append)
        other.workspace.recent_menu.menu.actions()[2].trigger()
        assert any(str(npz) in m and "not there any more" in m for m in messages)
        assert len(menu_texts(other.workspace.recent_menu)) == 3
        # The lab opens again from the menu: its dataset moved, so the window asks where.
        other.workspace.recent_menu.menu.actions()[0].trigger()
        qtbot.waitUntil(lambda: other.lab.files.opening is None, timeout=10_000)
        assert any("tiny.npz" in m and "not there any more" in m for m in messages)
        other.workspace.recent_menu.menu.actions()[-1].trigger()  # Clear
        assert menu_texts(other.workspace.recent_menu) == ["No recent files",
                                                           "Clear recent files"]
        assert RecentStore().files() == []
    finally:
        for box in QApplication.topLevelWidgets():
            if box.objectName() == "datasetMissingBox":
                box.close()
        other.close()


def test_each_kind_of_file_dialog_starts_where_the_last_one_was_chosen(
        qtbot, window, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(file_actions, "QFileDialog", Dialogs)
    monkeypatch.setattr(data_actions, "QFileDialog", Dialogs)
    Dialogs.starts = []
    datasets, labs = tmp_path / "datasets", tmp_path / "labs"
    datasets.mkdir()
    labs.mkdir()
    npz = write_npz(window.lab.data.dataset, datasets / "tiny.npz")
    Dialogs.answer = str(npz)
    wait_loaded(qtbot, window.lab, window.workspace.data_actions.open_file)
    Dialogs.answer = ""  # cancelled: nothing changes
    window.workspace.file_actions.save_lab()
    window.workspace.data_actions.open_file()
    assert Dialogs.starts == [str(Path.home()), str(Path.home() / "lesson.latentlab"),
                              str(datasets)]
    # Remembered across sessions: a new window's dialogs start there too.
    other = shown_window(qtbot)
    try:
        Dialogs.starts = []
        other.workspace.data_actions.open_file()
        Dialogs.answer = str(labs / "lesson.latentlab")
        other.workspace.file_actions.save_lab()
        other.workspace.file_actions.save_lab()
        assert Dialogs.starts == [str(datasets), str(Path.home() / "lesson.latentlab"),
                                  str(labs / "lesson.latentlab")]
    finally:
        other.close()


def test_recent_models_lists_the_autosaves_and_opens_one(qtbot, window, tmp_path) -> None:
    lab = window.lab
    train_to_end(qtbot, window, train=FAST)
    autosaved = lab.model.path
    assert autosaved is not None and autosaved.parent == user_data_folder("models")
    lab.model.reset()
    dialog = window.workspace.recent_menu.show_models()
    qtbot.waitExposed(dialog)
    assert dialog.paths == [autosaved]
    row = [dialog.table.item(0, c).text() for c in range(dialog.table.columnCount())]
    assert row[1:] == ["autoencoder", "tiny digits", "2", ""]
    shot(dialog, "recent-models.png", tmp_path)
    dialog.open_button.click()
    qtbot.waitUntil(lambda: lab.model.path == autosaved and lab.files.opening is None,
                    timeout=10_000)
    assert not dialog.isVisible() and lab.model.epoch == 2


def test_latentlab_open_loads_a_dataset_into_the_window(qtbot, window, tmp_path) -> None:
    from latentlab.qt.app import open_file

    npz = write_npz(window.lab.data.dataset, tmp_path / "class.npz")
    wait_loaded(qtbot, window.lab, lambda: open_file(window, npz))
    assert window.lab.data.source.location == str(npz)
    assert window.lab.data.dataset.n == 300
