"""The progressive GAN on the command line: its flags into the checkpoint, evaluate scoring it as
a GAN, and a stage list that cannot grow refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from latentlab.cli.common import CHECKPOINT_NAME
from latentlab.core.files.checkpoint import load_checkpoint, read_meta
from tests.cli_helpers import one_error_line, run

FAST = ["--data", "digits", "--epochs", "2", "--batch-size", "128", "--noise-dim", "8"]


@pytest.fixture(scope="module")
def progan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two epochs growing the digits 2×2 → 4×4 → 8×8, without minibatch std."""
    from latentlab.cli import main

    out = tmp_path_factory.mktemp("progan")
    assert main(["train", "--model", "progan", "--stages", "2,4,8", "--no-minibatch-std",
                 *FAST, "--out", str(out), "--quiet"]) == 0
    return out / CHECKPOINT_NAME


def test_train_records_the_stages_and_switches(progan: Path) -> None:
    meta = read_meta(progan)
    assert meta.model.family == "progan" and meta.model.architecture == "conv"
    assert meta.model.stages == (2, 4, 8)
    assert not meta.model.minibatch_std and meta.model.pixel_norm
    assert meta.describe().startswith(
        "a progressive GAN (DCGAN, stages 2→4→8, noise 8, pixel norm) on 8×8 images of digits")
    # The run completed its schedule: the checkpoint draws at the data's size, fully faded in.
    assert load_checkpoint(progan).model.growth == (8, 1.0)


def test_evaluate_scores_it_as_a_gan(capsys, progan: Path) -> None:
    code, out, err = run(capsys, "evaluate", str(progan), "--json", "--samples", "2000")
    assert code == 0, err
    result = json.loads(out)
    gan = result["infogan"]
    assert 1 <= gan["classes_covered"] <= gan["n_classes"] == 10
    assert gan["category_accuracy"] is None and gan["samples"] == 2000
    quality = result["sample_quality"]
    assert quality["frechet_distance"] > 0 and quality["sampling"] == "prior"
    assert result["maps"]["latent"] is None and result["reconstruction_sse_per_image"] is None
    code, out, _ = run(capsys, "evaluate", str(progan))
    assert code == 0 and "mode coverage:" in out and "progressive GAN" in out


def test_a_stage_list_that_misses_the_data_size_is_refused(capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, "train", "--model", "progan", "--stages", "2,4", *FAST,
                       "--out", str(tmp_path / "out"))
    assert code == 2
    one_error_line(err, "Stages: 2, 4 ends at 4×4; the data's images are 8×8.")
    code, _, err = run(capsys, "train", "--model", "progan", "--stages", "4,x", *FAST,
                       "--out", str(tmp_path / "out"))
    assert code == 2
    one_error_line(err, "--stages: expected whole numbers")
    code, _, err = run(capsys, "train", "--model", "gan", "--stages", "4,8", *FAST,
                       "--out", str(tmp_path / "out"))
    assert code == 2
    one_error_line(err, "only the progressive GAN grows in stages")
