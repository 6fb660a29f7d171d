"""Per-user folders (platformdirs) that the app may write, checked rather than assumed.

A classroom machine may hand the app a missing, read-only or unreadable home; the app must still
start and say what it cannot do. numba (behind UMAP) caches compiled code in a folder next to its
sources by default, which does not exist inside a frozen app, so its cache is pointed here too.

A folder that cannot be used is stood in for by one temporary folder per process and kind, made
when first needed and reused after that. The cache's stand-in is removed when the interpreter
exits (it only ever holds what can be fetched or computed again); the data folder's stand-in is
kept, since it holds the models saved into it.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "latentlab"
# Stand-ins made by this process: (name, removed at exit) → folder.
_stand_ins: dict[tuple[str, bool], Path] = {}
_stand_ins_lock = threading.Lock()  # the GUI's threads may ask at the same time


@dataclass(frozen=True)
class CacheFolder:
    path: Path
    #: Empty when the preferred folder is usable, else why a temporary folder stands in for it.
    problem: str = ""


def _writable(folder: Path) -> str:
    """Empty if ``folder`` exists (or can be made) and accepts a file, else the reason."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""


def _remove_at_exit(folder: Path, pid: int) -> None:
    if os.getpid() == pid:  # not from a forked child, while the parent still uses it
        shutil.rmtree(folder, ignore_errors=True)


def _stand_in(name: str, remove_at_exit: bool) -> Path:
    """This process's temporary folder ``latentlab-<name>-*``, made on first use (and again if
    it went away)."""
    with _stand_ins_lock:
        folder = _stand_ins.get((name, remove_at_exit))
        # A vanished one is not made again under its old name: a fresh mkdtemp is private.
        if folder is not None and folder.is_dir() and not _writable(folder):
            return folder
        folder = Path(tempfile.mkdtemp(prefix=f"{APP_NAME}-{name}-"))
        _stand_ins[name, remove_at_exit] = folder
        if remove_at_exit:
            atexit.register(functools.partial(_remove_at_exit, folder, os.getpid()))
        return folder


def user_cache_folder() -> CacheFolder:
    """The user cache folder, or (with the reason) this session's temporary stand-in when it is
    unusable: one per process, removed at exit."""
    preferred = Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
    problem = _writable(preferred)
    if not problem:
        return CacheFolder(preferred)
    fallback = _stand_in("cache", remove_at_exit=True)
    return CacheFolder(fallback, f"cannot write to {preferred} ({problem}); using {fallback} "
                                 "for this session, so nothing will be cached between runs")


def user_data_folder(sub: str) -> Path:
    """A folder in the user's data folder (autosaved models), or, if that is unusable, this
    session's temporary stand-in, which is kept: the models saved there are the user's."""
    preferred = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / sub
    if not _writable(preferred):
        return preferred
    return _stand_in(sub, remove_at_exit=False)


def user_config_file(name: str) -> Path:
    """A file in the user's config folder (recent files, last folders). It may be unwritable:
    the caller lives without what it would remember."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / name


def configure_numba_cache(cache: CacheFolder) -> None:
    """Send numba's compiled-code cache to our cache folder unless the user chose one.

    Must run before numba is imported (it reads its settings once).
    """
    os.environ.setdefault("NUMBA_CACHE_DIR", str(cache.path / "numba"))
    if getattr(sys, "frozen", False):
        os.environ.setdefault("NUMBA_CACHE_LOCATOR_CLASSES",
                              "latentlab.core.maps.numba_cache.FrozenAppCacheLocator")
