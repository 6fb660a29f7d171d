"""Lab files: a lesson in one JSON file, saved atomically, movable as a folder."""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import latentlab.core.files.atomic
from latentlab.core.data import DatasetError, load_source
from latentlab.core.data.source import DataSource
from latentlab.core.files.labfile import (
    LAB_KIND,
    LAB_SUFFIX,
    LAB_VERSION,
    DatasetMissing,
    Lab,
    LabFileError,
    dataset_options,
    load_lab,
    relocate_dataset,
    save_lab,
)
from tests.core.test_checkpoint import JSON_VALUES, mutated_json


def lesson(tmp_path: Path) -> tuple[Path, Lab]:
    """A lesson folder: data/, models/, and a lab that uses them (absolute paths in memory)."""
    folder = tmp_path / "lesson"
    (folder / "data" / "faces").mkdir(parents=True)
    (folder / "models").mkdir()
    for name in ("vae.safetensors", "gan.safetensors"):
        (folder / "models" / name).write_bytes(b"")
    lab = Lab(
        dataset=DataSource.parse(str(folder / "data" / "faces"), size=32, mode="L"),
        checkpoints=[str(folder / "models" / "vae.safetensors"),
                     str(folder / "models" / "gan.safetensors")],
        maps={"colour_by": "label", "latent": {"method": "pca"}},
        probes={"pixels": [0.5, -1.25], "latent": [0.0, 2.0]},
    )
    return folder, lab


def test_round_trip_with_paths_relative_to_the_lab(tmp_path) -> None:
    folder, lab = lesson(tmp_path)
    path = save_lab(folder / f"week1{LAB_SUFFIX}", lab)
    assert path == folder / "week1.latentlab"
    stored = json.loads(path.read_text("utf-8"))
    assert stored == {
        "kind": LAB_KIND, "version": LAB_VERSION,
        "dataset": {"source": "data/faces", "options": {"size": 32, "mode": "L"}},
        "checkpoints": ["models/vae.safetensors", "models/gan.safetensors"],
        "maps": {"colour_by": "label", "latent": {"method": "pca"}},
        "probes": {"pixels": [0.5, -1.25], "latent": [0.0, 2.0]},
    }
    assert load_lab(path) == lab

    # The teacher copies the whole folder to the classroom machine: the lab still works there.
    moved = shutil.move(folder, tmp_path / "classroom")
    opened = load_lab(Path(moved) / "week1.latentlab")
    assert opened.source == str(tmp_path / "classroom" / "data" / "faces")
    assert opened.checkpoints == [str(tmp_path / "classroom" / "models" / n)
                                  for n in ("vae.safetensors", "gan.safetensors")]
    assert opened.missing_checkpoints() == []
    assert opened.options == {"size": 32, "mode": "L"}
    assert opened.probes == lab.probes and opened.maps == lab.maps


def test_paths_outside_the_folder_stay_absolute_and_names_stay_names(tmp_path) -> None:
    outside = tmp_path / "shared" / "model.safetensors"
    lab = Lab(DataSource.parse("mnist"), [str(outside)])
    path = save_lab(tmp_path / "labs" / "a.latentlab", lab)  # the folder is created
    stored = json.loads(path.read_text("utf-8"))
    assert stored["dataset"] == {"source": "mnist", "options": {}}
    assert stored["checkpoints"] == [str(outside)]
    loaded = load_lab(path)
    assert loaded.source == "mnist" and loaded.checkpoints == [str(outside)]
    assert loaded.missing_checkpoints() == [str(outside)]
    assert load_lab(save_lab(tmp_path / "d.latentlab", Lab(DataSource.parse("digits")))).source == \
        "digits"


def test_paths_with_undecodable_bytes_survive(tmp_path) -> None:
    lab = Lab(DataSource.parse("digits"), [os.fsdecode(b"/models/caf\xe9.safetensors")])
    assert load_lab(save_lab(tmp_path / "a.latentlab", lab)) == replace(
        lab, dataset=DataSource.parse("digits"))


