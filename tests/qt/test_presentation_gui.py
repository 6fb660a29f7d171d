"""Presentation mode in the window: F5 and Esc, one zoom for fonts, markers and ticks, high
contrast, a lesson's controls, clicker keys with the focus in a map, and the banner in place of
dialogs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QMessageBox

from latentlab.lab.lesson_targets import LatentStepTarget
from latentlab.lab.lessons import READY, Lessons
from latentlab.lab.map_state import LATENT, PIXELS
from latentlab.lab.notifications import Notifications
from latentlab.qt.look import HC_BACKGROUND


def test_f5_enters_full_screen_and_esc_leaves_with_everything_back(qtbot, window) -> None:
    workspace = window.workspace
    docks = {dock: dock.isHidden() for dock in workspace.docks}
    geometry = window.geometry()
    focus = workspace.maps[LATENT].plot
    focus.setFocus()
    qtbot.keyClick(focus, Qt.Key.Key_F5)
    presentation = window.presentation
    assert presentation.presenting and window.isFullScreen()
    assert window.menuBar().isHidden() and window.statusBar().isHidden()
    presentation.model.set_controls(("map:latent", "loss"))
    assert workspace.dataset_dock.isHidden() and workspace.training_dock.isHidden()
    # Esc leaves, and does not clear the selection meanwhile.
    window.lab.selection.select([1, 2, 3])
    qtbot.keyClick(focus, Qt.Key.Key_Escape)
    assert not presentation.presenting and not window.isFullScreen()
    assert list(window.lab.selection.items) == [1, 2, 3]
    assert {dock: dock.isHidden() for dock in workspace.docks} == docks
    assert not window.menuBar().isHidden() and not window.statusBar().isHidden()
    qtbot.waitUntil(lambda: window.geometry().size() == geometry.size(), timeout=2000)
    # Not presenting, Esc clears the selection as before.
    qtbot.keyClick(focus, Qt.Key.Key_Escape)
    assert len(window.lab.selection.items) == 0


def test_zoom_scales_fonts_markers_and_ticks_and_one_gives_back_todays(qtbot, window) -> None:
    app = QApplication.instance()
    latent = window.workspace.maps[LATENT]
    axis = latent.plot.getAxis("bottom")
    before = (app.font().pointSizeF(), latent.scatter.size, latent.highlight.size,
              latent.probe.scale, axis.style["tickFont"], dict(axis.labelStyle))
    window.presentation.model.set_zoom(2.0)
    assert app.font().pointSizeF() == 2 * before[0]
    assert latent.scatter.size == 2 * before[1] and latent.highlight.size == 2 * before[2]
    assert latent.probe.scale == 2 * before[3]
    assert axis.style["tickFont"].pointSizeF() == 2 * before[0]
    # The loss plot's axes zoom too, and the class legend's dots.
    assert window.workspace.loss_plot.plot.getAxis("left").style["tickFont"] is not None
    assert "font-size:28pt" in window.workspace.maps_legend.entries[0].text()
    window.presentation.model.set_zoom(1.0)
    after = (app.font().pointSizeF(), latent.scatter.size, latent.highlight.size,
             latent.probe.scale, axis.style["tickFont"], dict(axis.labelStyle))
    assert after == before


def test_zoom_keys_step_by_a_quarter_outside_presentation(qtbot, window) -> None:
    model = window.presentation.model
    window.presentation.zoom_in_action.trigger()
    assert model.zoom == 1.25 and not model.presenting
    window.presentation.zoom_out_action.trigger()
    window.presentation.zoom_out_action.trigger()
    assert model.zoom == 1.0


def test_high_contrast_darkens_the_plots_and_gives_the_theme_back(qtbot, window) -> None:
    plot = window.workspace.maps[PIXELS].plot
    axis = plot.getAxis("left")
    app = QApplication.instance()
    before = (plot.backgroundBrush().color(), app.palette().window().color(),
              axis.pen().color(), axis.pen().widthF(), dict(axis.labelStyle))
    window.presentation.contrast_action.trigger()
    assert plot.backgroundBrush().color() == QColor(HC_BACKGROUND)
    assert app.palette().window().color() == QColor(HC_BACKGROUND)
    assert axis.pen().color() == QColor("white")
    window.presentation.contrast_action.trigger()
    assert (plot.backgroundBrush().color(), app.palette().window().color(),
            axis.pen().color(), axis.pen().widthF(), dict(axis.labelStyle)) == before


def test_show_controls_hides_what_is_not_chosen(qtbot, window) -> None:
    workspace = window.workspace
    workspace.show_controls(("map:latent",))
    assert workspace.dataset_dock.isHidden() and workspace.map_boxes[PIXELS].isHidden()
    assert not workspace.map_boxes[LATENT].isHidden() and workspace.toolbars[0].isHidden()
    workspace.show_controls(None)
    assert not workspace.map_boxes[PIXELS].isHidden() and not workspace.toolbars[0].isHidden()
    assert workspace.map_boxes["third"].isHidden()  # as it was: not added


def _two_step_lesson(folder: Path) -> Path:
    step = {"setup": {"lab": {"dataset": {"source": "digits"}}}}
    lesson = {"kind": "latentlab lesson", "version": 1, "title": "Two steps",
              "steps": [{"title": "The codes", **step,
                         "setup": {**step["setup"], "controls": ["map:latent"]}},
                        {"title": "Everything", **step}]}
    path = folder / "two.lesson.json"
    path.write_text(json.dumps(lesson), encoding="utf-8")
    return path


@pytest.fixture
def lessons(qtbot, window, tmp_path: Path):
    lessons = Lessons(Notifications())
    lessons.add_target(LatentStepTarget(window.lab))
    window.presentation.set_lessons(lessons)
    with qtbot.waitSignal(lessons.status_changed, timeout=30_000,
                          check_params_cb=lambda *_: lessons.status == READY):
        assert lessons.open(_two_step_lesson(tmp_path))
    yield lessons
    lessons.close()


def test_clicker_keys_move_through_the_steps_with_the_focus_in_a_map(qtbot, window,
                                                                      lessons) -> None:
    presentation = window.presentation
    presentation.model.start()
    workspace = window.workspace
    assert workspace.map_boxes[PIXELS].isHidden()  # step 1 shows only the codes map
    assert presentation.bar.isVisible() and "Step 1 of 2" in presentation.bar.step_label.text()
    focus = workspace.maps[LATENT].plot.viewport()
    focus.setFocus()
    with qtbot.waitSignal(lessons.status_changed, timeout=30_000,
                          check_params_cb=lambda *_: lessons.status == READY):
        qtbot.keyClick(focus, Qt.Key.Key_PageDown)
    assert lessons.index == 1 and not workspace.map_boxes[PIXELS].isHidden()
    with qtbot.waitSignal(lessons.status_changed, timeout=30_000,
                          check_params_cb=lambda *_: lessons.status == READY):
        qtbot.keyClick(focus, Qt.Key.Key_PageUp)
    assert lessons.index == 0 and workspace.map_boxes[PIXELS].isHidden()
    # Reset this step applies it again.
    with qtbot.waitSignal(lessons.status_changed, timeout=30_000,
                          check_params_cb=lambda *_: lessons.status == READY):
        presentation.bar.reset.click()
    assert lessons.index == 0
    qtbot.keyClick(focus, Qt.Key.Key_Escape)
    assert not presentation.presenting and not workspace.map_boxes[PIXELS].isHidden()
    assert not presentation.bar.isVisible()


def test_an_error_while_presenting_goes_to_the_banner_not_a_dialog(qtbot, window) -> None:
    presentation = window.presentation
    presentation.model.start()
    window.lab.notes.report_error("Could not open the file", "It is\nbroken.", "Traceback …")
    window.lab.notes.say("Saved.")  # a status message too: it replaces the error
    assert not [w for w in QApplication.topLevelWidgets()
                if isinstance(w, QMessageBox) and w.isVisible()]
    banner = presentation.banner
    assert banner.isVisible() and banner.label.text() == "Saved."
    assert banner.timer.isActive()  # a message goes by itself
    window.lab.notes.report_error("Could not open the file", "It is\nbroken.", "Traceback …")
    assert banner.label.text() == "Could not open the file: It is broken."
    assert not banner.timer.isActive()  # an error stays until dismissed
    banner.dismiss.click()
    assert not banner.isVisible()
    presentation.model.stop()
