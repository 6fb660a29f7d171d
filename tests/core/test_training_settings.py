"""Training settings beyond the basics: schedule, weight decay, early stopping, batch norm,
input dropout, and the multinomial over word counts."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from latentlab.config import ConfigError, ModelConfig, TrainConfig
from latentlab.core.data import Dataset, corpus_dataset
from latentlab.core.models import build_model
from latentlab.core.models.base import multinomial_nll
from latentlab.core.training.events import EpochEnded, TrainingFinished
from latentlab.core.training.loop import _evenly_spaced, evaluate, train
from latentlab.core.training.schedule import lr_factor


def test_cosine_schedule_runs_from_one_to_zero() -> None:
    assert lr_factor("cosine", 0, 100) == 1.0
    assert lr_factor("cosine", 50, 100) == pytest.approx(0.5)
    assert lr_factor("cosine", 100, 100) == pytest.approx(0.0)
    assert lr_factor("constant", 70, 100) == 1.0


def test_the_schedule_reaches_the_optimiser(digits: Dataset) -> None:
    model = build_model(ModelConfig(hidden=(16,)), digits.input_shape, seed=0)
    seen: list[float] = []
    step = model.train_step

    def recording_step(x, optimizers, lengths=None):
        seen.append(optimizers[0].param_groups[0]["lr"])
        return step(x, optimizers)

    model.train_step = recording_step  # type: ignore[method-assign]
    list(train(model, digits, TrainConfig(epochs=2, batch_size=512, lr_schedule="cosine")))
    assert seen[0] == pytest.approx(1e-3) and seen == sorted(seen, reverse=True)
    assert seen[-1] < 0.2e-3


def test_weight_decay_uses_adamw(digits: Dataset) -> None:
    model = build_model(ModelConfig(hidden=(16,)), digits.input_shape, seed=0)
    (optimizer,) = model.make_optimizers(TrainConfig(weight_decay=0.01))
    assert isinstance(optimizer, torch.optim.AdamW)
    assert optimizer.param_groups[0]["weight_decay"] == 0.01


def test_early_stopping_keeps_the_best_epoch(digits: Dataset) -> None:
    # A learning rate far too high: the held-out loss stops improving within a few epochs.
    model = build_model(ModelConfig(hidden=(64,)), digits.input_shape, seed=0)
    cfg = TrainConfig(epochs=40, batch_size=32, learning_rate=0.05, early_stopping=2, seed=0)
    events = list(train(model, digits, cfg))
    finished = events[-1]
    assert isinstance(finished, TrainingFinished) and finished.reason == "early_stopped"
    held_out = {e.epoch: e.test["loss"] for e in events if isinstance(e, EpochEnded)}
    assert finished.epochs_done == max(held_out) < 40
    assert finished.best_epoch == min(held_out, key=held_out.get)
    assert finished.epochs_done - finished.best_epoch == 2
    # The model holds the best epoch's weights: its held-out loss is that epoch's.
    x_test = torch.from_numpy(digits.x[_evenly_spaced(digits.test_indices, cfg.eval_items)])
    assert evaluate(model, x_test)["loss"] == pytest.approx(held_out[finished.best_epoch],
                                                            rel=1e-5)


def test_batch_norm_and_input_dropout_build_and_train(digits: Dataset) -> None:
    cfg = ModelConfig(family="vae", hidden=(32, 16), batch_norm=True, input_dropout=0.3)
    model = build_model(cfg, digits.input_shape, seed=0)
    assert any(isinstance(m, torch.nn.BatchNorm1d) for m in model.decoder.modules())
    assert any(isinstance(m, torch.nn.Dropout) for m in model.encoder.modules())
    epochs = [e for e in train(model, digits, TrainConfig(epochs=3, batch_size=64))
              if isinstance(e, EpochEnded)]
    assert epochs[-1].train["loss"] < epochs[0].train["loss"]
    model.eval()  # dropout off: codes are deterministic
    x = torch.from_numpy(digits.x[:4])
    assert torch.equal(model.embed(x), model.embed(x))


@pytest.mark.parametrize(("field", "cfg"), [
    ("Input dropout", ModelConfig(input_dropout=1.0)),
    ("Learning-rate schedule", TrainConfig(lr_schedule="steps")),
    ("Weight decay", TrainConfig(weight_decay=-1.0)),
    ("Early stopping", TrainConfig(early_stopping=-1)),
])
def test_bad_values_are_refused_by_name(field: str, cfg: ModelConfig | TrainConfig) -> None:
    problems = cfg.validate()
    assert len(problems) == 1 and problems[0].startswith(field)
    with pytest.raises(ConfigError, match=field):
        if isinstance(cfg, ModelConfig):
            build_model(cfg, (1, 8, 8))
        else:
            list(train(build_model(ModelConfig(), (1, 8, 8)), None, cfg))  # type: ignore[arg-type]


def test_multinomial_over_counts_matches_a_hand_computation() -> None:
    # A document of 3 words: "a" twice, "b" once, over a vocabulary of three words.
    x = torch.tensor([[2 / 3, 1 / 3, 0.0]])
    logits = torch.log(torch.tensor([[0.5, 0.25, 0.25]]))
    expected = -(2 * math.log(0.5) + 1 * math.log(0.25))
    assert multinomial_nll(logits, x, torch.tensor([3.0])).item() == pytest.approx(expected)
    # Without the length: the cross-entropy of the proportions, a third of it here.
    assert multinomial_nll(logits, x).item() == pytest.approx(expected / 3)


def test_text_datasets_carry_lengths_and_models_score_counts() -> None:
    texts = ["apple banana apple", "cherry", "banana cherry cherry cherry", "apple"] * 5
    data = corpus_dataset(texts, name="fruit", test_fraction=0.25, seed=0)
    assert data.lengths is not None
    assert list(data.lengths[:4]) == [3, 1, 4, 1]
    cfg = ModelConfig(hidden=(8,), likelihood="multinomial")
    model = build_model(cfg, data.input_shape, seed=0)
    assert model.scores_word_counts
    first = next(e for e in train(model, data, TrainConfig(epochs=1, batch_size=4))
                 if isinstance(e, EpochEnded))
    # Per document, counts weigh more than proportions: the mean length is 2.25 words.
    x = torch.from_numpy(data.x[data.train_indices])
    with torch.no_grad():
        model.eval()
        proportions = model.losses(x)["loss"].item()
    assert first.train["loss"] > 1.5 * proportions
    assert np.isfinite(first.test["loss"])
