"""The UMAP autoencoder: its cross-entropy, its training through the one loop, its checkpoint."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from latentlab.config import ConfigError, ModelConfig, TrainConfig
from latentlab.core.data import Dataset
from latentlab.core.data.dataset import random_split
from latentlab.core.files.checkpoint import CheckpointMeta, load_checkpoint, save_checkpoint
from latentlab.core.models import build_model
from latentlab.core.models.umap_autoencoder import UmapAutoencoder, umap_cross_entropy
from latentlab.core.training.events import EpochEnded, Snapshot, TrainingFinished
from latentlab.core.training.loop import train
from latentlab.core.training.views import LiveItems

SMALL = ModelConfig(family="umap_ae", hidden=(32, 16), umap_neighbors=5, umap_weight=10.0)


@pytest.fixture(scope="module")
def few_digits(digits: Dataset) -> Dataset:
    keep = np.random.default_rng(0).choice(digits.n, 240, replace=False)
    return Dataset("few digits", digits.x[keep], digits.labels[keep], digits.class_names,
                   random_split(240, 0.25, seed=0))


def test_cross_entropy_matches_a_hand_computation() -> None:
    a, b = 1.5, 1.0
    head = torch.tensor([[0.0, 0.0]])
    tail = torch.tensor([[1.0, 0.0]])  # d² = 1: q = 1 / (1 + 1.5) = 0.4
    negatives = torch.tensor([[0.0, 2.0], [3.0, 0.0]])  # d² = 4, 9: q = 1/7, 1/14.5
    expected = -math.log(0.4) - math.log(1 - 1 / 7) - math.log(1 - 1 / 14.5)
    got = umap_cross_entropy(head, tail, negatives, a, b)
    assert got.item() == pytest.approx(expected, rel=1e-5)


def test_trains_through_the_loop_and_its_losses_fall(few_digits: Dataset) -> None:
    model = build_model(SMALL, few_digits.input_shape, seed=0)
    assert isinstance(model, UmapAutoencoder)
    cfg = TrainConfig(epochs=6, batch_size=32, learning_rate=3e-3, seed=0,
                      snapshot_interval_s=1e-9)
    live = LiveItems(map_indices=np.arange(20))
    events = list(train(model, few_digits, cfg, live=live))
    epochs = [e for e in events if isinstance(e, EpochEnded)]
    assert set(epochs[0].train) == {"loss", "recon", "umap"}
    assert set(epochs[0].test) == {"recon"}  # held-out items have no place in the graph
    assert epochs[-1].train["umap"] < epochs[0].train["umap"]
    assert epochs[-1].train["recon"] < epochs[0].train["recon"]
    codes = [e.map_codes for e in events if isinstance(e, Snapshot) and e.map_codes is not None]
    assert codes and codes[-1].shape == (20, 2)  # the live map moves as for the other models
    assert isinstance(events[-1], TrainingFinished)


def test_neighbours_end_closer_than_strangers(few_digits: Dataset) -> None:
    """The point of the graph term: digits of a class sit together on the trained map."""
    model = build_model(SMALL, few_digits.input_shape, seed=0)
    list(train(model, few_digits, TrainConfig(epochs=12, batch_size=32, learning_rate=3e-3)))
    model.eval()
    with torch.no_grad():
        codes = model.embed(torch.from_numpy(few_digits.x)).numpy()
    labels = few_digits.labels
    same = labels[:, None] == labels[None, :]
    distances = np.linalg.norm(codes[:, None] - codes[None, :], axis=2)
    assert distances[same].mean() < 0.6 * distances[~same].mean()


def test_checkpoint_round_trips(few_digits: Dataset, tmp_path: Path) -> None:
    model = build_model(SMALL, few_digits.input_shape, seed=0)
    list(train(model, few_digits, TrainConfig(epochs=1, batch_size=32)))
    meta = CheckpointMeta(model=model.cfg, train=TrainConfig(epochs=1),
                          input_shape=few_digits.input_shape, data={"name": "few digits"},
                          epoch=1)
    path = save_checkpoint(tmp_path / "umap.safetensors", model, meta)
    loaded = load_checkpoint(path).model
    assert isinstance(loaded, UmapAutoencoder) and loaded.cfg == model.cfg
    x = torch.from_numpy(few_digits.x[:5])
    model.eval()
    loaded.eval()
    with torch.no_grad():
        assert torch.equal(model.embed(x), loaded.embed(x))
        assert torch.equal(model.decode(torch.zeros(1, 2)), loaded.decode(torch.zeros(1, 2)))


def test_bad_settings_name_their_field() -> None:
    for cfg, field in ((ModelConfig(family="umap_ae", umap_weight=-1.0), "UMAP weight"),
                       (ModelConfig(family="umap_ae", umap_neighbors=1), "UMAP neighbours"),
                       (ModelConfig(family="umap_ae", umap_min_dist=float("nan")),
                        "UMAP min_dist")):
        with pytest.raises(ConfigError, match=field):
            build_model(cfg, (1, 8, 8))


def test_training_without_the_graph_is_refused() -> None:
    model = build_model(SMALL, (1, 8, 8), seed=0)
    with pytest.raises(RuntimeError, match="prepare_training"):
        model.train_step(torch.rand(4, 1, 8, 8), model.make_optimizers(TrainConfig()))
