"""pix2pix: the paired tasks, the U-Net and the PatchGAN, a training step, its settings, its
checkpoints and its evaluation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from latentlab.config import ConfigError, ModelConfig, TrainConfig
from latentlab.core.data import Dataset
from latentlab.core.evaluation.model import evaluate_model
from latentlab.core.files.checkpoint import CheckpointMeta, load_checkpoint, save_checkpoint
from latentlab.core.models import Pix2Pix, build_model
from latentlab.core.models.paired_tasks import (
    HIDDEN_VALUE,
    edge_map,
    grey,
    hidden_box,
    make_pair,
)
from latentlab.core.models.pix2pix_nets import PatchDiscriminator, UNet, patch_receptive_field
from latentlab.core.training.events import EpochEnded, TrainingFailed, TrainingFinished
from latentlab.core.training.loop import train

SIDES = (8, 16, 28, 32, 64)


def _square(side: int = 16, start: int = 4, stop: int = 12) -> torch.Tensor:
    x = torch.zeros(1, 1, side, side)
    x[:, :, start:stop, start:stop] = 1.0
    return x


# ----------------------------------------------------------------------------- the tasks
def test_edges_of_a_filled_square_light_up_its_border_and_not_its_inside() -> None:
    x = _square()
    edges, target = make_pair("edges", x)
    assert torch.equal(target, x) and set(edges.unique().tolist()) == {0.0, 1.0}
    e = edges[0, 0]
    # The outline: each side of the square's boundary along its straight edges (the crest of
    # a corner's diagonal gradient cuts the outermost corner pixel, as Canny's does).
    for row_or_col in (3, 4, 11, 12):
        assert e[row_or_col, 5:11].all() and e[5:11, row_or_col].all()
    assert not e[3, 3] and not e[12, 12], "the corners are rounded, not filled"
    assert not e[5:11, 5:11].any(), "the square's inside has no edge"
    assert not e[:2].any() and not e[14:].any(), "nor the blank surround"
    assert not edge_map(torch.zeros(1, 1, 8, 8)).any(), "a blank image has no edges"


def test_inpaint_hides_exactly_the_centre_box() -> None:
    x = torch.rand(2, 3, 28, 28, generator=torch.Generator().manual_seed(0))
    hidden, target = make_pair("inpaint", x)
    rows, cols = hidden_box(28, 28)
    assert (rows.start, rows.stop, cols.start, cols.stop) == (7, 21, 7, 21)
    inside = torch.zeros(28, 28, dtype=torch.bool)
    inside[rows, cols] = True
    assert (hidden[:, :, inside] == HIDDEN_VALUE).all()
    assert torch.equal(hidden[:, :, ~inside], x[:, :, ~inside]) and torch.equal(target, x)


def test_superres_input_is_blocky_with_one_value_per_4x4_block() -> None:
    x = torch.rand(1, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    low, _ = make_pair("superres", x)
    assert low[0, 0].unique().numel() == 49  # 7×7 blocks
    blocks = x[0, 0].reshape(7, 4, 7, 4).mean(dim=(1, 3))
    torch.testing.assert_close(low[0, 0], blocks.repeat_interleave(4, 0).repeat_interleave(4, 1))


def test_colour_input_is_the_grey_image_and_grey_data_is_refused(digits: Dataset) -> None:
    x = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    gray, target = make_pair("colour", x)
    assert torch.equal(target, x)
    for channel in range(3):
        torch.testing.assert_close(gray[:, channel : channel + 1], grey(x))
    with pytest.raises(ValueError, match=r"3 channels\); these have 1"):
        make_pair("colour", torch.rand(1, 1, 8, 8))
    problems = ModelConfig(family="pix2pix", task="colour").validate(digits.input_shape)
    assert len(problems) == 1 and problems[0].startswith("Task:") and "have 1" in problems[0]
    model = build_model(ModelConfig(family="pix2pix", task="colour"), (3, 8, 8))
    assert model.data_problem(digits) == (
        "digits: the colour task turns grey images into colour ones, so it needs RGB images "
        "(3 channels); these have 1.")


def test_pairs_are_deterministic() -> None:
    x = torch.rand(4, 1, 16, 16, generator=torch.Generator().manual_seed(1))
    for task in ("edges", "inpaint", "superres"):
        assert torch.equal(make_pair(task, x)[0], make_pair(task, x.clone())[0])


# ----------------------------------------------------------------------------- the nets
@pytest.mark.parametrize("side", SIDES)
def test_unet_keeps_the_image_shape_and_range(side: int) -> None:
    torch.manual_seed(0)
    model = build_model(ModelConfig(family="pix2pix"), (1, side, side)).eval()
    x = torch.rand(2, 1, side, side)
    with torch.no_grad():
        raw, out = model.decoder(x * 2 - 1), model.translate(x)
    assert raw.shape == out.shape == x.shape
    assert raw.min() >= -1 and raw.max() <= 1 and out.min() >= 0 and out.max() <= 1


def test_skip_connections_carry_the_input_past_the_bottleneck() -> None:
    """With the innermost stage's output zeroed, only the skips are left to carry the input: a
    change in one corner of the input still changes the output there."""
    torch.manual_seed(0)
    net = UNet((1, 28, 28)).eval()
    net.up[0].register_forward_hook(lambda _module, _args, out: torch.zeros_like(out))
    x = torch.rand(1, 1, 28, 28)
    changed = x.clone()
    changed[:, :, :4, :4] = 1 - changed[:, :, :4, :4]
    with torch.no_grad():
        difference = (net(changed) - net(x)).abs()[0, 0]
    assert difference[:4, :4].mean() > 1e-3
    assert net.up[1][1].in_channels == 2 * net.down[-2][0].out_channels  # concatenated


def test_patchgan_gives_a_map_of_logits_one_per_patch() -> None:
    assert [patch_receptive_field(n) for n in range(4)] == [7, 16, 34, 70]  # 70: the paper's
    for side, field, cells in ((8, 7, 6), (28, 16, 12), (64, 34, 14)):
        d = PatchDiscriminator((3, side, side))
        x = torch.rand(2, 3, side, side)
        assert d.receptive_field == field and d(x, x).shape == (2, 1, cells, cells)


# ----------------------------------------------------------------------------- training
def _parameters(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def _moved(before: list[torch.Tensor], module: torch.nn.Module) -> bool:
    return all(not torch.equal(a, b) for a, b in zip(before, module.parameters(), strict=True))


@pytest.mark.parametrize("adversarial", [True, False])
def test_training_steps_lower_the_l1_and_move_the_nets(digits: Dataset, adversarial: bool
                                                       ) -> None:
    model = build_model(ModelConfig(family="pix2pix", adversarial=adversarial), (1, 8, 8),
                        seed=0)
    assert (model.discriminator is not None) == adversarial
    assert model.loss_terms == (("d_loss", "g_loss", "l1") if adversarial else ("l1",))
    x = torch.from_numpy(digits.x[:32])
    optimizers = model.make_optimizers(TrainConfig(learning_rate=2e-4))
    assert len(optimizers) == (2 if adversarial else 1)
    g_before = _parameters(model.decoder)
    d_before = _parameters(model.discriminator) if adversarial else []
    first = model.losses(x)["l1"].item()
    for _ in range(10):
        terms = model.train_step(x, optimizers)
        assert set(terms) == set(model.loss_terms) and all(map(math.isfinite, terms.values()))
    assert model.losses(x)["l1"].item() < 0.8 * first
    assert _moved(g_before, model.decoder)
    if adversarial:
        assert _moved(d_before, model.discriminator)
        assert all(p.requires_grad for p in model.discriminator.parameters())


def test_the_trainer_runs_both_variants_and_stops_on_a_nan(tiny_digits: Dataset) -> None:
    run = TrainConfig(epochs=1, batch_size=64, seed=0, device="cpu")
    for adversarial in (True, False):
        model = build_model(ModelConfig(family="pix2pix", task="inpaint",
                                        adversarial=adversarial), (1, 8, 8), seed=0)
        events = list(train(model, tiny_digits, run))
        assert isinstance(events[-1], TrainingFinished) and events[-1].reason == "completed"
        (epoch,) = [e for e in events if isinstance(e, EpochEnded)]
        assert set(epoch.train) == set(epoch.test) == set(model.loss_terms)
    # A generator that starts to output NaN: the run stops with the weights it had.
    model.decoder.register_forward_hook(lambda _module, _args, out: out * math.nan)
    events = list(train(model, tiny_digits, run))
    assert isinstance(events[-1], TrainingFailed) and "NaN" in events[-1].message
    assert all(bool(torch.isfinite(t).all()) for t in model.state_dict().values())


# ----------------------------------------------------------------------------- settings
@pytest.mark.parametrize(("changes", "field"), [
    ({"task": "sketch"}, "Task: unknown value 'sketch'"),
    ({"l1_weight": -1.0}, "L1 weight λ: must be zero or positive"),
    ({"l1_weight": math.nan}, "L1 weight λ: must be zero or positive"),
    ({"l1_weight": 1e9}, "L1 weight λ: at most"),
    ({"adversarial": False, "l1_weight": 0.0}, "L1 weight λ: without the adversarial term"),
    ({"gan_loss": "wgan_gp"}, "Generator loss"),
    ({"r1": 1.0}, "R1 penalty γ: not used by pix2pix"),
    ({"d_steps": 2}, "D steps per G step: not used by pix2pix"),
])
def test_settings_problems_name_the_field(changes: dict, field: str) -> None:
    problems = ModelConfig(family="pix2pix", **changes).validate((1, 8, 8))
    assert len(problems) == 1 and problems[0].startswith(field), problems


def test_images_of_every_size_from_8_and_no_text_are_accepted() -> None:
    cfg = ModelConfig(family="pix2pix")
    assert not cfg.is_gan and cfg.l1_weight == 100.0 and cfg.adversarial
    for side in SIDES:
        assert cfg.validate((3, side, side)) == []
    assert cfg.validate((1, 28, 56)) == []
    (problem,) = cfg.validate((1, 1, 500))  # a text corpus' word vectors
    assert "at least 8×8" in problem
    with pytest.raises(ConfigError, match="Data kind: pix2pix translates images"):
        from latentlab.core.training.recipes import recommended_settings
        recommended_settings("pix2pix", "text")


# ----------------------------------------------------------------------------- files and scores
def test_a_checkpoint_round_trip_translates_the_same(tmp_path, digits: Dataset) -> None:
    for adversarial in (True, False):
        cfg = ModelConfig(family="pix2pix", task="superres", l1_weight=50.0,
                          adversarial=adversarial)
        model = build_model(cfg, (1, 8, 8), seed=0).eval()
        meta = CheckpointMeta(cfg, TrainConfig(), (1, 8, 8), {"name": "digits"}, epoch=3)
        loaded = load_checkpoint(save_checkpoint(tmp_path / "p.safetensors", model, meta))
        assert isinstance(loaded.model, Pix2Pix) and loaded.meta.model == cfg
        x = torch.from_numpy(digits.x[:4])
        torch.testing.assert_close(loaded.model.translate(x), model.translate(x))
        detail = "λ 50" if adversarial else "L1 only"
        assert loaded.meta.describe() == (f"a pix2pix model (U-Net, superres, {detail}) on 8×8 "
                                          "images of digits, epoch 3")


def test_evaluation_scores_translations_and_nothing_it_has_not(tiny_digits: Dataset) -> None:
    model = build_model(ModelConfig(family="pix2pix"), (1, 8, 8), seed=0)
    result = evaluate_model(model, tiny_digits)
    assert result["maps"]["latent"] is None and result["reconstruction_sse_per_image"] is None
    assert result["infogan"] is None and result["model"]["task"] == "edges"
    assert result["sample_quality"]["frechet_distance"] is None
    assert "translates" in result["sample_quality"]["note"]
    scores = result["translation"]
    assert scores["task"] == "edges" and scores["items"] == len(tiny_digits.test_indices)
    assert 0 <= scores["l1"] <= 1 and 0 <= scores["classifier_accuracy_on_outputs"] <= 1
    assert scores["frechet_distance"] >= 0 and scores["classifier_accuracy_on_targets"] > 0.5
    unlabelled = Dataset("unlabelled", tiny_digits.x, None, (), tiny_digits.is_test)
    scores = evaluate_model(model, unlabelled)["translation"]
    assert scores["classifier_accuracy_on_outputs"] is None and "no labels" in scores["note"]
    assert np.isfinite(scores["l1"])
