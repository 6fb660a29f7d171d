"""Per-user folders (platformdirs) that the app may write, checked rather than assumed.

A classroom machine may hand the app a missing, read-only or unreadable home; the app must still
start and say what it cannot do. numba (behind UMAP) caches compiled code in a folder next to its
sources by default, which does not exist inside a frozen app, so its cache is pointed here too.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "latentlab"


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


def user_cache_folder() -> CacheFolder:
    """The user cache folder, or a fresh temporary one (with the reason) when it is unusable."""
    preferred = Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
    problem = _writable(preferred)
    if not problem:
        return CacheFolder(preferred)
    fallback = Path(tempfile.mkdtemp(prefix=f"{APP_NAME}-cache-"))
    return CacheFolder(fallback, f"cannot write to {preferred} ({problem}); using {fallback} "
                                 "for this session, so nothing will be cached between runs")


def user_data_folder(sub: str) -> Path:
    """A folder in the user's data folder (autosaved models), or a temporary one if unusable."""
    preferred = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / sub
    if not _writable(preferred):
        return preferred
    return Path(tempfile.mkdtemp(prefix=f"{APP_NAME}-{sub}-"))


def configure_numba_cache(cache: CacheFolder) -> None:
    """Send numba's compiled-code cache to our cache folder unless the user chose one.

    Must run before numba is imported (it reads its settings once).
    """
    os.environ.setdefault("NUMBA_CACHE_DIR", str(cache.path / "numba"))
    if getattr(sys, "frozen", False):
        os.environ.setdefault("NUMBA_CACHE_LOCATOR_CLASSES",
                              "latentlab.core.maps.numba_cache.FrozenAppCacheLocator")
