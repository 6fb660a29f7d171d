"""``latentlab semisup``: its JSON, its table, and what a failure looks like."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from latentlab.core.semisup import SweepResult
from tests.cli_helpers import TINY, one_error_line, run

FAST = ["--repeats", "1", "--quiet"]


def test_json_follows_the_documented_schema(capsys, trained: Path) -> None:
    code, out, err = run(capsys, "semisup", str(trained.parent), "--labels", "20,all",
                         "--repeats", "2", "--seed", "4", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert set(result) == {"schema", "settings", "labelled", "results", "references",
                           "seconds", "model", "data"}
    assert result["schema"] == 1 and result["labelled"] is None
    assert result["settings"] == {"budgets": [20, "all"], "methods": ["scratch", "linear",
                                  "knn", "finetune", "propagation"], "repeats": 2,
                                  "per_class": False, "seed": 4, "references": True}
    for method, entries in result["results"].items():
        assert [e["budget"] for e in entries] == [20, "all"], method
        assert [e["labels"] for e in entries] == [20, result["data"]["n_train"]]
        for e in entries:
            assert len(e["runs"]) == 2 and e["seeds"] == [4, 5]
            assert 0 <= e["mean"] <= 1 and e["std"] >= 0
    assert result["references"]["features"] == "PCA of pixels, 50 components"
    assert set(result["references"]["results"]) == {"linear", "knn", "propagation"}
    assert result["model"]["checkpoint"] == str(trained.resolve())
    assert result["data"]["source"] == "digits" and result["data"]["n_classes"] == 10
    # Progress went to stderr, one line per step.
    assert "semisup 1/" in err and "codes of 1,797 items" in err
    assert SweepResult.from_json(result).settings.budgets == (20, 0)


def test_the_table_and_per_class_budgets(capsys, trained: Path) -> None:
    code, out, err = run(capsys, "semisup", str(trained), "--labels", "2", "--per-class",
                         "--methods", "knn,propagation", "--no-references", *FAST)
    assert code == 0, err
    assert err == ""  # --quiet
    lines = out.splitlines()
    assert lines[0].startswith("an autoencoder (MLP, latent 2) on 8×8 images of digits")
    assert "2 per class (20)" in out
    rows = [line for line in lines if line.startswith(("k-NN", "Label propagation"))]
    assert len(rows) == 2 and all(" ± " in row for row in rows)
    assert "references" not in out and "Fine-tuned" not in out


@pytest.mark.parametrize(("argv", "words"), [
    (["--labels", "5"], "Labels: 5 is below the number of classes (10)"),
    (["--labels", "10,x"], "--labels: expected whole numbers"),
    (["--labels", "0"], "--labels: expected whole numbers"),
    (["--labels", "99999"], "Labels: 99,999 is above the 1,438 labelled train items"),
    (["--labels", "500", "--per-class"], "Labels per class: 500 is above the"),
    (["--methods", "knn,svm"], "--methods: unknown method 'svm'"),
    (["--repeats", "0"], "Repeats: a whole number in 1…100"),
    (["--seed", "-1"], "Seed"),
])
def test_bad_settings_exit_2_naming_the_setting(capsys, trained: Path, argv: list[str],
                                                words: str) -> None:
    code, out, err = run(capsys, "semisup", str(trained), *argv, "--quiet")
    assert code == 2 and out == ""
    one_error_line(err, "latentlab semisup: error:", words)


def test_a_plain_gan_and_unlabelled_data_are_refused(capsys, tmp_path: Path,
                                                     trained: Path) -> None:
    code, out, err = run(capsys, "train", "--model", "gan", "--data", "digits", "--epochs", "1",
                         *TINY, "--noise-dim", "4", "--out", str(tmp_path / "gan"), "--quiet")
    assert code == 0, err
    code, _, err = run(capsys, "semisup", out.strip(), *FAST)
    assert code == 1
    one_error_line(err, "plain GAN", "no encoder")
    pixels = np.random.default_rng(0).random((40, 8, 8)).astype(np.float32)
    np.save(tmp_path / "plain.npy", pixels)
    code, _, err = run(capsys, "semisup", str(trained), "--data", str(tmp_path / "plain.npy"),
                       *FAST)
    assert code == 1
    one_error_line(err, "has no labels")
