"""The training form's device choice: "Auto" until torch has loaded, then the devices it sees."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox

from latentlab.core.training.device import available_devices


def device_combo() -> QComboBox:
    combo = QComboBox()
    combo.addItem("Auto", "auto")  # the devices are listed once torch is loaded
    return combo


def list_devices(combo: QComboBox) -> None:
    """Name the best device on "Auto" and list every one (once; asking imports torch)."""
    if combo.count() > 1:
        return
    devices = available_devices()
    combo.setItemText(0, f"Auto ({devices[0].upper()})")
    for kind in devices:
        combo.addItem(kind.upper(), kind)
