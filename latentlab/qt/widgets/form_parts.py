"""Small builders for the settings forms: a narrow combo box and a titled group of rows."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QWidget


def combo(options: dict[str, str], current: str) -> QComboBox:
    """A combo box of ``options`` (key → text) showing ``current``."""
    box = QComboBox()
    # The dock is narrow: a long entry must not widen the whole form (the popup still shows it).
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(10)
    for key, text in options.items():
        box.addItem(text, key)
    box.setCurrentIndex(list(options).index(current))
    return box


def group(title: str, rows: list[tuple[str, QWidget]]) -> QGroupBox:
    """A titled box of labelled rows."""
    box = QGroupBox(title)
    form = QFormLayout(box)
    for label, widget in rows:
        form.addRow(label, widget)
    return box
