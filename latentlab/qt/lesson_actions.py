"""Lessons in the window: the lesson model over every workspace's lab, its panel (a dock on the
left, in front of the model form while a lesson is open), the Lesson menu (the built-in
lecture, steps, authoring) and the File menu's lesson items. A step of another workspace shows
that workspace."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QFileDialog, QInputDialog, QMainWindow, QMenu

from latentlab.core.files.lessonfile import LESSON_SUFFIX, lesson_title
from latentlab.core.files.safe_io import printable
from latentlab.lab.lessons import Lessons, builtin_lessons
from latentlab.lab.notifications import Notifications
from latentlab.lab.recent import RecentFiles
from latentlab.qt.actions import make_action
from latentlab.qt.widgets.form_scroll import FormScroll
from latentlab.qt.widgets.lesson_panel import LessonPanel
from latentlab.qt.workspace import Workspace

LESSON_FILTER = f"Lessons (*{LESSON_SUFFIX});;All files (*)"
PANEL_WIDTH = 310  # the left docks' width


class LessonActions(QObject):
    def __init__(self, window: QMainWindow, recent: RecentFiles,
                 show_workspace: Callable[[Workspace], None]) -> None:
        super().__init__(window)
        self.window = window
        self.recent = recent
        self.notes = Notifications()
        self.lessons = lessons = Lessons(self.notes)
        self._by_name: dict[str, Workspace] = {}
        self._show_workspace = show_workspace
        lessons.workspace_requested.connect(self._on_workspace_requested)

        self.panel = LessonPanel(lessons)
        self.dock = QDockWidget("Lesson", window)
        self.dock.setObjectName("lessonDock")
        self._width = PANEL_WIDTH
        self.scroll = FormScroll(self.panel, PANEL_WIDTH)
        window.installEventFilter(self)
        self.dock.setWidget(self.scroll)
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dock)
        self.dock.hide()  # until a lesson is open or being written
        lessons.lesson_changed.connect(self._on_lesson)

        self.open_action = make_action(window, "Open lesson…", "Ctrl+Alt+O", self.choose_and_open,
                                       f"A lesson ({LESSON_SUFFIX}): steps to show in class")
        self.save_action = make_action(window, "Save lesson as…", "", self.choose_and_save,
                                       "The lesson's steps, its models copied beside it")
        self.new_action = make_action(window, "New lesson", "", self.new_lesson,
                                      "Start a lesson of your own: add steps from the view")
        self.add_action = make_action(window, "Add step from current view", "Ctrl+Shift+A",
                                      self.add_step,
                                      "The dataset, model settings, maps and probes shown now")
        self.next_action = make_action(window, "Next step", "Ctrl+PgDown", lessons.next,
                                       "The lesson's next step")
        self.previous_action = make_action(window, "Previous step", "Ctrl+PgUp",
                                           lessons.previous, "The lesson's previous step")
        self.reset_action = make_action(window, "Reset this step", "Ctrl+R", lessons.reset_step,
                                        "Set the step up again from its start")
        self.rename_action = make_action(window, "Rename lesson…", "", self.rename_lesson,
                                         "The lesson's title, as its panel and file show it")
        self.close_action = make_action(window, "Close lesson", "", lessons.close,
                                        "Close the lesson; the view stays as it is")
        self.menu = QMenu("Less&on", window)
        self.lecture_menu = self.menu.addMenu("Built-in lecture")
        # Listed when first shown: reading the lessons' titles is no part of start-up.
        self.lecture_menu.aboutToShow.connect(self._list_lecture)
        self.menu.addActions([self.previous_action, self.next_action, self.reset_action])
        self.menu.addSeparator()
        self.menu.addActions([self.new_action, self.add_action, self.rename_action,
                              self.open_action, self.save_action, self.close_action])
        self.file_items = [self.open_action, self.save_action]
        self._on_lesson()

    def _list_lecture(self) -> None:
        if self.lecture_menu.actions():
            return
        for path in builtin_lessons():
            number = path.name.split("-", 1)[0].lstrip("0")
            action = self.lecture_menu.addAction(f"{number}. {lesson_title(path)}")
            action.triggered.connect(lambda _=False, p=path: self.lessons.open(p))

    def add_workspace(self, workspace: Workspace) -> None:
        """Steps of ``workspace`` can be shown from now on (workspaces built once torch has
        loaded join later)."""
        for target in workspace.step_targets():
            self.lessons.add_target(target)
        self._by_name[workspace.lesson_name] = workspace
        if len(self._by_name) == 1 and workspace.docks:
            # A tab beside the model form: the maps keep their width on a 1280-pixel projector.
            self.window.tabifyDockWidget(workspace.docks[0], self.dock)
            workspace.docks[0].raise_()

    def _on_workspace_requested(self, name: str) -> None:
        self._show_workspace(self._by_name[name])
        if self._width != PANEL_WIDTH:  # its docks come back beside the panel: keep its width
            QTimer.singleShot(0, self._fit_dock)

    def set_zoom(self, zoom: float) -> None:
        """The panel widens with the zoom: the step's text stays readable on a projector."""
        self._width = round(PANEL_WIDTH * zoom)
        self.scroll.set_width(self._width)
        self._fit_dock()

    def _fit_dock(self) -> None:
        self.window.resizeDocks([self.dock], [self._width], Qt.Orientation.Horizontal)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Going full screen (or any resize) shares the width out again: the panel keeps its own.
        if event.type() == QEvent.Type.Resize and self._width != PANEL_WIDTH:
            QTimer.singleShot(0, self._fit_dock)
        return False

    def open_path(self, path: Path) -> bool:
        return self.lessons.open(path)

    def open_lecture(self) -> None:
        """The built-in lecture's first lesson."""
        self.lessons.open(builtin_lessons()[0])

    def choose_and_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a lesson",
                                              self.recent.folder("labs"), LESSON_FILTER)
        if path:
            self.recent.remember_folder("labs", path)
            self.lessons.open(path)

    def choose_and_save(self) -> None:
        lessons = self.lessons
        if lessons.lesson is None or not lessons.lesson.steps:
            self.notes.say("Add a step first (Lesson → Add step from current view).")
            return
        start = str(lessons.path) if lessons.path and not _builtin(lessons.path) \
            else self.recent.folder("labs")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save the lesson", start,
                                              LESSON_FILTER)
        if path:
            if not path.endswith(LESSON_SUFFIX):
                path = str(Path(path).with_suffix("")) + LESSON_SUFFIX
            self.recent.remember_folder("labs", path)
            lessons.save(path)

    def new_lesson(self) -> None:
        title, ok = QInputDialog.getText(self.window, "New lesson", "Title:", text="My lesson")
        if ok:
            self.lessons.new(title.strip() or "My lesson")

    def add_step(self) -> None:
        """The current workspace's set-up as a new step after the one shown."""
        lessons = self.lessons
        count = len(lessons.lesson.steps) if lessons.lesson else 0
        workspace: Workspace = self.window.workspace  # type: ignore[attr-defined]
        step = workspace.capture_step(f"Step {count + 1}")
        if step is None:
            self.notes.say("Nothing to capture here yet: load a dataset first.")
            return
        lessons.add_step(step)
        self.notes.say(f"Added “{printable(step.title)}”; edit its title and text in the "
                       "Lesson panel.")

    def rename_lesson(self) -> None:
        lesson = self.lessons.lesson
        if lesson is None:
            return
        title, ok = QInputDialog.getText(self.window, "Rename lesson", "Title:", text=lesson.title)
        if ok:
            self.lessons.set_title(title)

    def _on_lesson(self) -> None:
        has = self.lessons.lesson is not None
        if has and not self.dock.isVisible():
            self.dock.show()
            self.dock.raise_()
        elif not has:
            self.dock.hide()
        for action in (self.save_action, self.close_action, self.rename_action, self.next_action,
                       self.previous_action, self.reset_action):
            action.setEnabled(has)


def _builtin(path: Path) -> bool:
    """A built-in lesson is saved elsewhere (the package's folder may be read-only)."""
    return path in builtin_lessons()
