"""The conditional VAE: the class reaches encoder and decoder, its loss on hand-made values,
training on labelled batches, the views and metrics that encode with the items' classes, and
data it refuses."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data.builtin import load_digits
from latentlab.core.data.dataset import Dataset
from latentlab.core.evaluation.model import EvaluationSettings, evaluate_model, model_codes
from latentlab.core.files.checkpoint import CheckpointMeta, load_checkpoint, save_checkpoint
from latentlab.core.models import ConditionalVAE, build_model
from latentlab.core.models.vae import kl_to_standard_normal
from latentlab.core.semisup.methods import SemisupError, check_model
from latentlab.core.training.events import Snapshot, TrainingFinished
from latentlab.core.training.loop import LiveItems, train
from latentlab.core.training.views import model_views
from tests.cli_helpers import TINY, run

from ..conftest import blobs_dataset

torch.set_num_threads(1)
CFG = ModelConfig(family="cvae", hidden=(32, 16), latent_dim=2, n_categories=3)


def _model(cfg: ModelConfig = CFG, side: int = 8) -> ConditionalVAE:
    model = build_model(cfg, (1, side, side), seed=0)
    assert isinstance(model, ConditionalVAE)
    return model


def test_the_decoder_reads_the_code_and_the_class() -> None:
    model = _model().eval()
    z = torch.zeros(3, 2)
    inputs = model.decoder_input(z, torch.tensor([0, 1, 2]))
    assert inputs.shape == (3, 2 + 3) and torch.equal(inputs[:, 2:], torch.eye(3))
    with torch.no_grad():
        images = model.decode(inputs)
    # One code, three classes: three different images.
    assert images.shape == (3, 1, 8, 8) and not torch.allclose(images[0], images[1])
    asked = model.class_inputs(torch.full((5,), 2), torch.Generator().manual_seed(0))
    assert (asked[:, 2:].argmax(1) == 2).all()
    drawn = model.prior_sample(300, torch.Generator().manual_seed(0))
    assert drawn.shape == (300, 5) and set(drawn[:, 2:].argmax(1).tolist()) == {0, 1, 2}


def test_the_encoder_reads_the_class_too() -> None:
    model = _model().eval()
    x = torch.rand(2, 1, 8, 8)
    with torch.no_grad():
        a = model.embed(x, torch.tensor([0, 0]))
        b = model.embed(x, torch.tensor([1, 1]))
    assert a.shape == (2, 2) and not torch.allclose(a, b)
    with pytest.raises(ValueError, match="with its class"):
        model.embed(x)


def test_the_loss_is_the_bernoulli_nll_plus_beta_kl_on_hand_made_values() -> None:
    model = _model(replace(CFG, beta=0.5)).eval()
    x = torch.rand(4, 1, 8, 8)
    labels = torch.tensor([0, 2, 1, 2])
    mu, log_var = model.encode(x, labels)
    torch.manual_seed(3)
    terms = model.losses(x, labels)
    torch.manual_seed(3)
    z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
    p = model.decode(model.decoder_input(z, labels))
    recon = -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).flatten(1).sum(1)
    kl = kl_to_standard_normal(mu, log_var)
    torch.testing.assert_close(terms["recon"], recon.mean(), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(terms["loss"], (recon + 0.5 * kl).mean(), rtol=1e-4, atol=1e-4)


def _digits(n: int, side: int) -> Dataset:
    """The first ``n`` built-in digits of classes 0–2, at ``side``×``side``."""
    digits = load_digits()
    keep = np.flatnonzero(digits.labels < 3)[:n]
    x = F.interpolate(torch.from_numpy(digits.x[keep]), size=(side, side), mode="bilinear",
                      align_corners=False).clamp(0, 1).numpy()
    return Dataset("digits 0-2", np.ascontiguousarray(x), digits.labels[keep],
                   ("0", "1", "2"), digits.is_test[keep])


@pytest.mark.parametrize("architecture", ["mlp", "conv"])
def test_training_on_labelled_batches_lowers_the_held_out_loss(architecture: str) -> None:
    cfg = replace(CFG, architecture=architecture, conv_channels=(8, 16))
    data = _digits(240, 16)
    model = _model(cfg, side=16)
    x = torch.from_numpy(data.x[data.test_indices])
    y = torch.from_numpy(data.labels[data.test_indices].astype(np.int64))

    @torch.no_grad()
    def held_out() -> float:
        torch.manual_seed(0)
        return float(model.eval().losses(x, y)["loss"])

    before = held_out()
    events = list(train(model, data, TrainConfig(epochs=4, batch_size=16, device="cpu")))
    assert isinstance(events[-1], TrainingFinished) and events[-1].reason == "completed"
    after = held_out()
    assert math.isfinite(after) and after < 0.9 * before


def test_views_and_scores_encode_each_item_with_its_class() -> None:
    data = blobs_dataset(n=40, side=8)
    model = _model().eval()
    live = LiveItems(np.arange(10), np.arange(4))
    snapshot = model_views(model, data, live)
    assert isinstance(snapshot, Snapshot)
    assert snapshot.map_codes is not None and snapshot.map_codes.shape == (10, 2)
    assert snapshot.recon is not None and snapshot.recon.shape == (4, 1, 8, 8)
    assert snapshot.samples is not None and snapshot.samples.shape == (3 * 8, 1, 8, 8)
    with torch.no_grad():
        expected = model.embed(torch.from_numpy(data.x[:10]),
                               torch.from_numpy(data.labels[:10].astype(np.int64)))
    np.testing.assert_allclose(snapshot.map_codes, expected.numpy(), rtol=1e-5, atol=1e-6)
    codes, _ = model_codes(model, data, np.arange(10))
    np.testing.assert_allclose(codes, snapshot.map_codes, rtol=1e-5, atol=1e-6)
    scores = evaluate_model(model, data, EvaluationSettings(trust_items=20, mode_samples=60,
                                                            classifier_epochs=1))
    assert scores["maps"]["latent"] is not None
    assert scores["reconstruction_sse_per_image"]["model"] > 0
    assert scores["model"]["n_categories"] == 3 and scores["model"]["beta"] == 1.0
    assert scores["sample_quality"] is not None


def test_unlabelled_data_and_semi_supervised_use_are_refused() -> None:
    data = blobs_dataset(n=20)
    unlabelled = Dataset("plain pixels", data.x, None, (), data.is_test)
    with pytest.raises(ValueError, match=r"plain pixels: A conditional VAE .* no labels"):
        list(train(_model(side=16), unlabelled, TrainConfig(epochs=1, device="cpu")))
    with pytest.raises(SemisupError, match="encodes each item with its class"):
        check_model(_model())
    assert any(p.startswith("Classes:") for p in replace(CFG, n_categories=1).validate())


def test_a_checkpoint_round_trips(tmp_path) -> None:
    model = _model()
    path = tmp_path / "cvae.safetensors"
    meta = CheckpointMeta(model=CFG, train=TrainConfig(), input_shape=(1, 8, 8), epoch=1,
                          data={"name": "blobs"})
    save_checkpoint(path, model, meta)
    loaded = load_checkpoint(path)
    assert isinstance(loaded.model, ConditionalVAE)
    assert "a conditional VAE (MLP, latent 2, 3 classes)" in loaded.meta.describe()
    for (name, p), q in zip(model.state_dict().items(), loaded.model.state_dict().values(),
                            strict=True):
        assert torch.equal(p, q), name


def test_cli_trains_and_evaluates_a_conditional_vae(capsys, tmp_path) -> None:
    code, _, err = run(capsys, "train", "--data", "digits", "--model", "cvae", "--epochs", "1",
                       *TINY, "--out", str(tmp_path / "cvae"), "--quiet")
    assert code == 0, err
    meta = load_checkpoint(tmp_path / "cvae" / "checkpoint.safetensors").meta
    assert meta.model.n_categories == 10
    code, out, err = run(capsys, "evaluate", str(tmp_path / "cvae"), "--json")
    assert code == 0, err
    assert '"conditional_accuracy"' in out
