"""pix2pix on a user's own A → B pairs: the paired loaders, the task ``pairs``, and the
command line from loading to evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from latentlab.cli.common import CHECKPOINT_NAME
from latentlab.config import ModelConfig
from latentlab.core.data import DatasetError, load_source
from latentlab.core.data.builtin import load_builtin
from latentlab.core.models.pix2pix import Pix2Pix
from latentlab.lab.translation import TranslationLab
from latentlab.lab.translation_data import load_translation_data
from tests.cli_helpers import one_error_line, run

SIDE = 16


def _png(path: Path, value: int, side: int = SIDE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.full((side, side), value, np.uint8)
    pixels[side // 4 : side // 2, side // 4 : side // 2] = 255 - value  # something to learn
    Image.fromarray(pixels, "L").save(path)


def _pair_folder(root: Path, good: int) -> Path:
    """``good`` matching pairs (B is A inverted), plus one A without a partner, one B without
    a partner and one pair of different sizes."""
    for i in range(good):
        _png(root / "A" / f"{i}.png", 10 * i)
        _png(root / "B" / f"{i}.png", 255 - 10 * i)
    _png(root / "A" / "lonely.png", 0)
    _png(root / "B" / "orphan.png", 0)
    _png(root / "A" / "odd.png", 0)
    _png(root / "B" / "odd.png", 0, side=8)
    return root


def test_a_pair_folder_keeps_the_good_pairs_and_lists_the_rest(tmp_path: Path) -> None:
    data = load_source(_pair_folder(tmp_path / "pairs", good=6), pairs=True, size=SIDE)
    assert data.x.shape == data.targets.shape == (6, 1, SIDE, SIDE)
    assert data.labels is None and data.is_test.any() and (~data.is_test).any()
    # A's pixel 0 is 10·i and B's 255 − 10·i: the pairs are matched by name.
    np.testing.assert_allclose(data.x[:, 0, 0, 0] + data.targets[:, 0, 0, 0], 1.0, atol=1e-6)
    skipped = dict(data.skipped)
    assert set(skipped) == {"A/lonely.png", "B/orphan.png", "A/odd.png"}
    assert "no partner" in skipped["A/lonely.png"] and "B/" in skipped["A/lonely.png"]
    assert "no partner" in skipped["B/orphan.png"] and "A/" in skipped["B/orphan.png"]
    assert "16×16" in skipped["A/odd.png"] and "8×8" in skipped["A/odd.png"]
    assert "6 pairs" in data.describe()


def test_a_pair_folder_with_fewer_than_two_pairs_is_refused(tmp_path: Path) -> None:
    folder = _pair_folder(tmp_path / "few", good=1)
    with pytest.raises(DatasetError, match="at least 2") as caught:
        load_source(folder, pairs=True)
    assert str(folder) in str(caught.value)
    with pytest.raises(DatasetError, match="B/ is missing"):
        _png(tmp_path / "onesided" / "A" / "0.png", 0)
        load_source(tmp_path / "onesided", pairs=True)


def test_without_pairs_the_folder_is_two_classes_of_images(tmp_path: Path) -> None:
    data = load_source(_pair_folder(tmp_path / "pairs", good=3), size=SIDE)
    assert data.targets is None and data.class_names == ("A", "B")


def test_an_npz_of_a_and_b(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (10, SIDE, SIDE), dtype=np.uint8)
    np.savez(tmp_path / "ab.npz", A=a, B=255 - a)
    data = load_source(tmp_path / "ab.npz", pairs=True)
    assert data.x.shape == data.targets.shape == (10, 1, SIDE, SIDE)
    np.testing.assert_allclose(data.x + data.targets, 1.0, atol=1e-6)
    np.savez(tmp_path / "bad.npz", A=a, B=a[:, :8, :8])
    with pytest.raises(DatasetError) as caught:
        load_source(tmp_path / "bad.npz", pairs=True)
    assert "(10, 16, 16)" in str(caught.value) and "(10, 8, 8)" in str(caught.value)
    np.savez(tmp_path / "x.npz", x=a)
    with pytest.raises(DatasetError, match="named A and B"):
        load_source(tmp_path / "x.npz", pairs=True)


def test_the_pairs_task_needs_paired_data_and_the_others_ignore_targets(tmp_path) -> None:
    digits = load_builtin("digits")
    model = Pix2Pix(ModelConfig(family="pix2pix", task="pairs"), digits.input_shape)
    problem = model.data_problem(digits)
    assert problem is not None and "digits" in problem and "pairs" in problem
    paired = load_source(_pair_folder(tmp_path / "pairs", good=4), pairs=True, size=SIDE)
    assert model.data_problem(paired) is None
    assert model.side_input(paired) is paired.targets
    edges = Pix2Pix(ModelConfig(family="pix2pix", task="edges"), paired.input_shape)
    assert edges.side_input(paired) is None and edges.data_problem(paired) is None


def test_train_and_evaluate_on_pairs_from_the_command_line(capsys, tmp_path: Path) -> None:
    folder = _pair_folder(tmp_path / "pairs", good=8)
    out = tmp_path / "run"
    code, _, err = run(capsys, "train", "--model", "pix2pix", "--task", "pairs", "--data",
                       str(folder), "--pairs", "--image-size", str(SIDE), "--epochs", "1",
                       "--batch-size", "4", "--out", str(out), "--quiet")
    assert code == 0, err
    # The checkpoint records the loader options: evaluate reads the same pairs again.
    code, report, err = run(capsys, "evaluate", str(out / CHECKPOINT_NAME), "--data",
                            str(folder), "--json")
    assert code == 0, err
    translation = json.loads(report)["translation"]
    assert translation["task"] == "pairs" and 0 <= translation["l1"] <= 1
    assert translation["classifier_accuracy_on_outputs"] is None and "no labels" in (
        translation["note"])
    # The drawing pad makes its pairs from digits: a model of the user's pairs is refused.
    lab = TranslationLab(data=load_translation_data("digits 8×8"))
    errors: list[str] = []
    lab.notes.error.connect(lambda _title, text, _details: errors.append(text))
    lab.open_checkpoint(out / CHECKPOINT_NAME)
    assert lab.model is None and errors and "own pairs" in errors[-1]


def test_the_pairs_task_on_ordinary_data_is_refused(capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, "train", "--model", "pix2pix", "--task", "pairs", "--data",
                       "digits", "--epochs", "1", "--out", str(tmp_path))
    assert code != 0
    one_error_line(err, "digits", "pairs")


def test_a_damaged_image_skips_its_pair_naming_the_side(tmp_path: Path) -> None:
    folder = _pair_folder(tmp_path / "pairs", good=3)
    (folder / "B" / "0.png").write_bytes(b"not a png")
    data = load_source(folder, pairs=True, size=SIDE)
    assert data.n == 2 and dict(data.skipped)["B/0.png"] == "not a readable image"
