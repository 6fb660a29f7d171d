"""Mixed precision and where the train split lives: bf16 autocast, host-kept batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latentlab.config import ConfigError, ModelConfig, TrainConfig
from latentlab.core.data import Dataset
from latentlab.core.models import Autoencoder, build_model
from latentlab.core.training import batches
from latentlab.core.training.batches import TrainItems, fits_on_device
from latentlab.core.training.events import EpochEnded, TrainingFinished
from latentlab.core.training.loop import train
from latentlab.core.training.precision import mixed_precision


def test_an_unknown_precision_is_refused_naming_the_field() -> None:
    problems = TrainConfig(precision="fp16").validate()
    assert problems == ["Precision: must be one of fp32, bf16 (got 'fp16')."]
    assert TrainConfig(precision="bf16").validate() == []


def test_bf16_is_refused_where_the_device_has_no_bfloat16(monkeypatch) -> None:
    assert mixed_precision("fp32", torch.device("cuda")) is None
    assert mixed_precision("bf16", torch.device("cpu")) == ("cpu", torch.bfloat16)
    with pytest.raises(ConfigError, match="Precision: bf16 is not supported on mps"):
        mixed_precision("bf16", torch.device("mps"))
    # No GPU needed: only these two questions are asked of CUDA.
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda _device=None: "Old GPU")
    with pytest.raises(ConfigError, match="Old GPU has none; use fp32"):
        mixed_precision("bf16", torch.device("cuda"))
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    assert mixed_precision("bf16", torch.device("cuda")) == ("cuda", torch.bfloat16)


class AutocastSeen(Autoencoder):
    """Records whether each training loss ran under bf16 autocast."""

    seen: list[bool]

    def training_losses(self, x, lengths=None):
        self.seen.append(torch.is_autocast_enabled("cpu")
                         and torch.get_autocast_dtype("cpu") == torch.bfloat16)
        return super().training_losses(x, lengths)


@pytest.mark.parametrize("family", ["ae", "gan"])
def test_bf16_trains_a_tiny_model_on_the_cpu(digits: Dataset, family: str) -> None:
    cfg = ModelConfig(family=family, hidden=(16,), noise_dim=4)
    model = build_model(cfg, digits.input_shape, seed=0)
    events = list(train(model, digits, TrainConfig(epochs=2, device="cpu", precision="bf16")))
    assert isinstance(events[-1], TrainingFinished) and events[-1].reason == "completed"
    epochs = [e for e in events if isinstance(e, EpochEnded)]
    assert all(np.isfinite(v) for e in epochs for v in e.train.values())
    assert all(p.dtype == torch.float32 for p in model.parameters())  # fp32 master weights
    if family == "ae":
        assert epochs[-1].train["loss"] < epochs[0].train["loss"]


def test_bf16_autocasts_the_losses_and_fp32_does_not(digits: Dataset) -> None:
    for precision, expected in (("bf16", True), ("fp32", False)):
        model = AutocastSeen(ModelConfig(hidden=(16,)), digits.input_shape)
        model.seen = []
        list(train(model, digits, TrainConfig(epochs=1, device="cpu", precision=precision)))
        assert model.seen and all(s == expected for s in model.seen)
        assert not torch.is_autocast_enabled("cpu")  # nothing leaks past the step


def test_host_kept_batches_equal_resident_ones() -> None:
    x = np.arange(60, dtype=np.float32).reshape(10, 1, 2, 3)
    rows = torch.tensor([7, 0, 3])
    resident = TrainItems.of(x, torch.device("cpu"), resident=True)
    host = TrainItems.of(x, torch.device("cpu"), resident=False)
    assert not host.resident
    assert torch.equal(host.batch(rows), resident.batch(rows))
    assert torch.equal(host.batch(rows), torch.from_numpy(x[[7, 0, 3]]))


def test_the_split_stays_on_the_gpu_only_within_a_share_of_its_free_memory(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda _device=None: (1000, 4000))
    cuda = torch.device("cuda")
    assert fits_on_device(500, cuda) and not fits_on_device(501, cuda)
    assert fits_on_device(10**15, torch.device("cpu"))  # the host holds it either way


def test_training_from_host_kept_batches_trains_the_same_weights(digits: Dataset,
                                                                 monkeypatch) -> None:
    weights = []
    batch = batches.TrainItems.batch
    for fits in (True, False):
        monkeypatch.setattr("latentlab.core.training.loop.fits_on_device",
                            lambda *_args, fits=fits: fits)
        calls: list[bool] = []
        monkeypatch.setattr(batches.TrainItems, "batch",
                            lambda self, rows, calls=calls: (calls.append(self.resident)
                                                             or batch(self, rows)))
        model = build_model(ModelConfig(family="cvae", hidden=(16,)), digits.input_shape,
                            seed=1)
        list(train(model, digits, TrainConfig(epochs=1, device="cpu", seed=1)))
        assert calls and set(calls) == {fits}  # items and labels alike
        weights.append(torch.cat([p.flatten() for p in model.parameters()]))
    assert torch.equal(weights[0], weights[1])
