"""What floats over the window while it presents: a banner at the top in place of dialogs and
status messages, and the lesson's bar at the bottom (previous, step n of m, next, reset this
step, leave). Both follow the application's font, so the zoom reaches them."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from latentlab.core.files.safe_io import printable
from latentlab.lab.lessons import FAILED, PREPARING, Lessons
from latentlab.lab.presentation import Presentation

#: A message (not an error) goes by itself after this long.
MESSAGE_MS = 6_000
BAR_STYLE = """
QFrame#presentationBar, QFrame#banner { background: rgba(20, 20, 20, 225);
    border: 1px solid #e0e0e0; border-radius: 6px; }
QFrame#banner[error="true"] { background: rgba(150, 0, 20, 235); }
QFrame#presentationBar QLabel, QFrame#banner QLabel { color: #ffffff; background: transparent;
    border: none; }
QFrame#presentationBar QPushButton, QFrame#banner QPushButton { color: #ffffff;
    background: #3a3a3a; border: 1px solid #9e9e9e; border-radius: 4px; padding: 2px 10px; }
QFrame#presentationBar QPushButton:disabled { color: #8a8a8a; border-color: #5a5a5a; }
"""


class BannerBar(QFrame):
    """The presentation's banner: one line, a dismiss button; messages hide after 6 s, errors
    stay until dismissed."""

    def __init__(self, model: Presentation, parent: QWidget) -> None:
        super().__init__(parent)
        self.model = model
        self.setObjectName("banner")
        self.setStyleSheet(BAR_STYLE)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # a file's name is never markup
        self.dismiss = QPushButton("Dismiss")
        self.dismiss.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the window
        self.dismiss.clicked.connect(model.dismiss_banner)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.dismiss)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(MESSAGE_MS)
        self.timer.timeout.connect(model.dismiss_banner)
        model.banner_changed.connect(self._on_banner)
        self.hide()

    def _on_banner(self) -> None:
        banner = self.model.banner
        self.timer.stop()
        if banner is None:
            self.hide()
            return
        self.label.setText(banner.text)
        self.setProperty("error", banner.error)
        self.style().unpolish(self)  # the error colour follows the property
        self.style().polish(self)
        if not banner.error:
            self.timer.start()
        self.show()
        self.raise_()


class LessonBar(QFrame):
    """Previous / step n of m / next / reset this step / leave; shown while a lesson is open."""

    def __init__(self, leave: Callable[[], None], parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("presentationBar")
        self.setStyleSheet(BAR_STYLE)
        self.lessons: Lessons | None = None
        self.previous = QPushButton("◀ Previous")
        self.step_label = QLabel()
        self.next = QPushButton("Next ▶")
        self.reset = QPushButton("Reset this step")
        self.reset.setToolTip("Put this step's set-up back and start it again")
        self.leave = QPushButton("Leave (Esc)")
        self.leave.clicked.connect(leave)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        for widget in (self.previous, self.step_label, self.next, self.reset, self.leave):
            if isinstance(widget, QPushButton):
                widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space stays the clicker's
            layout.addWidget(widget)
        self.hide()

    def set_lessons(self, lessons: Lessons) -> None:
        self.lessons = lessons
        self.previous.clicked.connect(lessons.previous)
        self.next.clicked.connect(lessons.next)
        self.reset.clicked.connect(lessons.reset_step)
        for signal in (lessons.lesson_changed, lessons.step_changed, lessons.status_changed):
            signal.connect(self.refresh)
        self.refresh()

    @property
    def has_lesson(self) -> bool:
        return self.lessons is not None and self.lessons.lesson is not None

    def refresh(self) -> None:
        lessons = self.lessons
        if lessons is None or lessons.lesson is None:
            return
        n = len(lessons.lesson.steps)
        step = lessons.step
        title = printable(step.title, 80) if step is not None else ""
        status = {PREPARING: " · getting ready…", FAILED: " · could not be set up"}.get(
            lessons.status, "")
        self.step_label.setText(f"Step {lessons.index + 1} of {n}: {title}{status}"
                                if step is not None else f"{n} steps")
        self.previous.setEnabled(lessons.index > 0)
        self.next.setEnabled(lessons.index < n - 1)
        self.reset.setVisible(step is not None)
        self.adjustSize()
