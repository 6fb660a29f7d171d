"""Where tensors live: CUDA, then Apple MPS, then CPU, unless the user says otherwise."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch
# torch is imported where a device is asked for, not with this module: the data session
# needs only the thread count, and a million images load without torch's half a gigabyte.


def available_devices() -> list[str]:
    """Device kinds usable on this machine, best first (always ends with ``cpu``)."""
    import torch

    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    found.append("cpu")
    return found


def resolve_device(preference: str = "auto") -> torch.device:
    """``auto`` picks the best available; an explicit kind that is missing is an error."""
    import torch

    available = available_devices()
    if preference == "auto":
        return torch.device(available[0])
    if preference not in available:
        raise RuntimeError(
            f"Device {preference!r} is not available on this machine "
            f"(available: {', '.join(available)})."
        )
    return torch.device(preference)


def describe_device(device: torch.device) -> str:
    import torch

    if device.type == "cuda":
        return f"CUDA · {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple MPS"
    return f"CPU · {torch.get_num_threads()} thread(s)"


def training_cpu_threads(requested: int = 0) -> int:
    """Threads for CPU training: leave one core to the GUI unless told otherwise."""
    if requested > 0:
        return requested
    return max(1, usable_cores() - 1)


def usable_cores() -> int:
    """Cores this process may run on (respects affinity masks, unlike os.cpu_count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
