"""Before the first window on Linux: can Qt's X11 (xcb) platform plugin load its libraries?

PySide6's wheels carry Qt but not the small X11 helper libraries its xcb plugin links against.
A fresh Debian/Ubuntu desktop lacks ``libxcb-cursor0`` (and minimal systems more), and Qt then
only says "no Qt platform plugin could be initialized". This names the packages instead. It
imports no Qt: it must run before a QApplication exists.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

#: The libraries Qt 6's xcb plugin needs beyond libxcb itself, and the Debian/Ubuntu packages
#: that hold them.
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}
#: Set to 1 to skip the check (a system where it is wrong).
SKIP_ENV = "LATENTLAB_NO_LIBRARY_CHECK"


def uses_xcb(platform: str | None = None, env: Mapping[str, str] | None = None) -> bool:
    """Whether Qt will try X11 first: on Linux, when chosen, or by default outside Wayland."""
    platform, env = platform or sys.platform, os.environ if env is None else env
    if not platform.startswith("linux") or env.get(SKIP_ENV) == "1":
        return False
    chosen = env.get("QT_QPA_PLATFORM", "").strip()
    if chosen:  # "xcb", "offscreen", "wayland;xcb" (a list of fallbacks): the first one counts
        return chosen.split(";")[0].split(":")[0] == "xcb"
    return not (env.get("XDG_SESSION_TYPE") == "wayland" and env.get("WAYLAND_DISPLAY"))


def loadable(soname: str) -> bool:
    """Whether the dynamic loader finds ``soname`` (in a frozen app, also the bundled copy)."""
    candidates = [soname]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.insert(0, str(Path(bundle) / soname))
    for candidate in candidates:
        try:
            ctypes.CDLL(candidate)
        except OSError:
            continue
        return True
    return False


def missing_packages(load: Callable[[str], bool] | None = None) -> list[str]:
    """The packages of the xcb libraries that cannot be loaded (``load``: ``loadable``)."""
    load = load or loadable
    return [package for soname, package in XCB_LIBRARIES.items() if not load(soname)]


def missing_libraries_line(platform: str | None = None, env: Mapping[str, str] | None = None,
                           load: Callable[[str], bool] | None = None) -> str | None:
    """One line for the terminal when X11 windows cannot open for want of system packages."""
    if not uses_xcb(platform, env):
        return None
    missing = missing_packages(load)
    if not missing:
        return None
    plural = len(missing) > 1
    return (f"latentlab: cannot open a window: Qt's X11 support needs the system "
            f"package{'s' if plural else ''} {', '.join(missing)}; install "
            f"{'them' if plural else 'it'} with: sudo apt install {' '.join(missing)} "
            f"({SKIP_ENV}=1 skips this check)")