def test_relative_paths_in_memory_are_taken_from_the_current_folder(tmp_path,
                                                                    monkeypatch) -> None:
    folder, _ = lesson(tmp_path)
    monkeypatch.chdir(folder)
    path = save_lab("x.latentlab", Lab(DataSource.parse("data/faces"), ["models/vae.safetensors"]))
    assert json.loads(path.read_text("utf-8"))["checkpoints"] == ["models/vae.safetensors"]
    assert load_lab(path).checkpoints == [str(folder / "models" / "vae.safetensors")]


def test_missing_dataset_carries_its_path_and_can_be_relocated(tmp_path) -> None:
    folder, lab = lesson(tmp_path)
    path = save_lab(folder / "week1.latentlab", lab)
    shutil.rmtree(folder / "data")
    with pytest.raises(DatasetMissing) as info:
        load_lab(path)
    missing = info.value
    assert isinstance(missing, LabFileError)
    assert missing.path == folder / "data" / "faces"
    assert missing.lab_path == path
    assert str(path) in str(missing) and str(folder / "data" / "faces") in str(missing)
    assert missing.lab is not None and missing.lab.checkpoints == lab.checkpoints

    # The GUI asks where the dataset went, and carries on.
    new_home = tmp_path / "elsewhere" / "faces"
    new_home.mkdir(parents=True)
    moved = relocate_dataset(missing.lab, str(new_home))
    assert moved.source == str(new_home) and moved.options == lab.options
    assert moved.probes == lab.probes
    save_lab(path, moved)
    assert load_lab(path) == moved
    assert relocate_dataset(moved, "digits").source == "digits"
    with pytest.raises(DatasetMissing) as again:
        relocate_dataset(moved, tmp_path / "not-there")
    assert again.value.path == tmp_path / "not-there"


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "not valid JSON"),
    (b"\xff\xfe junk", "not valid JSON"),
    (b"[1, 2]", "not a latentlab lab file"),
    (b'{"kind": "something else"}', "not a latentlab lab file"),
    (b'{"kind": "latentlab lab", "version": 2, "dataset": 7}',
     "newer latentlab (lab format 2; this one reads 1)"),
    (b'{"kind": "latentlab lab", "version": "1"}', "version is missing or invalid"),
    (b'{"kind": "latentlab lab", "version": 1}', "'dataset' must be an object"),
    (b'{"kind": "latentlab lab", "version": 1, "dataset": {"source": ""}}',
     "'dataset.source' must be"),
    (b'{"kind": "latentlab lab", "version": 1, "dataset": {"source": "digits", '
     b'"options": {"progress": 1}}}', "unknown options: progress"),
    (b'{"kind": "latentlab lab", "version": 1, "dataset": {"source": "digits", '
     b'"options": {"size": [32, 32]}}}', "'size' must be a single value"),
    (b'{"kind": "latentlab lab", "version": 1, "dataset": {"source": "digits"}, '
     b'"checkpoints": "a.safetensors"}', "'checkpoints' must be a list of paths"),
    (b'{"kind": "latentlab lab", "version": 1, "dataset": {"source": "digits"}, '
     b'"probes": {"latent": [1, 2, 3]}}', "probe 'latent' must be [x, y]"),
    (b'{"kind": "latentlab lab", "version": 1, "dataset": {"source": "digits"}, '
     b'"probes": {"latent": [NaN, 2]}}', "not valid JSON"),
    (b'{"kind": "latentlab lab", "version": 1, "dataset": {"source": "digits"}, "maps": []}',
     "'maps' must be an object"),
])
def test_bad_lab_files_name_the_file_and_the_reason(tmp_path, content, expected) -> None:
    path = tmp_path / "bad.latentlab"
    path.write_bytes(content)
    with pytest.raises(LabFileError) as info:
        load_lab(path)
    assert not isinstance(info.value, DatasetMissing)
    assert str(info.value).startswith(f"{path}: ")
    assert expected in str(info.value)


def test_missing_file_and_folder(tmp_path) -> None:
    with pytest.raises(LabFileError, match=r"nope\.latentlab: no such file"):
        load_lab(tmp_path / "nope.latentlab")
    with pytest.raises(LabFileError, match="is a folder"):
        load_lab(tmp_path)


