"""The unpaired-translation lab's data and frames: the built-in domain pairs it trains on (the
same sources and second-domain specs the command line records, so either opens the other's
checkpoints), a map of both domains' items, and what a frame holds — held-out rows A → B → A and
B → A → B as numbers only, since frames cross from the training thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from latentlab.core.data.dataset import Dataset, DatasetError
from latentlab.core.data.domains import domain_rows, pair_from_spec
from latentlab.core.data.source import DataSource
from latentlab.core.files.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from latentlab.core.models.cyclegan import DOMAIN_A, DOMAIN_B, CycleGAN
from latentlab.lab.translation_data import images_of

#: The built-in pairs, all offline: (source of A, the second domain as a checkpoint records
#: it). The 8×8 digits beside the MNIST sample are framed as MNIST's digits.
PAIRS: dict[str, tuple[str, dict[str, object]]] = {
    "Digits 8×8 → MNIST sample": ("digits", {"b": "mnist-5k"}),
    "MNIST sample ↔ thick strokes": ("mnist-5k", {"derive": "thick"}),
    "MNIST sample ↔ inverted": ("mnist-5k", {"derive": "inverted"}),
    "MNIST sample ↔ coloured backgrounds": ("mnist-5k", {"derive": "coloured"}),
    "Digits 8×8 ↔ inverted (fast)": ("digits", {"derive": "inverted"}),
}
#: The model family this lab opens (the window sends its checkpoints here).
FAMILIES = ("cyclegan",)
#: Held-out items per direction shown as rows of (item, translated, back).
N_ROWS = 6
#: Items of each domain on the map (a seeded subsample beyond).
MAP_ITEMS = 1_000


def load_pair(source: str, spec: dict[str, object]) -> Dataset:
    """Two domains from a source and a second-domain spec (``domains.pair_from_spec``); loads
    what it needs (on any thread). DatasetError naming the reason."""
    first = DataSource.parse(source).load()
    return pair_from_spec(first, source, spec, lambda b: DataSource.parse(b).load())


def pair_name(source: object, spec: object) -> str | None:
    """The built-in pair these are, if any."""
    return next((name for name, (s, d) in PAIRS.items() if s == source and d == spec), None)


@dataclass(frozen=True)
class DomainMap:
    """Both domains' items on one 2-D map (PCA of the pixels, fitted on both): ``rows`` are
    dataset indices, ``coords`` their places, ``domains`` 0 (A) or 1 (B)."""

    rows: np.ndarray
    coords: np.ndarray
    domains: np.ndarray
    variance: float  # the share of the pixels' variance the two axes hold


def domain_map(data: Dataset, seed: int = 0) -> DomainMap:
    """At most MAP_ITEMS of each domain (seeded), on the first two principal axes of both."""
    rng = np.random.default_rng(seed)
    parts = []
    for domain in (DOMAIN_A, DOMAIN_B):
        rows = domain_rows(data, domain)
        parts.append(np.sort(rng.permutation(rows)[:MAP_ITEMS]))
    rows = np.concatenate(parts)
    flat = data.images(rows).reshape(len(rows), -1).astype(np.float64)
    centred = flat - flat.mean(0)
    # The scatter matrix's top two eigenvectors: a D×D eigenproblem, cheaper than an SVD here.
    values, vectors = np.linalg.eigh(centred.T @ centred)
    coords = (centred @ vectors[:, ::-1][:, :2]).astype(np.float32)
    total = float(values.clip(min=0).sum())
    variance = float(values[::-1][:2].clip(min=0).sum() / total) if total > 0 else 0.0
    assert data.domains is not None
    return DomainMap(rows, coords, data.domains[rows].astype(np.int8), variance)


@dataclass(frozen=True)
class CycleFrame:
    """Held-out rows after some training: numbers only (crosses threads). Each of ``a_rows``
    and ``b_rows`` is N_ROWS×3 images (item, translated, back) of H×W or H×W×3, in [0, 1]."""

    step: int
    epoch: float
    a_rows: np.ndarray
    b_rows: np.ndarray
    decoder_state: dict[str, np.ndarray] | None = None  # for the live model


def frame_items(data: Dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """N_ROWS test items of each domain (train items for a domain without test ones)."""
    items = []
    for domain in (DOMAIN_A, DOMAIN_B):
        rows = domain_rows(data, domain, test=True)
        rows = rows if len(rows) else domain_rows(data, domain)
        items.append(torch.from_numpy(data.images(rows[:N_ROWS])))
    return items[0], items[1]


@torch.no_grad()
def round_trip(model: CycleGAN, x: torch.Tensor, direction: str) -> np.ndarray:
    """N×3 images: the items, translated in ``direction``, and translated back (eval mode for
    the pass, the model's own mode kept)."""
    was_training = model.training
    model.eval()
    back = "b_to_a" if direction == "a_to_b" else "a_to_b"
    there = model.translate(x, direction)
    again = model.translate(there, back)
    model.train(was_training)
    return np.stack([images_of(x), images_of(there), images_of(again)], axis=1)


def take_frame(model: CycleGAN, items: tuple[torch.Tensor, torch.Tensor], step: int,
               epoch: float, state: dict[str, np.ndarray] | None = None) -> CycleFrame:
    a, b = items
    return CycleFrame(step, epoch, round_trip(model, a, "a_to_b"), round_trip(model, b, "b_to_a"),
                      state)


def read_model(path: Path) -> tuple[Checkpoint, str, Dataset]:
    """The CycleGAN checkpoint at ``path``, the name of its pair (a built-in one's, or its
    recorded source's) and the pair, rebuilt from what the checkpoint records. On any thread;
    CheckpointError naming the file otherwise."""
    checkpoint = load_checkpoint(path, families=FAMILIES,
                                 refusal="Unpaired translation opens CycleGAN checkpoints only")
    source, spec = checkpoint.meta.data.get("source"), checkpoint.meta.data.get("domains")
    if not isinstance(source, str) or not isinstance(spec, dict):
        raise CheckpointError("it does not record the two domains it was trained on", path)
    try:
        data = load_pair(source, spec)
    except DatasetError as exc:
        raise CheckpointError(f"its domains cannot be loaded again ({exc})", path) from None
    if data.input_shape != tuple(checkpoint.meta.input_shape):
        raise CheckpointError("its domains load at {}×{}×{}, and its model translates "
                              "{}×{}×{} images".format(*data.input_shape,
                                                       *checkpoint.meta.input_shape), path)
    return checkpoint, pair_name(source, spec) or data.name, data


__all__ = ["FAMILIES", "N_ROWS", "PAIRS", "CycleFrame", "DomainMap", "domain_map", "load_pair",
           "read_model", "round_trip", "take_frame"]
