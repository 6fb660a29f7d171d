from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from latentlab.config import ConfigError, ModelConfig, TrainConfig
from latentlab.core.data import Dataset
from latentlab.core.maps.linear import PCA
from latentlab.core.models import Autoencoder, build_model
from latentlab.core.training.events import (
    EpochEnded,
    Snapshot,
    StepProgress,
    TrainingFailed,
    TrainingFinished,
    TrainingStarted,
)
from latentlab.core.training.loop import TrainControl, train
from latentlab.core.training.views import LiveItems, decoder_state, model_views


def run(model, data, cfg, **kwargs) -> list:
    return list(train(model, data, cfg, **kwargs))


def test_autoencoder_loss_decreases_on_digits(digits: Dataset) -> None:
    model = build_model(ModelConfig(), digits.input_shape, seed=0)
    cfg = TrainConfig(epochs=10, batch_size=64, seed=0)  # 230 steps
    epochs = [e for e in run(model, digits, cfg) if isinstance(e, EpochEnded)]
    assert len(epochs) == 10
    assert epochs[-1].train["loss"] < 0.6 * epochs[0].train["loss"]
    assert epochs[-1].test["loss"] < 0.6 * epochs[0].test["loss"]


def test_vae_reports_its_terms_and_learns(digits: Dataset) -> None:
    model = build_model(ModelConfig(family="vae"), digits.input_shape, seed=0)
    events = run(model, digits, TrainConfig(epochs=8, seed=0))
    started = events[0]
    assert isinstance(started, TrainingStarted) and started.loss_terms == ("loss", "recon", "kl")
    epochs = [e for e in events if isinstance(e, EpochEnded)]
    assert set(epochs[0].test) == {"loss", "recon", "kl"}
    assert epochs[-1].train["recon"] < epochs[0].train["recon"]


def test_event_stream_shape(digits: Dataset) -> None:
    model = build_model(ModelConfig(hidden=(32,)), digits.input_shape, seed=0)
    live = LiveItems(np.arange(100), digits.test_indices[:4])
    events = run(model, digits, TrainConfig(epochs=2, snapshot_interval_s=1e-9), live=live,
                 progress_interval_s=0.0)
    assert isinstance(events[0], TrainingStarted)
    assert isinstance(events[-1], TrainingFinished) and events[-1].reason == "completed"
    progress = [e for e in events if isinstance(e, StepProgress)]
    assert [p.global_step for p in progress] == list(range(1, events[0].total_steps + 1))
    assert progress[-1].eta_s == 0 and progress[-1].epoch_float == pytest.approx(2.0)
    snaps = [e for e in events if isinstance(e, Snapshot)]
    final = events[-2]
    assert isinstance(final, Snapshot) and final.map_codes.shape == (100, 2)
    assert final.recon.shape == (4, 1, 8, 8)
    # Snapshots are copies: training on does not change a snapshot already sent.
    assert set(snaps[0].decoder_state) == set(decoder_state(model))
    first = next(iter(snaps[0].decoder_state.values()))
    assert not np.array_equal(first, next(iter(final.decoder_state.values())))


def test_same_seed_same_losses_and_weights(digits: Dataset) -> None:
    results = []
    for _ in range(2):
        model = build_model(ModelConfig(family="vae"), digits.input_shape, seed=5)
        losses = [e.train["loss"] for e in run(model, digits, TrainConfig(epochs=2, seed=5))
                  if isinstance(e, EpochEnded)]
        results.append((losses, torch.cat([p.flatten() for p in model.parameters()])))
    assert results[0][0] == results[1][0]
    assert torch.equal(results[0][1], results[1][1])


def test_stop_ends_with_a_stopped_event(digits: Dataset) -> None:
    control = TrainControl()
    model = build_model(ModelConfig(), digits.input_shape, seed=0)
    events = []
    for event in train(model, digits, TrainConfig(epochs=50), control, progress_interval_s=0):
        events.append(event)
        if isinstance(event, StepProgress) and event.global_step == 5:
            control.stop()
    assert isinstance(events[-1], TrainingFinished) and events[-1].reason == "stopped"
    assert events[-1].global_step == 5
    assert isinstance(events[-2], Snapshot) and events[-2].map_codes is None  # no live items


