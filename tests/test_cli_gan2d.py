"""``latentlab gan2d``: its flags, its JSON, its table, and what a failure looks like."""

from __future__ import annotations

import json
from dataclasses import asdict, fields

import pytest
import torch

from latentlab.cli.gan2d import FLAGS
from latentlab.core.gan2d import Gan2dConfig, Gan2dTrainer, StepStats
from tests.cli_helpers import one_error_line, run

#: A run that trains in a blink.
FAST = ["--steps", "200", "--samples", "500", "--g-hidden", "32,32", "--d-hidden", "32,32",
        "--batch-size", "64", "--threads", "1"]


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def test_every_setting_has_a_flag() -> None:
    assert set(FLAGS) == {f.name for f in fields(Gan2dConfig)}


def test_json_follows_the_documented_schema(capsys) -> None:
    code, out, err = run(capsys, "gan2d", "--data", "ring", "--unrolled", "2", "--seed", "3",
                         "--betas", "0.5,0.9", *FAST, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert set(report) == {"schema", "settings", "steps", "seconds", "samples", "metrics",
                           "final"}
    assert report["schema"] == 1 and report["steps"] == 200 and report["samples"] == 500
    expected = asdict(Gan2dConfig(seed=3, unrolled=2, g_hidden=(32, 32), d_hidden=(32, 32),
                                  batch_size=64, betas=(0.5, 0.9)))
    assert report["settings"] == json.loads(json.dumps(expected))
    m = report["metrics"]
    assert set(m) == {"samples", "modes_captured", "n_modes", "high_quality", "reverse_kl",
                      "kl", "js", "per_mode"}
    assert m["n_modes"] == 8 and 0 <= m["modes_captured"] <= 8 and len(m["per_mode"]) == 8
    assert 0 <= m["high_quality"] <= 1 and m["kl"] >= 0 and m["js"] >= 0
    assert set(report["final"]) == {"d_loss", "g_loss"}
    # Progress went to stderr: one line per tenth of the run.
    assert "gan2d step 20/200" in err and "gan2d step 200/200" in err


def test_the_table_and_data_without_modes(capsys) -> None:
    code, out, err = run(capsys, "gan2d", "--data", "moons", "--loss", "wgan_gp", *FAST,
                         "--quiet")
    assert code == 0, err
    assert err == ""
    assert out.startswith("moons · wgan_gp · seed 0")
    assert "grid KL / JS" in out and "modes captured" not in out
    code, out, err = run(capsys, "gan2d", "--data", "grid", *FAST, "--quiet")
    assert code == 0, err
    assert "modes captured" in out and "/ 25" in out


@pytest.mark.parametrize(("argv", "words"), [
    (["--loss", "hinged"], "Loss"),
    (["--data", "spiral"], "Data"),
    (["--g-hidden", "32,x"], "--g-hidden: expected whole numbers"),
    (["--betas", "0.5;0.9"], "--betas: expected numbers"),
    (["--steps", "0"], "--steps must lie in"),
    (["--samples", "0"], "--samples must lie in"),
])
def test_bad_settings_exit_2_naming_the_setting(capsys, argv: list[str], words: str) -> None:
    code, out, err = run(capsys, "gan2d", *argv, "--quiet")
    assert code == 2 and out == ""
    one_error_line(err, "latentlab gan2d: error:", words)


def test_a_diverging_run_exits_1_saying_at_which_step(capsys, monkeypatch) -> None:
    real_step = Gan2dTrainer.train_step

    def step(self: Gan2dTrainer, which: str = "both") -> StepStats:
        stats = real_step(self, which)
        if stats.step == 7:
            return StepStats(stats.step, float("nan"), stats.g_loss, stats.extra)
        return stats

    monkeypatch.setattr(Gan2dTrainer, "train_step", step)
    code, out, err = run(capsys, "gan2d", *FAST, "--quiet")
    assert code == 1 and out == ""
    one_error_line(err, "latentlab gan2d: error:", "diverged at step 7", "discriminator")


def test_the_trainers_own_divergence_and_drawn_data(capsys, monkeypatch) -> None:
    from latentlab.core.gan2d import Gan2dError

    def step(self: Gan2dTrainer, which: str = "both") -> StepStats:
        raise Gan2dError("Training diverged at step 1; the last good weights are kept.")

    monkeypatch.setattr(Gan2dTrainer, "train_step", step)
    code, out, err = run(capsys, "gan2d", *FAST, "--quiet")
    assert code == 1 and out == ""
    one_error_line(err, "latentlab gan2d: error:", "diverged at step 1")
    code, out, err = run(capsys, "gan2d", "--data", "drawn", "--quiet")
    assert code == 2
    one_error_line(err, "Data: drawn data is drawn in the app")
