"""CycleGAN: its losses on hand-made tensors, the fakes' pool, batches split by domain, training,
the scores (cycle error, label preservation), and the data it refuses."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data.builtin import load_digits
from latentlab.core.data.dataset import Dataset
from latentlab.core.data.domains import derived_pair, two_domains
from latentlab.core.evaluation.cycle import cycle_scores, label_preservation, translate_all
from latentlab.core.models import build_model
from latentlab.core.models.cyclegan import CycleGAN, FakePool
from latentlab.core.training.events import TrainingFinished
from latentlab.core.training.loop import train

torch.set_num_threads(1)
CFG = ModelConfig(family="cyclegan", gan_loss="least_squares")


class Scale(nn.Module):
    """x → factor·x: a generator whose outputs are known."""

    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = nn.Parameter(torch.tensor(factor))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.factor * x


class Constant(nn.Module):
    """A discriminator whose every patch says ``value``."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full((len(x), 1, 2, 2), self.value)


def _model(side: int = 8) -> CycleGAN:
    model = build_model(CFG, (1, side, side), seed=0)
    assert isinstance(model, CycleGAN)
    return model


def _digits(n: int = 240) -> Dataset:
    digits = load_digits()
    rows = np.arange(n)
    return Dataset("digits", digits.x[rows], digits.labels[rows], digits.class_names,
                   digits.is_test[rows])


def test_the_cycle_and_identity_terms_on_hand_made_tensors() -> None:
    model = _model()
    model.decoder["a_to_b"], model.decoder["b_to_a"] = Scale(0.5), Scale(-1.0)
    model.discriminators["a"], model.discriminators["b"] = Constant(0.0), Constant(1.0)
    a = torch.full((2, 1, 8, 8), 0.4)
    b = torch.full((3, 1, 8, 8), -0.2)
    terms, fake_b, fake_a = model._g_terms(a, b)
    torch.testing.assert_close(fake_b, 0.5 * a)
    torch.testing.assert_close(fake_a, -b)
    # F(G(a)) = −0.5a: |−0.2 − 0.4| = 0.6; G(F(b)) = −0.5b: |0.1 + 0.2| = 0.3.
    cycle = 0.6 + 0.3
    # G(b) = 0.5b: |−0.1 + 0.2| = 0.1; F(a) = −a: |−0.4 − 0.4| = 0.8.
    identity = 0.1 + 0.8
    # Least squares: ½(D_B(G(a)) − 1)² = 0 and ½(D_A(F(b)) − 1)² = ½.
    adversarial = 0.5
    torch.testing.assert_close(terms["g_loss"], torch.tensor(adversarial))
    torch.testing.assert_close(terms["cycle"], torch.tensor(cycle / 4))  # per pixel in [0, 1]
    torch.testing.assert_close(terms["identity"], torch.tensor(identity / 4))
    total = adversarial + 10 * cycle + 0.5 * 10 * identity
    torch.testing.assert_close(terms["g_total"], torch.tensor(total))
    model.cfg = replace(CFG, identity_weight=0.0)
    terms, _, _ = model._g_terms(a, b)
    torch.testing.assert_close(terms["g_total"], torch.tensor(adversarial + 10 * cycle))


def test_the_pool_fills_then_swaps_about_half_the_fakes() -> None:
    torch.manual_seed(0)
    pool = FakePool(size=4)
    first = torch.arange(4.0).view(4, 1)
    assert torch.equal(pool.query(first), first)  # filling: every fake as it is
    later = torch.arange(100.0, 300.0).view(200, 1)
    out = pool.query(later)
    swapped = (out != later).flatten()
    assert 0.35 < swapped.float().mean() < 0.65
    assert pool.images is not None and len(pool.images) == 4
    assert set(out[swapped].flatten().tolist()) <= set(range(4)) | set(range(100, 300))


def test_a_batch_is_split_by_domain_and_a_missing_domain_drawn_from_the_train_items() -> None:
    model = _model()
    x = torch.rand(6, 1, 8, 8)
    domains = torch.tensor([0, 1, 0, 0, 1, 0])
    a, b = model.split(x, domains)
    torch.testing.assert_close(a, x[[0, 2, 3, 5]] * 2 - 1)
    torch.testing.assert_close(b, x[[1, 4]] * 2 - 1)
    model.prepare_training(x, domains)
    a, b = model.split(x[[0, 2]], torch.tensor([0, 0]))
    assert len(b) == 2 and all(any(torch.equal(row, t) for t in x[[1, 4]] * 2 - 1) for row in b)
    with pytest.raises(ValueError, match="domain"):
        model.split(x, None)


def test_training_moves_both_generators_and_lowers_the_cycle_error() -> None:
    data = derived_pair(_digits(), "inverted")
    model = _model()
    before = {name: p.detach().clone() for name, p in model.decoder.named_parameters()}
    events = list(train(model, data, TrainConfig(epochs=3, batch_size=16, learning_rate=2e-4,
                                                 d_learning_rate=2e-4, device="cpu")))
    assert isinstance(events[-1], TrainingFinished) and events[-1].reason == "completed"
    still = [n for n, p in model.decoder.named_parameters() if torch.equal(before[n], p)]
    assert not still, still
    epochs = [e for e in events if type(e).__name__ == "EpochEnded"]
    assert all(math.isfinite(v) for e in epochs for v in e.train.values())
    assert epochs[-1].train["cycle"] < epochs[0].train["cycle"]


def test_scores_read_translated_items_with_domain_bs_classifier() -> None:
    digits = _digits(400)
    data = two_domains(digits, Dataset("digits again", digits.x, digits.labels,
                                       digits.class_names, digits.is_test))
    model = _model().eval()
    # An identity translator: A's items reach B's classifier as they are.
    model.decoder["a_to_b"], model.decoder["b_to_a"] = nn.Identity(), nn.Identity()
    scores = cycle_scores(model, data, classifier_epochs=3)
    assert scores["cycle_l1_a"] == pytest.approx(0, abs=1e-6)
    assert scores["identity_l1"] == pytest.approx(0, abs=1e-6)
    assert scores["label_preservation"] == scores["no_adaptation"] > 0.5
    assert scores["scored_items"] == int(digits.is_test.sum())
    # An inverting translator: the classifier of B no longer reads A's digits.
    model.decoder["a_to_b"] = Scale(-1.0)
    translated = translate_all(model, data.x[:digits.n][digits.is_test], "a_to_b")
    inverted = label_preservation(model, data, translated, classifier_epochs=3)
    assert inverted["label_preservation"] < scores["label_preservation"] - 0.3


def test_data_of_one_domain_or_too_few_items_is_refused() -> None:
    digits = _digits(40)
    with pytest.raises(ValueError, match="two domains"):
        list(train(_model(), digits, TrainConfig(epochs=1, device="cpu")))
    one_b = two_domains(digits, Dataset("one", digits.x[:1], None, (), np.array([False])))
    problem = _model().data_problem(one_b)
    assert problem is not None and "domain B has 1 train item(s)" in problem
    assert any(p.startswith("Cycle weight λ:") for p in replace(CFG, cycle_weight=-1).validate())
    assert any(p.startswith("Generator loss:") for p in replace(CFG, gan_loss="wgan_gp").validate())
