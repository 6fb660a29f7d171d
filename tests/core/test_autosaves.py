"""Autosaves are listed in an index and bounded; only the app's own files are ever deleted."""

from __future__ import annotations

import json
import os
from pathlib import Path

from latentlab.core.files import autosaves


def fake_autosaves(folder: Path, n: int, size: int = 10) -> list[Path]:
    paths = []
    for i in range(n):
        path = folder / f"digits-ae-{i:03d}.safetensors"
        path.write_bytes(b"x" * size)
        os.utime(path, (1000 + i, 1000 + i))
        assert autosaves.record(path) == ""
        paths.append(path)
    return paths


def test_the_last_50_autosaves_are_kept_and_hand_saved_models_are_untouched(tmp_path) -> None:
    hand = tmp_path / "my-best.safetensors"
    hand.write_bytes(b"mine")
    paths = fake_autosaves(tmp_path, 55)
    deleted = autosaves.prune(tmp_path)
    assert deleted == paths[4::-1]  # the five oldest, newest of them first
    assert sorted(tmp_path.glob("*.safetensors")) == sorted([hand, *paths[5:]])
    assert [a.path for a in autosaves.autosaves(tmp_path)] == paths[:4:-1]
    # Saved by hand over an autosave's name: the user's now, never pruned.
    autosaves.forget(paths[5])
    assert autosaves.prune(tmp_path, keep=1) == paths[:5:-1][1:]
    assert sorted(tmp_path.glob("*.safetensors")) == sorted([hand, paths[5], paths[-1]])


def test_a_size_cap_deletes_the_oldest_but_never_the_newest(tmp_path) -> None:
    paths = fake_autosaves(tmp_path, 4, size=100)
    assert autosaves.prune(tmp_path, max_bytes=250) == [paths[1], paths[0]]
    assert autosaves.prune(tmp_path, max_bytes=10) == [paths[2]]
    assert [a.path for a in autosaves.autosaves(tmp_path)] == [paths[3]]


def test_a_damaged_or_hostile_index_deletes_nothing_outside(tmp_path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    outside = tmp_path / "precious.safetensors"
    outside.write_bytes(b"keep")
    (folder / autosaves.INDEX_NAME).write_text(json.dumps({"autosaves": [
        {"name": "../precious.safetensors", "saved": 1}, {"name": str(outside), "saved": 2},
        {"name": 7}, "junk"]}))
    assert autosaves.autosaves(folder) == [] and autosaves.prune(folder, keep=0) == []
    (folder / autosaves.INDEX_NAME).write_text("{not json")
    assert autosaves.autosaves(folder) == [] and outside.is_file()
