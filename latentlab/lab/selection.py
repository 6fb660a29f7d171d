"""The selected map items (shared by every map) and the pointer tool that selects them."""

from __future__ import annotations

import numpy as np
from psygnal import Signal

TOOLS = ("pan", "box", "lasso")


def _none() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


class Selection:
    changed = Signal()
    tool_changed = Signal(str)

    def __init__(self) -> None:
        #: Positions in the data session's ``map_indices``, sorted and unique.
        self.items = _none()
        self.tool = "pan"

    def select(self, positions: np.ndarray) -> None:
        positions = np.unique(np.asarray(positions, dtype=np.int64))
        if not np.array_equal(positions, self.items):
            self.items = positions
            self.changed.emit()

    def clear(self) -> None:
        self.select(_none())

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"Unknown tool {tool!r}; known: {', '.join(TOOLS)}.")
        if tool != self.tool:
            self.tool = tool
            self.tool_changed.emit(tool)
