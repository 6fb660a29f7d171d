"""CycleGAN on the command line: the second domain's flags, training, evaluate rebuilding the
pair from the checkpoint, and the flags it refuses."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from latentlab.cli.common import CHECKPOINT_NAME
from latentlab.core.files.checkpoint import read_meta
from tests.cli_helpers import one_error_line, run

FAST = ["--epochs", "1", "--batch-size", "64", "--data", "digits"]


@pytest.fixture(scope="module")
def cyclegan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One epoch of CycleGAN between the digits and their inverted half."""
    from latentlab.cli import main

    out = tmp_path_factory.mktemp("cyclegan")
    assert main(["train", "--model", "cyclegan", "--derive-b", "inverted", *FAST, "--out",
                 str(out), "--quiet"]) == 0
    return out / CHECKPOINT_NAME


def test_train_records_the_second_domain(cyclegan: Path) -> None:
    meta = read_meta(cyclegan)
    assert meta.model.family == "cyclegan" and meta.model.gan_loss == "least_squares"
    assert (meta.model.cycle_weight, meta.model.identity_weight) == (10.0, 0.5)
    assert meta.data["domains"] == {"derive": "inverted"} and meta.data["source"] == "digits"
    assert meta.data["name"] == "digits ↔ digits inverted"
    assert set(meta.metrics) >= {"train_cycle", "test_cycle", "train_identity"}
    assert "a CycleGAN (ResNet generators, cycle λ 10, identity 0.5·λ)" in meta.describe()


def test_evaluate_rebuilds_the_pair_and_scores_the_round_trips(capsys, cyclegan: Path) -> None:
    code, out, err = run(capsys, "evaluate", str(cyclegan), "--json")
    assert code == 0, err
    result = json.loads(out)
    cycle = result["cycle"]
    assert cycle["items_a"] + cycle["items_b"] == result["data"]["n_test"]
    assert 0 <= cycle["cycle_l1_a"] < 0.5 and 0 <= cycle["cycle_l1_b"] < 0.5
    assert 0 <= cycle["label_preservation"] <= 1 and 0 <= cycle["no_adaptation"] <= 1
    assert result["sample_quality"]["frechet_distance"] is None
    assert result["translation"] is None and result["reconstruction_sse_per_image"] is None
    code, out, err = run(capsys, "evaluate", str(cyclegan))
    assert code == 0 and "cycle (" in out and "a classifier of B reads" in out


def test_two_datasets_are_matched_in_size_and_colour(capsys, tmp_path: Path) -> None:
    colour = tmp_path / "colour.npz"
    rng = np.random.default_rng(0)
    np.savez(colour, x=rng.random((40, 12, 12, 3), dtype=np.float32))
    code, _, err = run(capsys, "train", "--model", "cyclegan", "--data-b", str(colour), *FAST,
                       "--out", str(tmp_path / "out"), "--quiet")
    assert code == 0, err
    meta = read_meta(tmp_path / "out" / CHECKPOINT_NAME)
    assert meta.input_shape == (3, 12, 12) and meta.data["domains"] == {"b": str(colour)}


def test_a_missing_or_misplaced_second_domain_is_refused(capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, "train", "--model", "cyclegan", *FAST, "--out", str(tmp_path))
    assert code == 2
    one_error_line(err, "two domains", "--data-b")
    code, _, err = run(capsys, "train", "--model", "vae", "--derive-b", "thick", *FAST, "--out",
                       str(tmp_path))
    assert code == 2
    one_error_line(err, "--model cyclegan")
    code, _, err = run(capsys, "train", "--model", "cyclegan", "--classes-a", "0,1", *FAST,
                       "--out", str(tmp_path))
    assert code == 2
    one_error_line(err, "--classes-a and --classes-b go together")
    code, _, err = run(capsys, "train", "--model", "cyclegan", "--classes-a", "0",
                       "--classes-b", "x", *FAST, "--out", str(tmp_path))
    assert code == 1
    one_error_line(err, "digits", "x are not among")
