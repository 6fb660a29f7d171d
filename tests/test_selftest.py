from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import latentlab.cli.selftest as selftest
from latentlab.core.files import userdirs


def test_cache_folder_is_used_when_writable(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(userdirs.platformdirs, "user_cache_dir",
                        lambda *a, **k: str(tmp_path / "c"))
    cache = userdirs.user_cache_folder()
    assert cache.path == tmp_path / "c" and cache.problem == "" and cache.path.is_dir()


def test_unusable_cache_folder_falls_back_and_says_why(tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should go")
    monkeypatch.setattr(userdirs.platformdirs, "user_cache_dir",
                        lambda *a, **k: str(blocker / "latentlab"))
    cache = userdirs.user_cache_folder()
    assert cache.path.is_dir() and cache.path != blocker / "latentlab"
    assert f"cannot write to {blocker / 'latentlab'}" in cache.problem
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    userdirs.configure_numba_cache(cache)
    assert os.environ["NUMBA_CACHE_DIR"] == str(cache.path / "numba")


def test_a_failing_step_gives_a_failed_verdict(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))  # run_self_test would set it for good

    def broken() -> str:
        raise OSError("no such file: digits.csv.gz")

    monkeypatch.setattr(selftest, "_train_and_decode", broken)
    lines: list[str] = []
    assert selftest.run_self_test(lines.append) == 1
    assert lines[-1] == (f"{selftest.VERDICT_FAILED} at 'train and decode': "
                         "OSError: no such file: digits.csv.gz")


@pytest.mark.slow
def test_self_test_command_passes(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CACHE_HOME": str(tmp_path)}
    env.pop("NUMBA_CACHE_DIR", None)
    result = subprocess.run([sys.executable, "-m", "latentlab", "self-test"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith(selftest.VERDICT_OK)
    assert any((tmp_path / "latentlab" / "numba").iterdir())  # numba cached its code there


def test_frozen_app_locator_caches_under_numba_cache_dir(tmp_path: Path, monkeypatch) -> None:
    from numba.core import config

    from latentlab.core.maps.numba_cache import FrozenAppCacheLocator

    monkeypatch.setattr(config, "CACHE_DIR", str(tmp_path))

    def jitted() -> None: ...

    # A frozen module's file name is relative and exists nowhere on disk.
    locator = FrozenAppCacheLocator.from_function(jitted, "umap/layouts.py")
    assert locator is not None and Path(locator.get_cache_path()).parent == tmp_path
    assert Path(locator.get_cache_path()).is_dir()
    monkeypatch.chdir("/")  # the cache place must not depend on the working directory
    again = FrozenAppCacheLocator.from_function(jitted, "umap/layouts.py")
    assert again.get_cache_path() == locator.get_cache_path()
    monkeypatch.setattr(config, "CACHE_DIR", "")
    assert FrozenAppCacheLocator.from_function(jitted, "umap/layouts.py") is None