def test_pause_blocks_until_resumed(digits: Dataset) -> None:
    control = TrainControl()
    model = build_model(ModelConfig(hidden=(16,)), digits.input_shape, seed=0)
    steps: list[int] = []

    def consume() -> None:
        for event in train(model, digits, TrainConfig(epochs=2), control, progress_interval_s=0):
            if isinstance(event, StepProgress):
                steps.append(event.global_step)
                if event.global_step == 3:
                    control.pause()

    worker = threading.Thread(target=consume)
    worker.start()
    worker.join(timeout=2.0)
    assert worker.is_alive() and steps[-1] == 3  # paused after step 3
    control.resume()
    worker.join(timeout=30)
    assert not worker.is_alive() and steps[-1] == 46


class PoisonedAutoencoder(Autoencoder):
    """Reports a NaN loss from its ``poison_at``-th call on, as a diverging run would."""

    poison_at = 12
    calls = 0

    def losses(self, x):
        self.calls += 1
        terms = super().losses(x)
        if self.calls >= self.poison_at:
            terms["loss"] = terms["loss"] * float("nan")
        return terms


def test_nan_loss_stops_with_a_message_and_keeps_good_weights(digits: Dataset,
                                                               monkeypatch) -> None:
    import latentlab.core.training.loop as training

    monkeypatch.setattr(training, "GOOD_WEIGHTS_INTERVAL_S", 0.0)  # a copy at every read
    torch.manual_seed(0)
    model = PoisonedAutoencoder(ModelConfig(), digits.input_shape)
    cfg = TrainConfig(epochs=3, snapshot_interval_s=1e-9)
    events = run(model, digits, cfg, progress_interval_s=0)  # losses read after every step
    failed = events[-1]
    assert isinstance(failed, TrainingFailed)
    assert "NaN" in failed.message and "epoch 1, step 12" in failed.message
    # Step 12's NaN gradients reached the weights; they go back to step 11's checked copy.
    assert "kept the weights from step 11" in failed.message
    assert "lower learning rate" in failed.message
    assert failed.global_step == 11  # the last step whose losses were finite
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert isinstance(events[-2], Snapshot) and events[-2].global_step == 11


def test_nan_found_at_the_epoch_end_read_names_its_step_and_rolls_back(digits: Dataset) -> None:
    torch.manual_seed(0)
    model = PoisonedAutoencoder(ModelConfig(), digits.input_shape)
    first = {k: v.clone() for k, v in model.state_dict().items()}
    # No report or snapshot before the epoch's end: its read is the first to see step 12.
    events = run(model, digits, TrainConfig(epochs=3, snapshot_interval_s=1e9),
                 progress_interval_s=1e9)
    failed = events[-1]
    assert isinstance(failed, TrainingFailed) and failed.global_step == 11
    assert "NaN at epoch 1, step 12" in failed.message
    assert "kept the weights from step 0" in failed.message  # the only checked copy
    assert not any(isinstance(e, (StepProgress, EpochEnded)) for e in events)
    for name, value in model.state_dict().items():
        assert torch.equal(value, first[name]), name


def test_non_finite_weights_are_rolled_back(digits: Dataset, monkeypatch) -> None:
    import latentlab.core.training.loop as training

    monkeypatch.setattr(training, "GOOD_WEIGHTS_INTERVAL_S", 0.0)  # keep a copy at every read
    model = build_model(ModelConfig(hidden=(16,)), digits.input_shape, seed=0)
    control = TrainControl()
    events = []
    for event in train(model, digits, TrainConfig(epochs=3, snapshot_interval_s=1e-9), control,
                       progress_interval_s=0):
        events.append(event)
        if isinstance(event, StepProgress) and event.global_step == 4:
            with torch.no_grad():  # corrupt the live weights as an exploding update would
                next(model.parameters()).fill_(float("inf"))
    assert isinstance(events[-1], TrainingFailed)
    # Step 4's copy was taken at its read, before its report: step 5's loss is the bad one.
    assert "step 5" in events[-1].message
    assert "kept the weights from step 4" in events[-1].message
    assert all(torch.isfinite(p).all() for p in model.parameters())


class HostReads(torch.Tensor):
    """A loss term that counts how often its values are read on the host."""

    reads = 0

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") in {"item", "tolist", "numpy", "__float__", "__bool__"}:
            HostReads.reads += 1
        return super().__torch_function__(func, types, args, kwargs or {})


