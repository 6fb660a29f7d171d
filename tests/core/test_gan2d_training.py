"""The 2-D GAN lab's core: objectives against their formulas, penalties on known critics, toy
data, determinism, which player a step moves, unrolling, divergence and bad settings."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from latentlab.core.gan2d import (
    LOSSES,
    TOY_DATA,
    Gan2dConfig,
    Gan2dError,
    Gan2dTrainer,
    ToyData,
    d_loss_fake,
    d_loss_real,
    g_loss,
    gradient_penalty,
    make_toy_data,
    r1_penalty,
)

torch.set_num_threads(1)
SMALL = {"g_hidden": (16, 16), "d_hidden": (16, 16), "batch_size": 32}
LOGITS = torch.tensor([-3.0, -0.5, 0.0, 0.7, 2.5])


def sig(t: float) -> float:
    return 1 / (1 + math.exp(-t))


# Each loss, per sample, straight from its paper (D = σ(logit) for the first two).
FORMULAS = {
    "saturating": (lambda t: -math.log(sig(t)), lambda t: -math.log(1 - sig(t)),
                   lambda t: math.log(1 - sig(t))),
    "non_saturating": (lambda t: -math.log(sig(t)), lambda t: -math.log(1 - sig(t)),
                       lambda t: -math.log(sig(t))),
    "least_squares": (lambda t: 0.5 * (t - 1) ** 2, lambda t: 0.5 * t**2,
                      lambda t: 0.5 * (t - 1) ** 2),
    "hinge": (lambda t: max(0.0, 1 - t), lambda t: max(0.0, 1 + t), lambda t: -t),
    "wgan_clip": (lambda t: -t, lambda t: t, lambda t: -t),
    "wgan_gp": (lambda t: -t, lambda t: t, lambda t: -t),
}


@pytest.mark.parametrize("kind", LOSSES)
def test_each_loss_matches_its_formula(kind: str) -> None:
    real, fake, gen = FORMULAS[kind]
    for fn, formula in ((d_loss_real, real), (d_loss_fake, fake), (g_loss, gen)):
        got = fn(kind, LOGITS)
        assert got.shape == LOGITS.shape
        expected = torch.tensor([formula(float(t)) for t in LOGITS])
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_gradient_penalty_and_r1_on_a_linear_critic() -> None:
    w = torch.tensor([3.0, 4.0])  # ‖w‖ = 5 everywhere, whatever the interpolates
    real, fake = torch.randn(64, 2), torch.randn(64, 2) + 3

    def critic(x: torch.Tensor) -> torch.Tensor:
        return x @ w

    assert gradient_penalty(critic, real, fake, 10.0).item() == pytest.approx(10 * (5 - 1) ** 2)
    assert r1_penalty(critic, real, 2.0).item() == pytest.approx(2.0 / 2 * 25)
    # Packed: D scores pairs w·x₁ + w·x₂, whose gradient has norm √2·‖w‖.
    def packed(x: torch.Tensor) -> torch.Tensor:
        return (x @ w).reshape(-1, 2).sum(1)

    expected = 10 * (math.sqrt(2) * 5 - 1) ** 2
    assert gradient_penalty(packed, real, fake, 10.0, pack=2).item() == pytest.approx(expected,
                                                                                     rel=1e-5)


def test_r1_on_a_quadratic_discriminator() -> None:
    # D(x) = ‖x‖²/2 has ∇D(x) = x, so R1 = γ/2·E‖x‖².
    real = torch.randn(50, 2)
    value = r1_penalty(lambda x: 0.5 * (x**2).sum(1), real, 4.0)
    assert value.item() == pytest.approx(2.0 * (real**2).sum(1).mean().item(), rel=1e-5)
    # The penalty is differentiable in D's weights (it must train D).
    layer = nn.Linear(2, 1)
    r1_penalty(lambda x: layer(x).squeeze(1), real, 1.0).backward()
    torch.testing.assert_close(layer.weight.grad, layer.weight.detach())  # ∇_w ½‖w‖² = w


@pytest.mark.parametrize("name", [n for n in TOY_DATA if n != "drawn"])
def test_toy_data_shapes_and_seeding(name: str) -> None:
    data = make_toy_data(name, n=300, seed=1)
    assert data.points.shape == (300, 2) and data.points.dtype == np.float32
    assert np.isfinite(data.points).all()
    np.testing.assert_array_equal(data.points, make_toy_data(name, n=300, seed=1).points)
    assert not np.array_equal(data.points, make_toy_data(name, n=300, seed=2).points)
    fresh = data.sample(100, np.random.default_rng(0))
    assert fresh.shape == (100, 2) and fresh.dtype == np.float32
    if name == "ring":
        assert data.modes.shape == (8, 2) and data.sigma == 0.02
        np.testing.assert_allclose(np.linalg.norm(data.modes, axis=1), 2.0, rtol=1e-6)
        nearest = np.linalg.norm(fresh[:, None] - data.modes[None], axis=2).min(1)
        assert nearest.max() < 6 * data.sigma
    elif name == "grid":
        assert data.modes.shape == (25, 2) and data.sigma == 0.05
        assert sorted(set(data.modes[:, 0].tolist())) == [-4, -2, 0, 2, 4]
    else:
        assert data.modes is None and data.sigma is None


def test_drawn_data_takes_the_users_points() -> None:
    points = np.random.default_rng(0).normal(size=(12, 2))
    data = make_toy_data("drawn", points=points)
    np.testing.assert_allclose(data.points, points, rtol=1e-6)
    trainer = Gan2dTrainer(Gan2dConfig(data="drawn", **SMALL), data)
    assert np.isfinite(trainer.train_step().d_loss)


@pytest.mark.parametrize("points", [None, np.zeros((9, 2)), np.zeros((12, 3)),
                                    np.full((12, 2), np.nan)])
def test_bad_drawings_are_refused_naming_the_field(points: np.ndarray | None) -> None:
    with pytest.raises(Gan2dError, match=r"^Drawn points:"):
        make_toy_data("drawn", points=points)


@pytest.mark.parametrize(("change", "field"), [
    ({"unrolled": -1}, "Unrolled steps k"),
    ({"instance_noise": -0.1}, "Instance noise σ"),
    ({"loss": "minimax"}, "Loss"),
    ({"batch_size": 3, "pack": 2}, "Batch size"),
    ({"g_hidden": ()}, "Generator layers"),
    ({"d_lr": float("nan")}, "D learning rate"),
])
def test_bad_settings_are_named(change: dict, field: str) -> None:
    problems = Gan2dConfig(**change).validate()
    assert len(problems) == 1 and problems[0].startswith(field + ":"), problems
    with pytest.raises(Gan2dError, match=field):
        Gan2dTrainer(Gan2dConfig(**change))


def test_the_defaults_are_valid() -> None:
    assert Gan2dConfig().validate() == []


def _weights(module: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def _same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


def test_same_config_gives_the_same_run() -> None:
    cfg = Gan2dConfig(instance_noise=0.1, r1=0.5, **SMALL)
    a, b = Gan2dTrainer(cfg), Gan2dTrainer(cfg)
    runs = [[t.train_step() for _ in range(20)] for t in (a, b)]
    assert runs[0] == runs[1]
    assert _same(_weights(a.generator), _weights(b.generator))
    np.testing.assert_array_equal(a.sample(50, seed=3), b.sample(50, seed=3))
    other = Gan2dTrainer(Gan2dConfig(seed=1, **SMALL))
    assert not np.array_equal(other.sample(50, seed=3), a.sample(50, seed=3))


def test_looking_does_not_change_the_run() -> None:
    cfg = Gan2dConfig(**SMALL)
    a, b = Gan2dTrainer(cfg), Gan2dTrainer(cfg)
    a.sample(10), a.noise_grid(5), a.d_field((-3, 3), (-3, 3), 10), a.g_gradients(np.zeros((3, 2)))
    assert a.run(5)[-1] == b.run(5)[-1]


@pytest.mark.parametrize("which", ["d", "g", "both"])
def test_a_step_moves_only_the_right_player(which: str) -> None:
    trainer = Gan2dTrainer(Gan2dConfig(**SMALL))
    g0, d0 = _weights(trainer.generator), _weights(trainer.discriminator)
    stats = trainer.train_step(which)
    assert stats.step == 1 and trainer.step == 1
    assert _same(g0, _weights(trainer.generator)) == (which == "d")
    assert _same(d0, _weights(trainer.discriminator)) == (which == "g")
    assert math.isnan(stats.g_loss) == (which == "d")
    assert math.isnan(stats.d_loss) == (which == "g")


@pytest.mark.parametrize("change", [
    {"loss": "saturating"}, {"loss": "least_squares"}, {"loss": "hinge"},
    {"loss": "wgan_clip", "d_optimizer": "sgd", "g_optimizer": "sgd"},
    {"loss": "wgan_gp", "d_steps": 2}, {"r1": 1.0, "instance_noise": 0.2, "anneal_steps": 4},
    {"pack": 3, "minibatch_features": 4}, {"updates": "simultaneous", "d_steps": 2},
    {"noise": "uniform", "noise_dim": 1, "activation": "tanh"},
    {"unrolled": 2, "loss": "wgan_gp", "pack": 2, "minibatch_features": 3},
])
def test_every_stabiliser_trains(change: dict) -> None:
    trainer = Gan2dTrainer(Gan2dConfig(**{**SMALL, **change}))
    history = trainer.run(4, every=2)
    assert [s.step for s in history] == [2, 4]
    assert all(math.isfinite(s.d_loss) and math.isfinite(s.g_loss) for s in history)
    if change.get("loss") == "wgan_clip":
        assert all(p.abs().max() <= 0.01 for p in trainer.discriminator.parameters())
    if "instance_noise" in change:
        assert trainer.noise_sigma() == 0.0 and trainer.noise_sigma(1) == pytest.approx(0.15)
    field = trainer.d_field((-3, 3), (-2, 2), 7)
    assert field.shape == (7, 7) and field.dtype == np.float32 and np.isfinite(field).all()
    if change.get("loss") in ("saturating", None):
        assert ((field >= 0) & (field <= 1)).all()
    assert trainer.g_gradients(trainer.sample(5)).shape == (5, 2)


def test_views_shapes() -> None:
    trainer = Gan2dTrainer(Gan2dConfig(noise_dim=3, **SMALL))
    grid, image = trainer.noise_grid(6)
    assert grid.shape == image.shape == (6, 6, 2)
    assert grid[0, 0].tolist() == [-2.5, -2.5] and grid[0, 1, 1] == -2.5  # rows follow y
    with torch.no_grad():
        z = torch.tensor([[*grid[2, 3], 0.0]])
        np.testing.assert_allclose(image[2, 3], trainer.generator(z)[0].numpy(), rtol=1e-5)
    assert trainer.sample(7).shape == (7, 2)


def test_g_gradients_are_the_gradient_of_gs_loss() -> None:
    trainer = Gan2dTrainer(Gan2dConfig(loss="hinge", **SMALL))
    point = np.array([[0.3, -0.2]], np.float32)
    grad = trainer.g_gradients(point)[0]
    h = 1e-2
    for axis in range(2):
        step = np.zeros((1, 2), np.float32)
        step[0, axis] = h
        with torch.no_grad():
            up, down = (-trainer.discriminator(torch.from_numpy(point + s)) for s in (step, -step))
        assert grad[axis] == pytest.approx(float(up - down) / (2 * h), abs=1e-3)


def test_unrolling_runs_and_changes_gs_update() -> None:
    plain, unrolled = (Gan2dTrainer(Gan2dConfig(unrolled=k, **SMALL)) for k in (0, 3))
    for trainer in (plain, unrolled):
        trainer.train_step()
    # Same seed, same D step: only G's objective differs.
    assert _same(_weights(plain.discriminator), _weights(unrolled.discriminator))
    assert not _same(_weights(plain.generator), _weights(unrolled.generator))
    d_before = _weights(unrolled.discriminator)
    unrolled.train_step("g")
    assert _same(d_before, _weights(unrolled.discriminator)), "unrolling never moves D itself"


@pytest.mark.parametrize("r1", [0.0, 0.5])
def test_unrolled_gradient_matches_the_unrolled_objective_by_hand(r1: float) -> None:
    """G's step equals minus lr times ∂/∂θ_G of G's loss against D after k = 2 SGD steps on
    the same batch, written out here with torch.func; D's own update is the first of them."""
    cfg = Gan2dConfig(unrolled=2, d_optimizer="sgd", g_optimizer="sgd", d_lr=0.05, g_lr=0.01,
                      r1=r1, **SMALL)
    trainer = Gan2dTrainer(cfg)
    rng = torch.Generator().manual_seed(0)
    rng.set_state(trainer._rng.get_state())
    z = torch.randn(cfg.batch_size, cfg.noise_dim, generator=rng)
    real = trainer.data.torch_sampler()(cfg.batch_size, rng)
    d, g = trainer.discriminator, trainer.generator
    d0 = {k: v.detach().clone() for k, v in d.named_parameters()}
    g0 = {k: v.detach().clone().requires_grad_(True) for k, v in g.named_parameters()}

    def critic(params: dict, x: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(d, params, (x,), {"batch": True})

    def d_loss(params: dict, fake: torch.Tensor) -> torch.Tensor:
        loss = d_loss_real("non_saturating", critic(params, real)).mean() + d_loss_fake(
            "non_saturating", critic(params, fake)).mean()
        if r1:
            loss = loss + r1_penalty(lambda x: critic(params, x), real, r1)
        return loss

    fake = torch.func.functional_call(g, g0, (z,))
    params = {k: v.clone().requires_grad_(True) for k, v in d0.items()}
    first = None
    for _ in range(2):
        grads = torch.autograd.grad(d_loss(params, fake), list(params.values()),
                                    create_graph=True)
        first = first or [gr.detach() for gr in grads]
        params = {k: v - 0.05 * gr for (k, v), gr in zip(params.items(), grads, strict=True)}
    expected = torch.autograd.grad(g_loss("non_saturating", critic(params, fake)).mean(),
                                   list(g0.values()))
    trainer.train_step()
    for (name, p), gr in zip(g.named_parameters(), expected, strict=True):
        torch.testing.assert_close(p.detach(), g0[name].detach() - 0.01 * gr, atol=1e-6,
                                   rtol=1e-4)
    for (name, p), gr in zip(d.named_parameters(), first, strict=True):
        torch.testing.assert_close(p.detach(), d0[name] - 0.05 * gr, atol=1e-6, rtol=1e-4)


def test_divergence_keeps_the_last_good_weights() -> None:
    trainer = Gan2dTrainer(Gan2dConfig(**SMALL))
    trainer.run(3)
    good_g, good_d = _weights(trainer.generator), _weights(trainer.discriminator)
    points = np.full((20, 2), np.nan, np.float32)
    trainer.data = ToyData("drawn", points)
    trainer._real_sampler = trainer.data.torch_sampler()
    with pytest.raises(Gan2dError, match="diverged at step 4; the last good weights are kept"):
        trainer.train_step()
    assert trainer.step == 3
    assert _same(good_g, _weights(trainer.generator))
    assert _same(good_d, _weights(trainer.discriminator))


def test_exploding_learning_rate_stops_with_finite_weights() -> None:
    trainer = Gan2dTrainer(Gan2dConfig(loss="least_squares", d_optimizer="sgd",
                                       g_optimizer="sgd", d_lr=10.0, g_lr=10.0, **SMALL))
    with pytest.raises(Gan2dError, match="diverged"):
        trainer.run(200)
    assert all(torch.isfinite(p).all() for p in trainer.discriminator.parameters())
    assert all(torch.isfinite(p).all() for p in trainer.generator.parameters())


@pytest.mark.parametrize("change", [{}, {"unrolled": 2}, {"updates": "simultaneous"}])
def test_the_views_draw_from_gs_moving_average(change: dict) -> None:
    """With g_average = a, the shown generator's weights follow w ← a·w + (1 − a)·G's after
    every G step, whichever step it is; the training itself is the same as without it."""
    plain = Gan2dTrainer(Gan2dConfig(**SMALL, **change))
    averaged = Gan2dTrainer(Gan2dConfig(g_average=0.9, **SMALL, **change))
    assert plain.shown is plain.generator and averaged.shown is not averaged.generator
    expected = _weights(averaged.generator)
    for _ in range(3):
        plain.train_step()
        averaged.train_step()
        expected = [0.9 * w + 0.1 * g for w, g in zip(expected, _weights(averaged.generator),
                                                      strict=True)]
    assert _same(_weights(plain.generator), _weights(averaged.generator))
    for w, e in zip(_weights(averaged.shown), expected, strict=True):
        torch.testing.assert_close(w, e)
    z = torch.randn(50, 2, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        np.testing.assert_allclose(averaged.sample(50, seed=1), averaged.shown(z).numpy())
        assert not np.allclose(averaged.sample(50, seed=1), averaged.generator(z).numpy())


def test_a_packed_discriminator_scores_a_point_as_m_copies_of_it() -> None:
    trainer = Gan2dTrainer(Gan2dConfig(pack=3, **SMALL))
    x = torch.randn(5, 2)
    with torch.no_grad():
        single = trainer.discriminator(x)
        copies = trainer.discriminator(x.repeat_interleave(3, 0), batch=True)
    torch.testing.assert_close(single, copies, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "elu"])
def test_the_unrolled_ds_functional_forward_is_the_modules(activation: str) -> None:
    trainer = Gan2dTrainer(Gan2dConfig(activation=activation, pack=2, minibatch_features=3,
                                       **SMALL))
    d = trainer.discriminator
    x = torch.randn(2, 12, 2)
    with torch.no_grad():
        torch.testing.assert_close(d.forward_with(dict(d.named_parameters()), x),
                                   d(x, batch=True))
