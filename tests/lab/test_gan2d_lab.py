"""The 2-D GAN lab, headless: steps, play, side by side, settings, divergence and drawing."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.core.gan2d import Gan2dConfig
from latentlab.lab.gan2d import GanLab
from latentlab.lab.gan2d_run import FIELD_N, GRID_N, N_ARROWS, N_FAKES

SMALL = Gan2dConfig(g_hidden=(32, 32), d_hidden=(32, 32), batch_size=64)


@pytest.fixture
def lab():
    lab = GanLab()
    lab.set_config("A", SMALL)
    lab.errors = []  # collected by the test, not by the lab
    lab.notes.error.connect(lambda _title, text, _details: lab.errors.append(text))
    return lab


def test_steps_d_g_and_both_move_their_player(lab) -> None:
    run = lab.runs["A"]
    assert run.step == 0 and run.frame is not None
    lab.step("A", "d")
    assert run.step == 1 and np.isfinite(run.d_losses[-1]) and np.isnan(run.g_losses[-1])
    lab.step("A", "g")
    assert np.isnan(run.d_losses[-1]) and np.isfinite(run.g_losses[-1])
    lab.step()
    assert run.step == 3 and len(run.steps) == 3
    frame = run.frame
    assert frame.samples.shape == (N_FAKES, 2) and frame.field.shape == (FIELD_N, FIELD_N)
    assert frame.arrows.shape == (N_ARROWS, 2) and frame.warped.shape == (GRID_N, GRID_N, 2)
    assert run.metrics["n_modes"] == 8


def test_play_is_deterministic_and_reset_starts_again(lab) -> None:
    lab.set_speed(4)
    lab.play(frames=3)
    run = lab.runs["A"]
    assert run.step == 12 and not lab.playing
    assert {"modes_captured", "high_quality", "reverse_kl", "kl", "js"} <= set(run.metrics)
    losses = run.d_losses.copy()
    lab.reset()
    assert run.step == 0 and len(run.steps) == 0
    lab.play(frames=3)
    np.testing.assert_allclose(run.d_losses, losses)


def test_side_by_side_runs_share_data_and_seed(lab) -> None:
    lab.set_side_by_side(True, Gan2dConfig(unrolled=2, g_hidden=(32,), d_hidden=(32,),
                                           batch_size=64))
    assert list(lab.runs) == ["A", "B"]
    assert lab.runs["B"].cfg.seed == lab.runs["A"].cfg.seed == lab.seed
    lab.set_speed(2)
    lab.play(frames=2)
    assert lab.runs["A"].step == lab.runs["B"].step == 4
    lab.step("B", "g")
    assert lab.runs["B"].step == 5 and lab.runs["A"].step == 4
    lab.set_side_by_side(False)
    assert list(lab.runs) == ["A"]


def test_bad_settings_are_refused_naming_the_field(lab) -> None:
    before = lab.runs["A"].cfg
    problems = lab.set_config("A", Gan2dConfig(d_lr=0.0))
    assert problems and problems[0].startswith("D learning rate")
    assert lab.runs["A"].cfg is before
    assert "D learning rate" in lab.errors[-1]


def test_a_diverging_run_stops_and_says_so(lab) -> None:
    lab.set_config("A", Gan2dConfig(g_hidden=(32,), d_hidden=(32,), batch_size=64,
                                    g_optimizer="sgd", d_optimizer="sgd", g_lr=10.0, d_lr=10.0,
                                    loss="wgan_clip", clip=100.0))
    lab.set_speed(50)
    lab.play(frames=10)
    run = lab.runs["A"]
    assert run.diverged and "diverged" in run.diverged
    assert any("diverged" in text for text in lab.errors)
    assert np.isfinite(run.frame.samples).all()  # the last good weights are kept
    step = run.step
    lab.play(frames=2)  # nothing left to train
    assert run.step == step


def test_drawing_needs_ten_points(lab) -> None:
    lab.start_drawing()
    lab.add_points(np.zeros((4, 2)))
    lab.step()
    assert lab.drawing and lab.runs["A"].step == 0
    assert "Drawn points" in lab.errors[-1] and "10" in lab.errors[-1]
    rng = np.random.default_rng(0)
    lab.add_points(rng.normal(size=(12, 2)))
    lab.step()
    assert not lab.drawing and lab.data.name == "drawn" and lab.runs["A"].step == 1
    assert lab.runs["A"].metrics["n_modes"] is None  # no modes: only the grid divergences


def test_layers_and_speed(lab) -> None:
    lab.set_layer("grid", False)
    assert lab.layers["grid"] is False
    with pytest.raises(KeyError, match="Layer"):
        lab.set_layer("nope", True)
    lab.set_speed(10_000)
    assert lab.speed == 100


def test_dirac_gan_circles_plain_and_converges_with_a_penalty() -> None:
    from latentlab.lab.dirac_lab import DiracLab

    dirac = DiracLab()
    errors: list[str] = []
    dirac.notes.error.connect(lambda _t, text, _d: errors.append(text))
    dirac.set_settings(method="alternating", steps=1000, lr=0.1)
    plain = dirac.end_distance
    assert len(dirac.path) == 1001 and plain > 0.9 * dirac.start_distance  # circles
    dirac.set_settings(gamma=0.3)
    assert dirac.end_distance < 0.01 * plain  # R1 damps the rotation
    dirac.set_settings(gamma=0.0, instance_noise=0.5)
    assert dirac.end_distance < 0.1 * plain
    dirac.set_start(-1.5, 0.5)
    assert tuple(dirac.path[0]) == (-1.5, 0.5)
    before = dirac.settings
    assert dirac.set_settings(lr=-1.0) and dirac.settings == before
    assert errors and errors[-1].startswith("Learning rate")
    assert dirac.set_settings(gamma=float("nan")) and errors[-1].startswith("Penalty γ")