class CountedAutoencoder(Autoencoder):
    def train_step(self, x, optimizers, lengths=None):
        terms = super().train_step(x, optimizers, lengths)
        assert all(t.grad_fn is None and t.dim() == 0 for t in terms.values())
        return {name: t.as_subclass(HostReads) for name, t in terms.items()}


@pytest.mark.parametrize(("interval_s", "reads"), [(1e9, 2), (0.0, 46)])
def test_losses_are_read_only_at_reports_snapshots_and_epoch_ends(
        digits: Dataset, interval_s: float, reads: int) -> None:
    HostReads.reads = 0
    model = CountedAutoencoder(ModelConfig(hidden=(16,)), digits.input_shape)
    events = run(model, digits, TrainConfig(epochs=2, snapshot_interval_s=1e9),
                 progress_interval_s=interval_s)
    assert isinstance(events[-1], TrainingFinished) and events[-1].global_step == 46
    assert HostReads.reads == reads  # two epoch ends, or one read per step


def test_reading_losses_rarely_changes_no_figure(digits: Dataset) -> None:
    """Epoch means and weights are the same whether losses are read every step or per epoch."""
    results = []
    for interval_s in (0.0, 1e9):
        model = build_model(ModelConfig(family="vae", hidden=(16,)), digits.input_shape, seed=2)
        events = run(model, digits, TrainConfig(epochs=2, seed=2, snapshot_interval_s=1e9),
                     progress_interval_s=interval_s)
        epochs = [e.train for e in events if isinstance(e, EpochEnded)]
        results.append((epochs, torch.cat([p.flatten() for p in model.parameters()])))
    for every_step, per_epoch in zip(results[0][0], results[1][0], strict=True):
        assert every_step.keys() == per_epoch.keys() == {"loss", "recon", "kl"}
        for name in every_step:
            assert every_step[name] == pytest.approx(per_epoch[name], rel=1e-12)
    assert torch.equal(results[0][1], results[1][1])


def test_linear_autoencoder_approaches_pca(digits: Dataset) -> None:
    """The lecture's claim: a linear AE trained on squared error spans PCA's subspace."""
    x = digits.x.reshape(digits.n, -1)
    train_x = x[digits.train_indices]
    pca = PCA(2).fit(train_x)
    pca_sse = ((pca.inverse_transform(pca.transform(train_x)) - train_x) ** 2).sum(1).mean()
    model = build_model(ModelConfig(architecture="linear"), digits.input_shape, seed=0)
    cfg = TrainConfig(epochs=40, learning_rate=1e-2, batch_size=32)
    epochs = [e for e in run(model, digits, cfg) if isinstance(e, EpochEnded)]
    assert pca_sse * 0.99 < epochs[-1].train["loss"] < 1.02 * pca_sse
    # The decoder's two directions span the first two principal components.
    basis, _ = np.linalg.qr(model.decoder.body.weight.detach().numpy())
    cosines = np.linalg.svd(pca.components_ @ basis, compute_uv=False)
    assert cosines.min() > 0.98


def test_invalid_settings_are_refused_before_training(digits: Dataset) -> None:
    model = build_model(ModelConfig(), digits.input_shape)
    with pytest.raises(ConfigError, match="Learning rate"):
        next(train(model, digits, TrainConfig(learning_rate=-1.0)))


@pytest.mark.parametrize("family", ["vae", "infogan", "cvae"])
def test_model_views_of_a_model_match_its_last_training_snapshot(digits: Dataset,
                                                                 family: str) -> None:
    cfg = ModelConfig(family=family, hidden=(16,), noise_dim=4, n_categories=10)
    model = build_model(cfg, digits.input_shape, seed=0)
    live = LiveItems(np.arange(40), np.arange(4))
    events = run(model, digits, TrainConfig(epochs=1, device="cpu", seed=3), live=live)
    last = [e for e in events if isinstance(e, Snapshot)][-1]
    was_training = model.training
    views = model_views(model, digits, live, seed=3, epoch=1)
    assert model.training == was_training  # the model keeps its mode
    assert views.epoch_float == 1.0 and views.decoder_state.keys() == last.decoder_state.keys()
    for name in ("map_codes", "recon", "map_categories", "samples"):
        ours, theirs = getattr(views, name), getattr(last, name)
        assert (ours is None) == (theirs is None), name
        if ours is not None:
            np.testing.assert_allclose(ours, theirs, atol=1e-6, err_msg=name)
