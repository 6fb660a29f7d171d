"""Presentation mode, the window's part: full screen without menus or status bar, one zoom for
every text, marker and line, a high-contrast theme, only a lesson step's controls, clicker keys
for the lesson's steps, and a banner in place of dialogs.

The main window owns one :class:`PresentationController` (``window.presentation``); the state
lives in the Qt-free :class:`~latentlab.lab.presentation.Presentation` (``.model``). The lesson
is handed in with :meth:`PresentationController.set_lessons`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from latentlab.lab.lessons import Lessons
from latentlab.lab.presentation import Presentation
from latentlab.qt.look import (
    HIGH_CONTRAST_STYLE,
    base_font,
    high_contrast_palette,
    scaled_style_sheet,
)
from latentlab.qt.widgets.presentation_bars import BannerBar, LessonBar

if TYPE_CHECKING:
    from latentlab.qt.main_window import MainWindow

Key = Qt.Key
#: A presentation clicker sends Page Up / Page Down; a keyboard has the others.
NEXT_KEYS = frozenset({Key.Key_PageDown, Key.Key_Space, Key.Key_Right, Key.Key_Down})
PREVIOUS_KEYS = frozenset({Key.Key_PageUp, Key.Key_Left, Key.Key_Up})
#: Keys a text field needs for itself: there they edit, not step (Page keys always step).
EDITING_KEYS = frozenset({Key.Key_Space, Key.Key_Left, Key.Key_Right, Key.Key_Up, Key.Key_Down})
TEXT_INPUTS = (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit)
MARGIN = 12  # between the floating bars and the window's edges


class PresentationController(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.model = Presentation()
        self.lessons: Lessons | None = None
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self._app = app
        base_font()  # taken now, before any zoom
        # What the application looked like: zoom 1.0 without high contrast gives it back.
        self._style = app.styleSheet()
        self._palette = QPalette(app.palette())
        self._geometry = window.geometry()
        self._state = window.windowState()
        self._bars_hidden = (False, False)  # the menu bar's and status bar's, before presenting
        self.banner = BannerBar(self.model, window)
        self.bar = LessonBar(self.model.stop, window)
        self._build_actions()
        model = self.model
        model.presenting_changed.connect(self._on_presenting)
        model.zoom_changed.connect(self._on_zoom)
        model.high_contrast_changed.connect(self._on_high_contrast)
        model.controls_changed.connect(self.apply_controls)
        model.banner_changed.connect(self._place)
        window.installEventFilter(self)  # resizes: the bars follow the window's edges

    def _build_actions(self) -> None:
        window, model = self.window, self.model
        self.present_action = QAction("Presentation mode", window, checkable=True)
        self.present_action.setShortcut(QKeySequence(Key.Key_F5))
        self.present_action.setToolTip("Full screen, larger, only the lesson's controls "
                                       "(F5; Esc leaves)")
        self.present_action.triggered.connect(lambda on: model.start() if on else model.stop())
        self.zoom_in_action = QAction("Zoom in", window)
        self.zoom_in_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.ZoomIn),
                                          QKeySequence("Ctrl+=")])
        self.zoom_in_action.triggered.connect(model.zoom_in)
        self.zoom_out_action = QAction("Zoom out", window)
        self.zoom_out_action.setShortcut(QKeySequence(QKeySequence.StandardKey.ZoomOut))
        self.zoom_out_action.triggered.connect(model.zoom_out)
        self.contrast_action = QAction("High contrast", window, checkable=True)
        self.contrast_action.setToolTip("Black background, white and yellow text, thicker lines")
        self.contrast_action.toggled.connect(model.set_high_contrast)
        #: The View menu's entries; on the window too, so their keys work with the menus hidden.
        self.view_actions = [self.present_action, self.zoom_in_action, self.zoom_out_action,
                             self.contrast_action]
        window.addActions(self.view_actions)

    @property
    def presenting(self) -> bool:
        return self.model.presenting

    def set_lessons(self, lessons: Lessons) -> None:
        """The lesson being taught: its steps' controls show while presenting, the clicker
        moves through its steps, the bar at the bottom shows where it is."""
        self.lessons = lessons
        lessons.step_changed.connect(self._on_step)
        lessons.lesson_changed.connect(self._show_bar)
        self.bar.set_lessons(lessons)
        self._on_step()

    def _on_step(self) -> None:
        step = self.lessons.step if self.lessons is not None else None
        self.model.set_controls(step.controls if step is not None else None)
        self._show_bar()

    # ------------------------------------------------------------- presenting
    def _on_presenting(self, on: bool) -> None:
        window = self.window
        self.present_action.setChecked(on)
        if on:
            self._geometry = window.geometry()
            self._state = window.windowState()
            self._bars_hidden = (window.menuBar().isHidden(), window.statusBar().isHidden())
            window.menuBar().hide()
            window.statusBar().hide()
            self.apply_controls()
            self._app.installEventFilter(self)
            window.showFullScreen()
        else:
            self._app.removeEventFilter(self)
            for workspace in window.workspaces:
                workspace.show_controls(None)
            window.menuBar().setHidden(self._bars_hidden[0])
            window.statusBar().setHidden(self._bars_hidden[1])
            if self._state & Qt.WindowState.WindowMaximized:
                window.showMaximized()
            else:
                window.showNormal()
                window.setGeometry(self._geometry)  # as it was, even if larger than the screen
        self._show_bar()

    def apply_controls(self) -> None:
        """The workspace shown shows the step's controls while presenting; the others (and
        all of them when not presenting) show whole."""
        chosen = self.model.controls if self.presenting else None
        for workspace in self.window.workspaces:
            if workspace is not self.window.workspace:
                workspace.show_controls(None)
        self.window.workspace.show_controls(chosen)

    def release_controls(self) -> None:
        """The workspace shown gets all its controls back (it is about to be hidden)."""
        self.window.workspace.show_controls(None)

    def leave(self) -> None:
        self.model.stop()

    def shutdown(self) -> None:
        """The window closes: leave, and give the application its font, style and palette back
        (they are the whole application's, not the window's)."""
        self.model.stop()
        self.model.set_zoom(1.0)
        self.model.set_high_contrast(False)

    # ------------------------------------------------------------------ looks
    def _on_zoom(self, zoom: float) -> None:
        font = base_font()
        if zoom != 1.0:
            font.setPointSizeF(font.pointSizeF() * zoom)
        self._app.setFont(font)
        self._restyle_application()
        for workspace in self.window.workspaces:
            workspace.set_zoom(zoom)
        QTimer.singleShot(0, self._place)  # once the bars have taken the new font

    def _on_high_contrast(self, on: bool) -> None:
        self.contrast_action.setChecked(on)
        self._app.setPalette(high_contrast_palette() if on else self._palette)
        self._restyle_application()
        for workspace in self.window.workspaces:
            workspace.set_high_contrast(on)

    def _restyle_application(self) -> None:
        style = scaled_style_sheet(self._style, self.model.zoom)
        if self.model.high_contrast:
            style += HIGH_CONTRAST_STYLE
        if style != self._app.styleSheet():
            self._app.setStyleSheet(style)

    # -------------------------------------------------------- floating bars
    def _show_bar(self) -> None:
        self.bar.setVisible(self.presenting and self.bar.has_lesson)
        self._place()

    def _place(self) -> None:
        """The lesson's bar centred at the bottom, the banner just above it: the maps' titles
        and the step's text stay in view."""
        window = self.window
        width = window.width()
        bottom = window.height() - MARGIN
        if self.bar.isVisible():
            self.bar.adjustSize()
            bar_width = min(self.bar.sizeHint().width(), width - 2 * MARGIN)
            self.bar.resize(bar_width, self.bar.sizeHint().height())
            self.bar.move((width - bar_width) // 2, bottom - self.bar.height())
            self.bar.raise_()
            bottom -= self.bar.height() + MARGIN // 2
        if self.banner.isVisible():
            left = window.centralWidget().geometry().left()
            self.banner.setFixedWidth(max(200, width - left - 2 * MARGIN))
            self.banner.adjustSize()
            self.banner.move(left + MARGIN, bottom - self.banner.height())
            self.banner.raise_()

    # ------------------------------------------------------------------- keys
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is self.window and kind == QEvent.Type.Resize:
            self._place()
            return False
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            return False
        # Only keys meant for this window: not a menu's, a dialog's or a popup's.
        if not isinstance(watched, QWidget) or watched.window() is not self.window:
            return False
        assert isinstance(event, QKeyEvent)
        action = self._key_action(event, watched)
        if action is None:
            return False
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # the key is ours: no shortcut (Esc's "Clear selection") takes it
        else:
            action()
        return True

    def _key_action(self, event: QKeyEvent, focus: QWidget):
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if modifiers != Qt.KeyboardModifier.NoModifier or not self.presenting:
            return None
        key = event.key()
        if key == Key.Key_Escape:
            return self.model.stop
        lessons = self.lessons
        if lessons is None or lessons.lesson is None:
            return None
        if key in EDITING_KEYS and isinstance(focus, TEXT_INPUTS):
            return None
        if key in NEXT_KEYS:
            return lessons.next
        if key in PREVIOUS_KEYS:
            return lessons.previous
        return None
