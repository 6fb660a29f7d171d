"""The lesson panel: the step shown (its text rendered, its "try this" line), moving between
steps, and — for the teacher — editing the lesson in place: titles and texts, the action a step
starts with, which controls presentation mode shows, the order of the steps.

Observes the lesson model (``latentlab.lab.lessons.Lessons``) and calls its methods only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from latentlab.core.files.lessonfile import CONTROLS, LATENT_MAPS, StepStart
from latentlab.lab.lessons import FAILED, PREPARING, READY, Lessons
from latentlab.qt.widgets.elided_label import ElidedLabel

STATUS_TEXT = {PREPARING: "Getting the step ready…", READY: "Ready.",
               FAILED: "This step could not be set up (see the message)."}
ACTION_TEXT = (("none", "Set up only"), ("train", "Train live"), ("open", "Open its model"),
               ("play", "Play (2-D GAN lab)"))


class LessonPanel(QWidget):
    def __init__(self, lessons: Lessons) -> None:
        super().__init__()
        self.lessons = lessons
        self.lesson_title = ElidedLabel("No lesson open")
        self.lesson_title.setObjectName("panelTitle")
        self.step_title = QLabel("")
        self.step_title.setObjectName("stepTitle")
        self.step_title.setWordWrap(True)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(False)
        self.text.setMinimumHeight(120)
        self.try_label = QLabel("")
        self.try_label.setObjectName("tryThis")
        self.try_label.setWordWrap(True)
        self.status = QLabel("Open a lesson: File → Open lesson…, or Lesson → Built-in lecture.")
        self.status.setObjectName("caption")
        self.status.setWordWrap(True)
        self.previous_button = QPushButton("◀ Previous")
        self.previous_button.setToolTip("The previous step (Page Up)")
        self.previous_button.clicked.connect(lessons.previous)
        self.reset_button = QPushButton("Reset step")
        self.reset_button.setToolTip("Set this step up again from its start")
        self.reset_button.clicked.connect(lessons.reset_step)
        self.next_button = QPushButton("Next ▶")
        self.next_button.setToolTip("The next step (Page Down)")
        self.next_button.clicked.connect(lessons.next)
        buttons = QHBoxLayout()
        for button in (self.previous_button, self.reset_button, self.next_button):
            buttons.addWidget(button)

        self.steps = QListWidget()
        self.steps.setMaximumHeight(160)
        self.steps.itemActivated.connect(lambda item: lessons.go(self.steps.row(item)))
        self.editor = self._build_editor()

        layout = QVBoxLayout(self)
        for widget in (self.lesson_title, self.step_title, self.text, self.try_label,
                       self.status):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("Steps (double-click to go):"))
        layout.addWidget(self.steps)
        layout.addWidget(self.editor)
        lessons.lesson_changed.connect(self._on_lesson)
        lessons.step_changed.connect(self._on_step)
        lessons.status_changed.connect(self._on_status)
        self._on_lesson()

    def _build_editor(self) -> QGroupBox:
        box = QGroupBox("Edit this step")
        box.setCheckable(True)
        box.setChecked(False)  # the audience sees the step, not the editor
        inner = QWidget()
        form = QFormLayout(inner)
        self.title_edit = QLineEdit()
        self.title_edit.editingFinished.connect(
            lambda: self._edit(title=self.title_edit.text().strip() or "Untitled step"))
        self.text_edit = QPlainTextEdit()
        self.text_edit.setPlaceholderText("Markdown: **bold**, *italic*, lists; Unicode maths")
        self.text_edit.setMaximumHeight(110)
        self.text_edit.textChanged.connect(self._on_text_edited)
        self.try_edit = QLineEdit()
        self.try_edit.editingFinished.connect(lambda: self._edit(try_this=self.try_edit.text()))
        self.action = QComboBox()
        for key, text in ACTION_TEXT:
            self.action.addItem(text, key)
        self.action.activated.connect(lambda _i: self._edit_start())
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 10_000)
        self.epochs.setToolTip("Epochs to train live, or frames to play")
        self.epochs.editingFinished.connect(self._edit_start)
        self.controls = QListWidget()
        self.controls.setToolTip("What presentation mode shows for this step (latent maps)")
        for key, text in CONTROLS.items():
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.controls.addItem(item)
        self.controls.setMaximumHeight(150)
        self.controls.itemChanged.connect(self._on_control_checked)
        order = QHBoxLayout()
        self.up_button = QPushButton("Move up")
        self.up_button.clicked.connect(lambda: self._move(-1))
        self.down_button = QPushButton("Move down")
        self.down_button.clicked.connect(lambda: self._move(1))
        self.delete_button = QPushButton("Delete step")
        self.delete_button.clicked.connect(
            lambda: self.lessons.delete_step(self.lessons.index))
        for button in (self.up_button, self.down_button, self.delete_button):
            order.addWidget(button)
        form.addRow("Title", self.title_edit)
        form.addRow("Text", self.text_edit)
        form.addRow("Try this", self.try_edit)
        form.addRow("Starts", self.action)
        form.addRow("Epochs / frames", self.epochs)
        form.addRow("Shown when presenting", self.controls)
        form.addRow(order)
        outer = QVBoxLayout(box)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(inner)
        box.toggled.connect(inner.setVisible)
        inner.setVisible(False)
        return box

    # ------------------------------------------------------------ observing
    def _on_lesson(self) -> None:
        lesson = self.lessons.lesson
        self.lesson_title.setText(lesson.title if lesson else "No lesson open")
        self.steps.blockSignals(True)
        self.steps.clear()
        for number, step in enumerate(lesson.steps if lesson else (), start=1):
            self.steps.addItem(f"{number}. {step.title}")
        self.steps.blockSignals(False)
        self._on_step()

    def _on_step(self) -> None:
        lessons, step = self.lessons, self.lessons.step
        count = len(lessons.lesson.steps) if lessons.lesson else 0
        self.step_title.setText(
            f"Step {lessons.index + 1} of {count}: {step.title}" if step else "")
        self.text.setMarkdown(step.text if step else "")
        self.try_label.setText(f"Try this: {step.try_this}" if step and step.try_this else "")
        self.try_label.setVisible(bool(step and step.try_this))
        self.steps.setCurrentRow(lessons.index)
        self.previous_button.setEnabled(step is not None and lessons.index > 0)
        self.next_button.setEnabled(step is not None and lessons.index < count - 1)
        self.reset_button.setEnabled(step is not None)
        self.editor.setEnabled(step is not None)
        self._show_in_editor()
        self._on_status()

    def _show_in_editor(self) -> None:
        step = self.lessons.step
        widgets = (self.title_edit, self.text_edit, self.try_edit, self.action, self.epochs,
                   self.controls)
        for widget in widgets:
            widget.blockSignals(True)
        self.title_edit.setText(step.title if step else "")
        if step is None or self.text_edit.toPlainText() != step.text:
            self.text_edit.setPlainText(step.text if step else "")
        self.try_edit.setText(step.try_this if step else "")
        start = step.start if step else StepStart()
        self.action.setCurrentIndex(self.action.findData(start.action))
        self.epochs.setValue(max(1, start.frames if start.action == "play" else start.epochs))
        latent = step is not None and step.workspace == LATENT_MAPS
        self.controls.setEnabled(latent)
        for row in range(self.controls.count()):
            item = self.controls.item(row)
            shown = step is None or step.controls is None \
                or item.data(Qt.ItemDataRole.UserRole) in step.controls
            item.setCheckState(Qt.CheckState.Checked if shown else Qt.CheckState.Unchecked)
        count = len(self.lessons.lesson.steps) if self.lessons.lesson else 0
        self.up_button.setEnabled(self.lessons.index > 0)
        self.down_button.setEnabled(0 <= self.lessons.index < count - 1)
        for widget in widgets:
            widget.blockSignals(False)

    def _on_status(self) -> None:
        status = self.lessons.status
        if self.lessons.step is not None:
            self.status.setText(STATUS_TEXT.get(status, ""))

    # -------------------------------------------------------------- editing
    def _edit(self, **changes: object) -> None:
        if self.lessons.step is not None:
            self.lessons.edit_step(self.lessons.index, **changes)

    def _on_text_edited(self) -> None:
        self._edit(text=self.text_edit.toPlainText())

    def _edit_start(self) -> None:
        step = self.lessons.step
        if step is None:
            return
        action, count = self.action.currentData(), self.epochs.value()
        start = StepStart(action, epochs=count if action == "train" else 0,
                          frames=count if action == "play" else 0,
                          checkpoint=step.start.checkpoint if action == "open" else "")
        if action == "open" and not start.checkpoint:
            self.status.setText("Open needs a saved model: add the step again with the model "
                                "open. Kept the step's start as it was.")
            self._show_in_editor()
            return
        self._edit(start=start)

    def _on_control_checked(self) -> None:
        ticked = tuple(self.controls.item(row).data(Qt.ItemDataRole.UserRole)
                       for row in range(self.controls.count())
                       if self.controls.item(row).checkState() == Qt.CheckState.Checked)
        self._edit(controls=None if len(ticked) == len(CONTROLS) else ticked)

    def _move(self, by: int) -> None:
        index = self.lessons.index
        self.lessons.move_step(index, index + by)
