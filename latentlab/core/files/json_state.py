"""Small JSON files the app keeps for itself (recent files, the autosave index).

They are conveniences, never the user's work: one that is missing, unreadable or malformed reads
as empty, and one that cannot be written is a reason returned to the caller, who may say it.
Writes are atomic, so a crash never leaves half a file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from latentlab.core.files.atomic import describe_os_error, write_atomic
from latentlab.core.files.safe_io import read_limited

#: Such a file is a few kilobytes; anything near this is not one of ours.
MAX_STATE_BYTES = 1 << 20


def read_state(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``, or an empty dict when there is none to read."""
    try:
        data = json.loads(read_limited(path, MAX_STATE_BYTES, "settings files").decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def write_state(path: Path, data: dict[str, Any]) -> str:
    """Write ``data`` to ``path`` atomically; empty on success, else why it was not written."""
    try:
        write_atomic(path, (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode())
    except OSError as exc:
        return f"{path}: {describe_os_error(exc)}"
    except (TypeError, ValueError) as exc:  # a path with undecodable bytes
        return f"{path}: {exc}"
    return ""
