"""A workspace: one lab model and its views, hosted by the main window.

The window gives each workspace its place — a central page, docks on the left, toolbars, menus
and File actions — and shows one workspace at a time; it displays every workspace's
notifications (errors as dialogs, messages in the status bar) and shuts them all down on close.
A workspace never reaches into another: adding one is a new module and one line in
:data:`latentlab.qt.workspaces.LATER`.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QToolBar, QWidget

from latentlab.core.files.lessonfile import Step
from latentlab.lab.lesson_targets import StepTarget
from latentlab.lab.notifications import Notifications
from latentlab.qt.look import Look, style_plots


class Workspace:
    """What a workspace hands the window; subclasses build these in ``__init__``."""

    title = ""
    lesson_name = ""  # how lesson steps name this workspace (lessonfile.WORKSPACES)

    def __init__(self, window: QMainWindow, notes: Notifications) -> None:
        self.window = window
        self.notes = notes
        self.central: QWidget = QWidget()
        self.docks: list[QDockWidget] = []
        self.toolbars: list[QToolBar] = []
        self.menus: list[QMenu] = []  # after File, before View and Help
        self.file_items: list[QAction | QMenu | None] = []  # the File menu's; None: a separator
        self.help_actions: list[QAction] = []
        self.status_widgets: list[QWidget] = []  # permanent widgets in the status bar
        self.view_actions: list[QAction] = []  # in the View menu
        self._shown: list[QWidget] = []
        self.look = Look()  # the window's zoom and theme (presentation mode)

    def set_active(self, active: bool) -> None:
        """Show or hide what belongs to this workspace outside its central page; docks and
        status widgets come back as they were."""
        if not active:
            self._shown = [w for w in (*self.docks, *self.status_widgets) if w.isVisible()]
        for widget in (*self._shown, *self.toolbars):
            widget.setVisible(active)
        for menu in self.menus:
            menu.menuAction().setVisible(active)

    def step_targets(self) -> list[StepTarget]:
        """What applies lesson steps to this workspace's lab (none: lessons skip it)."""
        return []

    def capture_step(self, title: str) -> Step | None:
        """The set-up shown now, as a lesson step (None: nothing to capture)."""
        return None

    def set_zoom(self, zoom: float) -> None:
        """Draw every text, marker and line ``zoom`` times as large (1.0: as designed)."""
        self.look = replace(self.look, zoom=zoom)
        self.restyle()

    def set_high_contrast(self, on: bool) -> None:
        self.look = replace(self.look, high_contrast=on)
        self.restyle()

    def restyle(self) -> None:
        """Hand ``self.look`` to the widgets. Here: every plot's axes and background (the
        application's font and palette reach the other widgets); a workspace whose widgets
        draw markers or lines of their own adds theirs."""
        for widget in (self.central, *self.docks):
            style_plots(widget, self.look)

    def show_controls(self, controls: tuple[str, ...] | None) -> None:
        """Presentation mode: show only ``controls`` (ids of ``lessonfile.CONTROLS``); None
        brings back everything as it was. A workspace without such controls shows whole."""

    def shutdown(self) -> None:
        """Stop background work and wait for it: the window is closing."""
