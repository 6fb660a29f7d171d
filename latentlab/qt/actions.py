"""One way to make a menu action: text, shortcut, status tip, and what it does."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


def make_action(parent: QWidget, text: str, key: str, slot: Callable[[], object],
                tip: str) -> QAction:
    action = QAction(text, parent)
    if key:
        action.setShortcut(QKeySequence(key))
    action.setStatusTip(tip)
    action.triggered.connect(lambda _=False: slot())
    return action
