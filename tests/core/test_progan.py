"""Progressive growing: the fade-in blends of G, D and the real images on hand-made tensors,
each stage's shapes, the schedule, minibatch std and pixel norm, the stage list's checks,
training through stage changes, and the stage travelling in a checkpoint."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from latentlab.config import ModelConfig, TrainConfig
from latentlab.config_progan import default_stages
from latentlab.core.data.dataset import Dataset, random_split
from latentlab.core.files.checkpoint import (
    CheckpointMeta,
    describe_data,
    load_checkpoint,
    save_checkpoint,
)
from latentlab.core.models import ProGAN, build_model
from latentlab.core.models.progan import stage_at
from latentlab.core.models.progan_nets import MinibatchStd, PixelNorm, blend_real
from latentlab.core.training.events import EpochEnded, TrainingFinished
from latentlab.core.training.loop import train
from latentlab.core.training.views import decoder_state

torch.set_num_threads(1)
SMALL = ModelConfig(family="progan", architecture="conv", noise_dim=4, stages=(4, 8))


class Fn(nn.Module):
    """A layer that computes ``fn``: a known stand-in for a trained one."""

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)


def _model(cfg: ModelConfig = SMALL, shape: tuple[int, int, int] = (1, 8, 8)) -> ProGAN:
    model = build_model(cfg, shape, seed=0)
    assert isinstance(model, ProGAN)
    return model


def _up(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="nearest")


# ------------------------------------------------------------------------------ the blends

@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_the_generator_fades_its_new_layer_in(alpha: float) -> None:
    model = _model()
    g = model.decoder
    h = torch.arange(16.0).view(1, 1, 4, 4)
    g.base = Fn(lambda z: h.expand(len(z), 1, 4, 4))
    g.to_rgb = nn.ModuleList([Fn(lambda t: t), Fn(lambda t: t)])  # features as the image
    g.blocks = nn.ModuleList([Fn(lambda t: -_up(t))])  # the new layer: upsampled, negated
    model.set_stage(8, alpha)
    out = g(torch.zeros(2, 4))
    # (1 − α)·upsample(toRGB_old(h)) + α·toRGB_new(block(h)) = (1 − 2α)·upsample(h)
    torch.testing.assert_close(out, (1 - 2 * alpha) * _up(h).expand(2, 1, 8, 8))
    assert g.at_stage(torch.zeros(2, 4)).shape == (2, 1, 8, 8)


def test_the_first_stage_is_drawn_blocky_at_full_size() -> None:
    model = _model()
    g = model.decoder
    h = torch.arange(16.0).view(1, 1, 4, 4)
    g.base = Fn(lambda z: h.expand(len(z), 1, 4, 4))
    g.to_rgb = nn.ModuleList([Fn(lambda t: t), Fn(lambda t: t + 100)])
    model.set_stage(4, 1.0)
    assert g.at_stage(torch.zeros(1, 4)).shape == (1, 1, 4, 4)
    torch.testing.assert_close(g(torch.zeros(1, 4)), _up(h))  # each pixel a 2×2 block


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_the_discriminator_fades_its_new_layer_in(alpha: float) -> None:
    model = _model()
    d = model.features
    d.from_rgb = nn.ModuleList([Fn(lambda t: t), Fn(lambda t: t)])
    d.blocks = nn.ModuleList([Fn(lambda t: F.max_pool2d(t, 2))])  # unlike the old path's mean
    d.final = nn.Flatten()
    x = torch.rand(3, 1, 8, 8)
    model.set_stage(8, alpha)
    # (1 − α)·fromRGB_old(downsample(x)) + α·block(fromRGB_new(x))
    expected = (1 - alpha) * F.avg_pool2d(x, 2) + alpha * F.max_pool2d(x, 2)
    torch.testing.assert_close(d(x), expected.flatten(1))
    model.set_stage(4, 1.0)  # the first stage pools the full-size images to its side
    torch.testing.assert_close(d(x), F.avg_pool2d(x, 2).flatten(1))


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_real_images_are_blended_as_the_generator_is(alpha: float) -> None:
    x = torch.tensor([[0.0, 2.0, 4.0, 4.0],
                      [2.0, 0.0, 0.0, 8.0],
                      [1.0, 1.0, 3.0, 3.0],
                      [1.0, 1.0, 3.0, 3.0]]).view(1, 1, 4, 4)
    coarse = torch.tensor([[1.0, 1.0, 4.0, 4.0],
                           [1.0, 1.0, 4.0, 4.0],
                           [1.0, 1.0, 3.0, 3.0],
                           [1.0, 1.0, 3.0, 3.0]]).view(1, 1, 4, 4)
    blended = blend_real(x, (2, 4), 4, alpha)
    # (1 − α)·upsample(downsample(x)) + α·x at the current side
    torch.testing.assert_close(blended, (1 - alpha) * coarse + alpha * x)
    # At the first stage the images are the stage's (pooled), at full size.
    torch.testing.assert_close(blend_real(x, (2, 4), 2, 1.0), coarse)


def test_the_model_shows_d_blended_real_images() -> None:
    model = _model()
    seen: list[torch.Tensor] = []
    model.features.register_forward_pre_hook(lambda _m, args: seen.append(args[0]))
    x = torch.rand(4, 1, 8, 8)
    model.set_stage(8, 0.25)
    model.losses(x)
    # D's first look is at the real batch, in [−1, 1].
    torch.testing.assert_close(seen[0], blend_real(x, (4, 8), 8, 0.25) * 2 - 1)


# ----------------------------------------------------------------- stages and their shapes

@pytest.mark.parametrize(("shape", "sides"), [
    ((1, 28, 28), (7, 14, 28)),
    ((3, 32, 32), (4, 8, 16, 32)),
    ((1, 8, 8), (4, 8)),
])
def test_each_stage_draws_and_judges_at_its_side(shape: tuple[int, int, int],
                                                  sides: tuple[int, ...]) -> None:
    model = _model(ModelConfig(family="progan", architecture="conv", noise_dim=4), shape)
    assert model.sides == sides == default_stages(shape[1])
    seen: list[int] = []
    for layer in model.features.from_rgb:
        layer.register_forward_pre_hook(lambda _m, args: seen.append(args[0].shape[-1]))
    z = model.sample_inputs(2)
    for side in sides:
        for alpha in (0.5, 1.0):
            model.set_stage(side, alpha)
            assert model.decoder.at_stage(z).shape == (2, shape[0], side, side)
            image = model.decoder(z)
            assert image.shape == (2, *shape)  # always the data's size
            seen.clear()
            assert model.discriminate(image)[0].shape == (2,)
            # D reads the stage's side; fading in, the old path reads half of it too.
            fading = side != sides[0] and alpha < 1
            assert seen == ([side, side // 2] if fading else [side])


def test_the_schedule_splits_the_run_and_fades_each_new_stage_in() -> None:
    sides = (7, 14, 28)
    assert [stage_at(step, 120, sides) for step in (0, 39, 40, 50, 60, 79, 80, 100, 119)] == [
        (7, 1.0), (7, 1.0), (14, 0.0), (14, 0.5), (14, 1.0), (14, 1.0), (28, 0.0), (28, 1.0),
        (28, 1.0)]
    assert stage_at(500, 120, sides) == (28, 1.0)


def test_minibatch_std_appends_the_batch_spread_as_one_map() -> None:
    # Two images of two pixels: the first pixel's values 0 and 2 (std 1), the second's 2 and 2.
    x = torch.tensor([[[[0.0, 2.0]]], [[[2.0, 2.0]]]])
    out = MinibatchStd()(x)
    assert out.shape == (2, 2, 1, 2)
    torch.testing.assert_close(out[:, :1], x)
    torch.testing.assert_close(out[:, 1], torch.full((2, 1, 2), 0.5), atol=1e-4, rtol=0)


def test_pixel_norm_gives_each_pixel_unit_root_mean_square() -> None:
    x = torch.tensor([3.0, 4.0, 0.0, 1.0]).view(1, 2, 1, 2)  # pixels (3, 0) and (4, 1)
    out = PixelNorm()(x)
    torch.testing.assert_close(out[0, :, 0, 0], torch.tensor([3.0, 0.0]) / math.sqrt(4.5))
    torch.testing.assert_close(out[0, :, 0, 1], torch.tensor([4.0, 1.0]) / math.sqrt(8.5))


def test_the_switches_add_or_leave_out_their_layers() -> None:
    on, off = _model(), _model(replace(SMALL, minibatch_std=False, pixel_norm=False))

    def count(model: ProGAN, kind: type) -> int:
        return sum(isinstance(m, kind) for m in model.modules())

    assert count(on, MinibatchStd) == 1 and count(off, MinibatchStd) == 0
    assert count(on, PixelNorm) > 0 and count(off, PixelNorm) == 0


@pytest.mark.parametrize(("stages", "shape", "message"), [
    ((7, 14), (1, 28, 28), "Stages: 7, 14 ends at 14×14; the data's images are 28×28."),
    ((7, 15, 28), (1, 28, 28), "Stages: 7, 15, 28 must double from each stage to the next "
                               "(e.g. 7, 14, 28)."),
    ((1, 2, 4, 8), (1, 8, 8), "Stages: 1, 2, 4, 8 starts at 1×1; the first stage must be at "
                              "least 2×2."),
    ((), (1, 8, 12), "Architecture: progressive growing builds square images of at least 2×2; "
                     "this dataset's are 8×12."),
])
def test_a_stage_list_that_cannot_grow_is_refused_by_name(stages: tuple[int, ...],
                                                          shape: tuple[int, int, int],
                                                          message: str) -> None:
    cfg = ModelConfig(family="progan", architecture="conv", stages=stages)
    assert cfg.validate(shape) == [message]


def test_stage_settings_belong_to_the_progressive_gan() -> None:
    assert ModelConfig(family="progan", architecture="conv", stages=(2, 4, 8)).validate(
        (1, 8, 8)) == []
    assert "Stages: only the progressive GAN" in ModelConfig(family="gan", stages=(4, 8)
                                                             ).validate((1, 8, 8))[0]
    assert "choose DCGAN" in ModelConfig(family="progan").validate((1, 8, 8))[0]
    assert default_stages(7) == (7,) and default_stages(64) == (4, 8, 16, 32, 64)


# ------------------------------------------------------------------------------- training

def test_a_stage_change_leaves_g_and_d_where_they_were() -> None:
    """The fade-in's point: at α = 0 the new stage draws and judges exactly as the old one did,
    so the losses cannot jump when the side doubles."""
    model = _model().eval()
    z = model.sample_inputs(5, torch.Generator().manual_seed(0))
    x = torch.rand(5, 1, 8, 8) * 2 - 1
    model.set_stage(4, 1.0)
    before = model.decoder(z), model.discriminate(x)[0]
    model.set_stage(8, 0.0)
    after = model.decoder(z), model.discriminate(x)[0]
    torch.testing.assert_close(after[0], before[0])
    torch.testing.assert_close(after[1], before[1])


@pytest.mark.parametrize("extra", [{"gan_loss": "wgan_gp"}, {"r1": 1.0}, {"unrolled": 2},
                                   {"minibatch_features": 4, "instance_noise": 0.1}])
def test_the_gan_stabilisers_combine_with_a_fading_stage(extra: dict) -> None:
    model = _model(replace(SMALL, **extra))
    model.set_stage(8, 0.5)
    optimizers = model.make_optimizers(TrainConfig())
    before = [p.clone() for p in model.decoder.parameters()]
    terms = model.train_step(torch.rand(6, 1, 8, 8), optimizers)
    assert all(math.isfinite(v) for v in terms.values())
    assert any(not torch.equal(a, b) for a, b in zip(before, model.decoder.parameters(),
                                                      strict=True))


def _blobs(n: int = 96) -> Dataset:
    rng = np.random.default_rng(0)
    x = np.zeros((n, 1, 8, 8), np.float32)
    for i in range(n):  # a bright square somewhere: structure at every scale
        r, c = rng.integers(0, 5, 2)
        x[i, 0, r : r + 3, c : c + 3] = 1.0
    return Dataset("squares", x, rng.integers(0, 2, n), ("a", "b"), random_split(n, 0.25, 0))


def test_training_through_every_stage_change_keeps_the_losses_finite() -> None:
    model = _model(ModelConfig(family="progan", architecture="conv", noise_dim=4,
                               stages=(2, 4, 8)))
    model.plan_steps(18)
    optimizers = model.make_optimizers(TrainConfig(learning_rate=2e-3, d_learning_rate=2e-3))
    data = torch.from_numpy(_blobs().x)
    stages, steps = [], []
    for step in range(18):
        terms = model.train_step(data[(step * 16) % 80 :][:16], optimizers)
        stages.append(model.growth)
        steps.append(terms)
    assert [s for s, _ in stages[::6]] == [2, 4, 8] and stages[6] == (4, 0.0)
    assert stages[-1] == (8, 1.0) and model.features.stage() == (8, 1.0)
    assert all(math.isfinite(v) for terms in steps for v in terms.values())


def test_a_run_grows_to_the_data_size(tmp_path) -> None:
    data = _blobs()
    model = _model()
    events = list(train(model, data, TrainConfig(epochs=2, batch_size=16)))
    finished = events[-1]
    assert isinstance(finished, TrainingFinished) and finished.reason == "completed"
    assert all(math.isfinite(v) for e in events if isinstance(e, EpochEnded)
               for v in {**e.train, **e.test}.values())
    assert model.growth == (8, 1.0) and model.steps_done == finished.global_step
    # Snapshots carry the stage to the window's live copy with the generator's weights.
    state = decoder_state(model)
    assert int(state["resolution"]) == 8 and float(state["alpha"]) == 1.0


def test_the_stage_travels_in_a_checkpoint(tmp_path) -> None:
    model = _model()
    model.set_stage(8, 0.375)  # stopped while fading in
    meta = CheckpointMeta(model.cfg, TrainConfig(), (1, 8, 8), describe_data(_blobs(), None))
    path = save_checkpoint(tmp_path / "progan.safetensors", model, meta)
    loaded = load_checkpoint(path).model
    assert isinstance(loaded, ProGAN)
    assert loaded.growth == (8, 0.375) and loaded.features.stage() == (8, 0.375)
    z = model.sample_inputs(3, torch.Generator().manual_seed(1))
    torch.testing.assert_close(loaded.decoder(z), model.eval().decoder(z))
    assert meta.describe().startswith("a progressive GAN (DCGAN, stages 4→8, noise 4, "
                                      "minibatch std, pixel norm) on 8×8 images of squares")


def test_a_stage_the_networks_do_not_have_is_refused_on_loading() -> None:
    model = _model()
    state = model.state_dict()
    state["decoder.resolution"] = torch.tensor(5)
    with pytest.raises(RuntimeError, match=r"decoder.resolution 5.*not a stage of 4, 8"):
        model.load_state_dict(state)
    with pytest.raises(ValueError, match="No stage 16×16"):
        model.set_stage(16, 1.0)