def test_a_byte_order_mark_is_fine(tmp_path) -> None:
    path = tmp_path / "notepad.latentlab"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(
        {"kind": LAB_KIND, "version": 1, "dataset": {"source": "digits"}}).encode())
    assert load_lab(path) == Lab(DataSource.parse("digits"))


def test_every_stored_option_is_one_load_source_takes() -> None:
    assert {"size", "mode", "images_key", "labels_key", "test_fraction"} <= dataset_options()
    # Unknown options would be a TypeError; these reach the loader, which then says the path is
    # missing.
    with pytest.raises(DatasetError, match="no such file"):
        load_source("/no/such/dataset", **dict.fromkeys(dataset_options()))


# -------------------------------------------------------------------------- safe saving


def test_save_into_an_unwritable_folder(tmp_path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    with pytest.raises(LabFileError, match=r"a\.latentlab: cannot write into .*blocker.*"
                                           r"nothing was written"):
        save_lab(blocker / "lessons" / "a.latentlab", Lab(DataSource.parse("digits")))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]
    if os.geteuid() != 0:  # chmod does not stop root
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            with pytest.raises(LabFileError, match=r"cannot write into .*locked"):
                save_lab(locked / "a.latentlab", Lab(DataSource.parse("digits")))
            assert list(locked.iterdir()) == []
        finally:
            locked.chmod(0o700)


def test_a_failed_save_leaves_the_existing_lab_intact(tmp_path, monkeypatch) -> None:
    folder, lab = lesson(tmp_path)
    path = save_lab(folder / "week1.latentlab", lab)
    before = path.read_bytes()

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(latentlab.core.files.atomic.os, "fsync", disk_full)
    with pytest.raises(LabFileError, match=r"No space left on device.*existing file is unchanged"):
        save_lab(path, replace(lab, maps={"colour_by": "category"}))
    monkeypatch.undo()
    assert path.read_bytes() == before
    # A lab that could not be read back is refused before anything is written.
    for bad in (replace(lab, probes={"latent": [float("nan"), 0.0]}),
                replace(lab, maps={"x": float("inf")}),
                replace(lab, maps={"x": object()}),
                replace(lab, dataset={"options": {}}),
                replace(lab, dataset=DataSource.parse("digits", bogus=1))):
        with pytest.raises(LabFileError, match=r"week1\.latentlab: not saved"):
            save_lab(path, bad)
    assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["data", "models", "week1.latentlab"]


# ------------------------------------------------------------------------------- fuzzing

FUZZ = settings(max_examples=400, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
VALID = {"kind": LAB_KIND, "version": 1,
         "dataset": {"source": "digits", "options": {"size": 28, "mode": "L"}},
         "checkpoints": ["models/a.safetensors", "/abs/b.safetensors"],
         "maps": {"colour_by": "label", "latent": {"method": "pca", "zoom": [1, 2]}},
         "probes": {"pixels": [0.5, 1.5], "latent": [-1, 2]}}


def expect_lab_error_or_success(path: Path) -> None:
    try:
        lab = load_lab(path)
    except LabFileError as exc:
        assert str(path) in str(exc)
    else:  # whatever loads also saves and loads back the same
        assert load_lab(save_lab(path, lab)) == lab


@FUZZ
@given(mutated=mutated_json(VALID))
def test_fuzz_mutated_lab_json(mutated) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.latentlab"
        path.write_text(json.dumps(mutated), encoding="utf-8")
        expect_lab_error_or_success(path)


@FUZZ
@given(text=st.text(max_size=40), pos=st.integers(0, 400), cut=st.booleans(),
       value=JSON_VALUES)
def test_fuzz_mutated_lab_text(text, pos, cut, value) -> None:
    raw = json.dumps({**VALID, "maps": {"extra": value}})
    raw = raw[:pos] if cut else raw[:pos] + text + raw[pos:]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.latentlab"
        path.write_text(raw, encoding="utf-8", errors="surrogatepass")
        expect_lab_error_or_success(path)
