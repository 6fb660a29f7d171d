"""pix2pix on the command line: train, evaluate, and the commands that cannot use it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from latentlab.cli.common import CHECKPOINT_NAME
from latentlab.core.files.checkpoint import read_meta
from tests.cli_helpers import one_error_line, run

FAST = ["--epochs", "2", "--batch-size", "32", "--data", "digits"]


@pytest.fixture(scope="module")
def pix2pix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One epoch of pix2pix on the digits' edges, trained through the command line."""
    from latentlab.cli import main

    out = tmp_path_factory.mktemp("pix2pix")
    assert main(["train", "--model", "pix2pix", "--task", "edges", *FAST, "--out", str(out),
                 "--quiet"]) == 0
    return out / CHECKPOINT_NAME


def test_train_writes_a_checkpoint_with_its_task_and_progress(capsys, tmp_path) -> None:
    code, out, err = run(capsys, "train", "--model", "pix2pix", "--task", "superres",
                         "--l1-weight", "10", "--no-adversarial", *FAST, "--out",
                         str(tmp_path))
    assert code == 0 and out.strip() == str(tmp_path / CHECKPOINT_NAME)
    meta = read_meta(tmp_path / CHECKPOINT_NAME)
    assert (meta.model.family, meta.model.task, meta.model.l1_weight) == ("pix2pix", "superres",
                                                                          10.0)
    assert not meta.model.adversarial and meta.train.learning_rate == 2e-4
    assert "training pix2pix on digits" in err and "epoch 1/2: l1 " in err
    assert "a pix2pix model (U-Net, superres, L1 only) on 8×8 images of digits" in err
    assert set(meta.metrics) >= {"train_l1", "test_l1"}


def test_adversarial_progress_shows_both_nets_and_the_l1(pix2pix: Path) -> None:
    meta = read_meta(pix2pix)
    assert meta.model.adversarial and meta.model.l1_weight == 100.0
    assert {"train_d_loss", "train_g_loss", "train_l1", "test_l1"} <= set(meta.metrics)


@pytest.mark.parametrize(("flags", "names"), [
    (["--task", "colour"], ["digits", "colour task", "these have 1"]),
    (["--l1-weight", "-1"], ["L1 weight λ"]),
    (["--r1", "1"], ["R1 penalty γ", "pix2pix"]),
])
def test_bad_settings_are_refused_in_one_line(capsys, tmp_path, flags: list[str],
                                              names: list[str]) -> None:
    code, _, err = run(capsys, "train", "--model", "pix2pix", *flags, *FAST, "--out",
                       str(tmp_path / "out"))
    assert code == 2
    one_error_line(err, *names)
    assert not (tmp_path / "out").exists()


def test_evaluate_reports_the_translation(capsys, pix2pix: Path) -> None:
    code, out, _ = run(capsys, "evaluate", str(pix2pix), "--json")
    assert code == 0
    result = json.loads(out)
    scores = result["translation"]
    assert scores["task"] == "edges" and scores["items"] == result["data"]["n_test"]
    assert 0 < scores["l1"] < scores["l1_of_inputs"]
    assert 0 <= scores["classifier_accuracy_on_outputs"] <= 1
    assert scores["frechet_distance"] >= 0
    assert result["sample_quality"]["frechet_distance"] is None
    assert result["maps"]["latent"] is None and result["maps"]["pca"]["knn1"] is not None
    code, out, _ = run(capsys, "evaluate", str(pix2pix))
    assert code == 0 and "translation (edges, 359 test items): L1 " in out
    assert "of the outputs as their target's label" in out


def test_export_refuses_it_and_open_hands_it_to_the_window(capsys, monkeypatch,
                                                           pix2pix: Path, tmp_path) -> None:
    code, _, err = run(capsys, "export", str(pix2pix), "--format", "csv", "--out",
                       str(tmp_path))
    assert code == 1
    one_error_line(err, "holds a pix2pix model, which has no encoder")
    calls: list[dict] = []
    monkeypatch.setattr("latentlab.qt.app.run_gui", lambda **kw: calls.append(kw) or 0)
    assert run(capsys, "open", str(pix2pix))[0] == 0  # the window opens it in its workspace
    assert calls[-1]["open_path"].name == "checkpoint.safetensors"
