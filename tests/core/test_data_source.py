"""DataSource: the one value that says what to load — parsing a name or a path, JSON round trips,
loading with progress and cancel."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from latentlab.core.data import DatasetError, LoadCancelled
from latentlab.core.data.source import DataSource, LoadProgress


def test_a_catalogue_name_is_a_name_and_anything_else_a_path(tmp_path: Path,
                                                             monkeypatch) -> None:
    digits, mnist = DataSource.parse("digits"), DataSource.parse("mnist")
    assert digits.is_catalogue and mnist.is_catalogue
    assert digits.label.startswith("Digits") and mnist.label == "MNIST"
    folder = DataSource.parse(tmp_path / "faces", size=32)
    assert not folder.is_catalogue and folder.label == "faces"
    assert folder.location == str(tmp_path / "faces") and folder.options == {"size": 32}
    assert not DataSource.parse("no-such-name").is_catalogue
    # A folder that happens to be called like a catalogue dataset is that folder.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mnist").mkdir()
    assert not DataSource.parse("mnist").is_catalogue
    assert not DataSource.parse(Path("kmnist")).is_catalogue  # a Path is always a path


def test_sources_are_values(tmp_path: Path) -> None:
    a, b = DataSource.parse("digits"), DataSource.parse("digits")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    c = DataSource.parse(tmp_path, size=16, mode="L")
    assert c == DataSource.parse(tmp_path, mode="L", size=16) != c.with_options(size=8)
    assert c.with_options(size=8).options == {"size": 8, "mode": "L"}
    with pytest.raises(TypeError):
        c.options["size"] = 4  # type: ignore[index]
    given = {"size": 16}
    d = DataSource(str(tmp_path), given)
    given["size"] = 99  # the source keeps its own copy
    assert d.options == {"size": 16}


def test_json_round_trip(tmp_path: Path) -> None:
    for source in (DataSource.parse("mnist", cache_dir=tmp_path),
                   DataSource.parse(tmp_path / "docs.csv", max_words=500, test_fraction=0.1),
                   DataSource.parse("digits")):
        assert DataSource.from_dict(source.to_dict()) == source
    assert DataSource.parse("digits").to_dict() == {"source": "digits", "options": {}}


@pytest.mark.parametrize(("data", "field"), [
    ([], "source"), ({}, "source"), ({"source": ""}, "source"), ({"source": 3}, "source"),
    ({"source": "a\0b"}, "source"), ({"source": "digits", "options": []}, "options"),
    ({"source": "digits", "options": {1: 2}}, "options"),
    ({"source": "mnist", "cache_dir": 5}, "cache_dir"),
])
def test_a_bad_dict_names_the_field(data: object, field: str) -> None:
    with pytest.raises(ValueError, match=f"'{field}'" if data != [] else "source"):
        DataSource.from_dict(data)


def test_load_the_builtin_digits_with_progress() -> None:
    reports: list[LoadProgress] = []
    data = DataSource.parse("digits").load(progress=reports.append)
    assert data.n == 1797 and data.input_shape == (1, 8, 8)
    assert reports and reports[0].text.startswith("Loading Digits") and reports[0].total is None


def test_load_a_folder_with_options_reports_files_read(tmp_path: Path) -> None:
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        for i in range(3):
            Image.fromarray(np.full((10, 10), 40 * i, np.uint8)).save(tmp_path / label / f"{i}.png")
    reports: list[LoadProgress] = []
    data = DataSource.parse(tmp_path, size=4, workers=1).load(progress=reports.append)
    assert data.n == 6 and data.input_shape == (1, 4, 4)
    assert reports[-1].text == f"Reading {tmp_path.name}: 6 of 6 files"
    assert reports[-1].fraction == 1.0


def test_a_missing_path_names_it(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such file or folder"):
        DataSource.parse(tmp_path / "gone").load()


def test_load_can_be_cancelled() -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(LoadCancelled):
        DataSource.parse("digits").load(cancel=cancel)
