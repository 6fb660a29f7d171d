"""Shared test set-up: offscreen Qt, one torch thread, small seeded data."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Models autosaved by the app's tests go to a throwaway data folder, never the user's.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="latentlab-test-data-")
# Image folders decoded by the tests are cached in a throwaway folder, never the user's.
os.environ["LATENTLAB_IMAGE_CACHE"] = tempfile.mkdtemp(prefix="latentlab-test-images-")
# Recent files and last folders too.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="latentlab-test-config-")

import numpy as np
import pytest
import torch

from latentlab.core.data import Dataset, load_builtin
from latentlab.core.data.dataset import random_split

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def digits() -> Dataset:
    return load_builtin("digits")


@pytest.fixture(scope="session")
def tiny_digits(digits: Dataset) -> Dataset:
    """300 digits: enough for a map and a loss curve, fast enough for every Qt test."""
    keep = np.random.default_rng(0).choice(digits.n, 300, replace=False)
    return Dataset("tiny digits", digits.x[keep], digits.labels[keep], digits.class_names,
                   random_split(300, 0.2, seed=1))


def blobs_dataset(n: int = 64, side: int = 16, channels: int = 1, seed: int = 0) -> Dataset:
    """Random images for shape tests of models that need bigger inputs than 8×8."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, channels, side, side), dtype=np.float32)
    labels = rng.integers(0, 3, n)
    return Dataset("blobs", x, labels, ("a", "b", "c"), random_split(n, 0.25, seed))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-epoch autoencoder on the digits, trained through the command line."""
    from latentlab.cli import main
    from latentlab.cli.common import CHECKPOINT_NAME
    from tests.cli_helpers import TINY

    out = tmp_path_factory.mktemp("ae")
    assert main(["train", "--data", "digits", "--epochs", "2", *TINY, "--out", str(out),
                 "--quiet"]) == 0
    return out / CHECKPOINT_NAME
