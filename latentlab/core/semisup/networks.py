"""Classification networks trained on the labelled items: the model's encoder with a head on
its codes, either fine-tuned from the pretrained weights or, for comparison, the same
architecture from fresh weights.

With N labels there is no validation split to stop on, so training is fixed in advance: the
number of steps grows with N (``training_steps``), the learning rate follows a cosine decay, and
weight decay keeps a few labels from being memorised. The encoder runs in evaluation mode
throughout: its batch-norm statistics stay the pretrained ones (a batch of ten labels is no
sample to re-estimate them from), and its input dropout is off.
"""

from __future__ import annotations

import copy
import math
import threading

import numpy as np
import torch
from torch import nn

from latentlab.core.data.pixels import as_float
from latentlab.core.models.base import LatentModel

#: Steps of a fine-tuning or scratch run: ``STEPS_PER_ROOT_LABEL`` · √N within these bounds.
MIN_STEPS, MAX_STEPS, STEPS_PER_ROOT_LABEL = 150, 1200, 24
BATCH_SIZE = 64
#: Learning rates: the head and a fresh encoder learn fast; a pretrained encoder moves slowly
#: so that it adapts its features rather than forgets them.
HEAD_LR, FRESH_LR, PRETRAINED_LR = 3e-3, 1e-3, 3e-4
WEIGHT_DECAY = 1e-2
#: The head: one hidden layer, so that even a 2-D code (a map) can be cut into ten classes.
HEAD_HIDDEN = 128
#: The first share of the steps trains the head alone on the pretrained codes, so that its
#: first, random gradients do not reach the encoder.
HEAD_WARMUP = 0.2
#: Items whose codes set the head's standardisation.
STATS_ITEMS = 2048
_EVAL_BATCH = 1024


class Cancelled(Exception):
    """Raised between steps when the cancel event is set."""


def training_steps(n_labels: int) -> int:
    return int(np.clip(round(STEPS_PER_ROOT_LABEL * math.sqrt(n_labels)), MIN_STEPS, MAX_STEPS))


class _Classifier(nn.Module):
    def __init__(self, body: LatentModel, mean: torch.Tensor, std: torch.Tensor,
                 n_classes: int) -> None:
        super().__init__()
        self.body = body
        # The codes standardised by their spread at the start (fixed, not learned): codes of
        # any scale reach the head in the range its initialisation expects.
        self.register_buffer("mean", mean)
        self.register_buffer("scale", 1.0 / std.clamp_min(1e-6))
        self.head = nn.Sequential(nn.Linear(len(mean), HEAD_HIDDEN), nn.ReLU(),
                                  nn.Linear(HEAD_HIDDEN, n_classes))

    def forward(self, x: torch.Tensor, train_body: bool = True) -> torch.Tensor:
        with torch.set_grad_enabled(train_body and torch.is_grad_enabled()):
            codes = (self.body.embed(x) - self.mean) * self.scale
        return self.head(codes)


def _fresh_copy(model: LatentModel) -> LatentModel:
    """The same architecture with new weights (each layer's own initialisation)."""
    body = copy.deepcopy(model)
    for module in body.modules():
        reset = getattr(module, "reset_parameters", None)
        if callable(reset) and module is not body:
            reset()
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.reset_running_stats()
    return body


@torch.no_grad()
def _code_stats(model: LatentModel, x: np.ndarray, device: torch.device
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and spread of the codes of (up to ``STATS_ITEMS`` evenly spaced) items: labels
    play no part, so every item may count."""
    rows = np.unique(np.linspace(0, len(x) - 1, min(len(x), STATS_ITEMS)).round().astype(int))
    batches = (as_float(x[rows[i : i + _EVAL_BATCH]]) for i in range(0, len(rows), _EVAL_BATCH))
    codes = torch.cat([model.embed(torch.from_numpy(b).to(device)) for b in batches])
    if len(codes) < 2:
        return codes.mean(0), torch.ones_like(codes[0])
    return codes.mean(0), codes.std(0, unbiased=False)


def train_network(model: LatentModel, x: np.ndarray, labelled: np.ndarray, labels: np.ndarray,
                  rows: np.ndarray, n_classes: int, *, pretrained: bool, seed: int,
                  cancel: threading.Event | None = None) -> np.ndarray:
    """Train the encoder of ``model`` (a copy: the model itself is left as it was) with a
    small head on the labelled items of ``x`` (float32, or 8-bit pixels converted as used);
    return the predicted class of each row of ``rows``. ``pretrained`` False starts the same
    architecture from fresh weights."""
    device = next(model.parameters()).device
    # New weights come from torch's global generator: seeded here, and put back as it was
    # afterwards, so that a training run elsewhere keeps its own sequence.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        body = copy.deepcopy(model) if pretrained else _fresh_copy(model)
        body.eval()
        net = _Classifier(body, *_code_stats(body, x, device), n_classes).to(device)
    for p in body.parameters():
        p.requires_grad_(True)
    x_labelled = torch.from_numpy(as_float(x[labelled])).to(device)
    y_labelled = torch.from_numpy(np.asarray(labels, np.int64)).to(device)
    optimizer = torch.optim.AdamW(
        [{"params": list(net.head.parameters()), "lr": HEAD_LR},
         {"params": list(body.parameters()), "lr": PRETRAINED_LR if pretrained else FRESH_LR}],
        weight_decay=WEIGHT_DECAY)
    bases = [group["lr"] for group in optimizer.param_groups]
    steps = training_steps(len(labelled))
    warmup = round(HEAD_WARMUP * steps) if pretrained else 0
    batch = min(BATCH_SIZE, len(labelled))
    order = torch.Generator().manual_seed(seed)
    loss_fn = nn.CrossEntropyLoss()
    position, permutation = len(labelled), torch.empty(0, dtype=torch.int64)
    for step in range(steps):
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        if position + batch > len(labelled):  # a new pass over the labels, reshuffled
            permutation, position = torch.randperm(len(labelled), generator=order), 0
        now = permutation[position : position + batch].to(device)
        position += batch
        decay = 0.5 * (1 + math.cos(math.pi * step / steps))
        for group, base in zip(optimizer.param_groups, bases, strict=True):
            group["lr"] = base * decay
        loss = loss_fn(net(x_labelled[now], step >= warmup), y_labelled[now])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    predictions = []
    with torch.no_grad():
        for start in range(0, len(rows), _EVAL_BATCH):
            part = torch.from_numpy(as_float(x[rows[start : start + _EVAL_BATCH]]))
            predictions.append(net(part.to(device)).argmax(1).cpu().numpy())
    return np.concatenate(predictions).astype(np.int64) if predictions else np.zeros(0, np.int64)


__all__ = ["Cancelled", "train_network", "training_steps"]
