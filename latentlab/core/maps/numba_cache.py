"""Where numba caches compiled code inside the frozen (PyInstaller) app.

numba's locators want the Python source file of a jitted function to exist on disk; in a frozen
app it does not, so NUMBA_CACHE_DIR alone is ignored and numba falls back to its own user folder,
which may be unusable. This locator sends the cache to NUMBA_CACHE_DIR (set by
``userdirs.configure_numba_cache``) whatever the source file. numba imports it by name, through
NUMBA_CACHE_LOCATOR_CLASSES, only when it first caches a function.
"""

from __future__ import annotations

import hashlib
import os

from numba.core import config
from numba.core.caching import UserProvidedCacheLocator


class FrozenAppCacheLocator(UserProvidedCacheLocator):
    @classmethod
    def get_suitable_cache_subpath(cls, py_file: str) -> str:
        # Frozen modules carry relative file names ("umap/layouts.py"): key on them as they are,
        # not on an absolute path that would change with the working directory.
        folder = os.path.dirname(py_file) or "."
        return f"{os.path.basename(folder) or 'top'}_{hashlib.sha1(folder.encode()).hexdigest()}"

    @classmethod
    def from_function(cls, py_func, py_file):
        if not config.CACHE_DIR:
            return None
        locator = cls(py_func, py_file)
        try:
            locator.ensure_cache_path()
        except OSError:
            return None
        return locator
