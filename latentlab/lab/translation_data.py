"""The image-translation lab's data and frames: the built-in datasets it trains on, and what
a frame of held-out translations holds (numbers only: frames cross from the training thread).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from latentlab.core.data.builtin import load_digits
from latentlab.core.data.dataset import Dataset, DatasetError
from latentlab.core.models.paired_tasks import make_input
from latentlab.core.models.pix2pix import Pix2Pix

#: The built-in data: scikit-learn's digits, upscaled to 28×28 (5 s an epoch on one core) or
#: as they come (8×8: a pad too coarse to draw much, but an epoch in under a second).
DATASETS = {"digits": "Digits, 28×28 (upscaled)", "digits 8×8": "Digits, 8×8"}
SHAPES = {"digits": (1, 28, 28), "digits 8×8": (1, 8, 8)}
TASKS = {"edges": "Edges → digit", "inpaint": "Fill the hidden centre",
         "superres": "Quarter resolution → full", "colour": "Grey → colour"}
#: Held-out pairs shown as input | output | target rows, and the held-out items scored by L1.
N_PAIRS = 8
N_SCORED = 64


def load_translation_data(name: str) -> Dataset:
    """A built-in dataset for translation, by name (one of DATASETS)."""
    if name not in DATASETS:
        raise DatasetError(f"Dataset: unknown value {name!r}; choose one of "
                           f"{', '.join(DATASETS)}.")
    digits = load_digits()
    if name == "digits 8×8":
        return digits
    x = F.interpolate(torch.from_numpy(digits.x), size=(28, 28), mode="bilinear",
                      align_corners=False).clamp(0, 1).numpy()
    return dataclasses.replace(digits, name="digits 28×28", x=np.ascontiguousarray(x))


@dataclass(frozen=True)
class TranslationFrame:
    """Held-out pairs after some training: numbers only (crosses threads). Images are
    N_PAIRS×H×W (grey) or N_PAIRS×H×W×3, in [0, 1]."""

    step: int
    epoch: float
    inputs: np.ndarray
    outputs: np.ndarray
    targets: np.ndarray
    l1: float  # mean |output − target| per pixel over N_SCORED held-out items
    decoder_state: dict[str, np.ndarray] | None = None  # for the live model


def images_of(t: torch.Tensor) -> np.ndarray:
    """N×C×H×W tensor → N×H×W (grey) or N×H×W×3 numpy, in [0, 1]."""
    a = t.detach().cpu().clamp(0, 1).numpy().astype(np.float32)
    return a[:, 0] if a.shape[1] == 1 else a.transpose(0, 2, 3, 1)


@torch.no_grad()
def take_frame(model: Pix2Pix, x: torch.Tensor, step: int, epoch: float,
               state: dict[str, np.ndarray] | None = None) -> TranslationFrame:
    """The frame of ``model`` (eval mode for the pass, its own mode kept) on held-out ``x``."""
    was_training = model.training
    model.eval()
    inputs = make_input(model.cfg.task, x)
    outputs = model.translate(inputs)
    model.train(was_training)
    l1 = float((outputs - x).abs().mean())
    n = N_PAIRS
    return TranslationFrame(step, epoch, images_of(inputs[:n]), images_of(outputs[:n]),
                            images_of(x[:n]), l1, state)
