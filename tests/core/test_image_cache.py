"""Image folders decoded once into the image cache, and decoded again when a file changes."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from latentlab.core.data import DatasetError, LoadCancelled, load_image_folder
from latentlab.core.data.image_cache import CACHE_ENV, evict
from latentlab.core.data.images import decode_image, to_float_images


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    return folder


def entries(cache: Path) -> list[Path]:
    return sorted(cache.iterdir()) if cache.is_dir() else []


def make_folder(root: Path, n: int = 12, colour: bool = False, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for i in range(n):
        (root / str(i % 3)).mkdir(parents=True, exist_ok=True)
        shape = (6, 6, 3) if colour else (6, 6)
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8)).save(
            root / str(i % 3) / f"{i:02d}.png")
    return root


def test_a_folder_is_decoded_once_and_reopened_from_a_read_only_memory_map(
        tmp_path: Path, cache: Path) -> None:
    folder = make_folder(tmp_path / "digits", colour=True)
    first = load_image_folder(folder, size=6)
    assert len(entries(cache)) == 1 and first.x.dtype == np.uint8
    reports: list[tuple[int, int]] = []
    again = load_image_folder(folder, size=6, progress=lambda d, t: reports.append((d, t)))
    assert isinstance(again.x, np.memmap) and not again.x.flags.writeable
    np.testing.assert_array_equal(again.x, first.x)
    assert again.labels.tolist() == first.labels.tolist() and reports == [(12, 12)]
    # Exactly the floats the loader made before the cache: decoded, then divided by 255.
    files = sorted(folder.rglob("*.png"), key=lambda p: (int(p.parent.name), p.name))
    decoded = np.stack([decode_image(p, 6, True)[0] for p in files])
    assert again.images().tobytes() == to_float_images(decoded).tobytes()


def test_another_size_or_mode_is_another_entry(tmp_path: Path, cache: Path) -> None:
    folder = make_folder(tmp_path / "digits")
    load_image_folder(folder, size=6)
    load_image_folder(folder, size=4)
    load_image_folder(folder, size=6, mode="rgb")
    assert len(entries(cache)) == 3
    assert load_image_folder(folder, size=6, mode="rgb").input_shape == (3, 6, 6)


@pytest.mark.parametrize("change", ["changed", "added", "removed"])
def test_a_changed_added_or_removed_file_is_decoded_again(tmp_path: Path, cache: Path,
                                                          change: str) -> None:
    folder = make_folder(tmp_path / "digits")
    before = load_image_folder(folder, size=6)
    target = folder / "1" / "04.png"
    if change == "changed":
        Image.fromarray(np.full((6, 6), 255, np.uint8)).save(target)
        os.utime(target, ns=(1, 1))  # a new size or time, whichever the file system shows
    elif change == "added":
        Image.fromarray(np.full((6, 6), 255, np.uint8)).save(folder / "1" / "99.png")
    else:
        target.unlink()
    after = load_image_folder(folder, size=6)
    assert len(entries(cache)) == 2
    assert after.n == before.n + {"changed": 0, "added": 1, "removed": -1}[change]
    if change == "changed":
        assert (after.images() == 1.0).all(axis=(1, 2, 3)).sum() == 1


@pytest.mark.parametrize("damage", ["flipped", "truncated", "record", "missing"])
def test_a_damaged_entry_is_rebuilt_not_trusted(tmp_path: Path, cache: Path,
                                                damage: str) -> None:
    folder = make_folder(tmp_path / "digits")
    good = np.array(load_image_folder(folder, size=6).x)
    (entry,) = entries(cache)
    pixels = entry / "pixels"
    data = bytearray(pixels.read_bytes())
    if damage == "flipped":
        data[5] ^= 0xFF
        pixels.write_bytes(bytes(data))
    elif damage == "truncated":
        pixels.write_bytes(bytes(data[:-7]))
    elif damage == "record":
        (entry / "meta.json").write_text("{not json")
    else:
        (entry / "meta.json").unlink()
    again = load_image_folder(folder, size=6)
    np.testing.assert_array_equal(again.x, good)
    assert entries(cache) == [entry] and pixels.stat().st_size == good.size


def test_a_cancelled_decode_leaves_no_entry(tmp_path: Path, cache: Path) -> None:
    folder = make_folder(tmp_path / "digits", n=600)
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done:
            cancel.set()

    with pytest.raises(LoadCancelled):
        load_image_folder(folder, size=6, progress=progress, cancel=cancel, workers=1)
    assert entries(cache) == []


def test_a_folder_of_unreadable_images_leaves_no_entry(tmp_path: Path, cache: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    for i in range(3):
        (folder / f"{i}.png").write_bytes(b"not a png")
    with pytest.raises(DatasetError, match=r"broken: none of its 3 image files could be read"):
        load_image_folder(folder)
    assert entries(cache) == []


def test_skipped_files_are_remembered_with_their_reasons(tmp_path: Path, cache: Path) -> None:
    folder = make_folder(tmp_path / "digits")
    (folder / "2" / "bad.png").write_bytes(b"not a png")
    first = load_image_folder(folder, size=6)
    again = load_image_folder(folder, size=6)
    assert again.skipped == first.skipped == (("2/bad.png", "not a readable image"),)
    assert again.n == 12 and len(entries(cache)) == 1


def test_the_cache_drops_the_least_recently_opened_entries_over_its_bound(
        tmp_path: Path, cache: Path) -> None:
    made = []
    for i in range(3):
        load_image_folder(make_folder(tmp_path / f"set{i}", seed=i), size=6)
        (new,) = set(entries(cache)) - set(made)
        os.utime(new / "meta.json", (1000 + i, 1000 + i))  # opened in this order
        made.append(new)
    oldest, middle, newest = made
    two = sum(p.stat().st_size for e in (oldest, newest) for p in e.iterdir())
    assert evict(cache, keep=oldest, limit=two) == [middle]
    assert entries(cache) == sorted([oldest, newest])
    assert evict(cache, keep=oldest, limit=0) == [newest]
    assert entries(cache) == [oldest]
    # Reopening an entry makes it the most recent.
    load_image_folder(tmp_path / "set0", size=6)
    assert (oldest / "meta.json").stat().st_mtime > 1002
