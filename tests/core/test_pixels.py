"""8-bit pixels kept as uint8 give, converted, bit for bit the floats the loaders made before."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data import Dataset, DatasetError, load_idx_folder, load_source
from latentlab.core.data.arrays import scale_in_place
from latentlab.core.data.dataset import random_split
from latentlab.core.data.images import to_float_images
from latentlab.core.data.pixels import as_float, tensor_images
from latentlab.core.maps.linear import PCA
from latentlab.core.models import build_model
from latentlab.core.training.events import EpochEnded
from latentlab.core.training.loop import train

EVERY_VALUE = np.arange(256, dtype=np.uint8).reshape(4, 1, 8, 8)


def old_float(pixels: np.ndarray) -> np.ndarray:
    """The float32 path the loaders took: a float32 copy divided in place by 255."""
    x = pixels.astype(np.float32)
    scale_in_place(x, np.dtype(np.uint8), "old")
    return x


def test_every_8_bit_value_converts_exactly_as_the_loaders_did() -> None:
    expected = old_float(EVERY_VALUE)
    assert as_float(EVERY_VALUE).tobytes() == expected.tobytes()
    assert to_float_images(EVERY_VALUE[:, 0]).tobytes() == expected.tobytes()
    assert tensor_images(torch.from_numpy(EVERY_VALUE)).numpy().tobytes() == expected.tobytes()
    if torch.cuda.is_available():  # CUDA multiplies by a scalar's reciprocal: not used here
        on_gpu = tensor_images(torch.from_numpy(EVERY_VALUE).cuda()).cpu().numpy()
        assert on_gpu.tobytes() == expected.tobytes()


def test_float_data_passes_through_unchanged() -> None:
    x = np.random.default_rng(0).random((3, 1, 2, 2), dtype=np.float32)
    assert np.shares_memory(as_float(x), x)
    t = torch.from_numpy(x)
    assert tensor_images(t) is t


def test_dataset_images_and_validation() -> None:
    data = Dataset("u8", EVERY_VALUE, None, (), random_split(4, 0.25, 0))
    assert data.images().tobytes() == old_float(EVERY_VALUE).tobytes()
    assert data.images(2).shape == (1, 8, 8) and data.images([0, 3]).shape == (2, 1, 8, 8)
    with pytest.raises(DatasetError, match="float32 or uint8"):
        Dataset("bad", EVERY_VALUE.astype(np.int16), None, (), random_split(4, 0.25, 0))
    with pytest.raises(DatasetError, match="word vectors"):
        Dataset("text", np.zeros((4, 1, 1, 3), np.uint8), None, (), random_split(4, 0.25, 0),
                vocabulary=("a", "b", "c"))


def write_idx(path: Path, array: np.ndarray, compress: bool) -> None:
    data = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)


@pytest.mark.parametrize("compress", [False, True])
def test_idx_pixels_equal_the_old_float_path(tmp_path: Path, compress: bool) -> None:
    rng = np.random.default_rng(1)
    train_x, test_x = (rng.integers(0, 256, (n, 7, 5), dtype=np.uint8) for n in (30, 10))
    suffix = ".gz" if compress else ""
    write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", train_x, compress)
    write_idx(tmp_path / f"t10k-images-idx3-ubyte{suffix}", test_x, compress)
    data = load_idx_folder(tmp_path)
    assert data.x.dtype == np.uint8 and data.is_test.sum() == 10
    expected = old_float(np.concatenate([train_x, test_x])[:, None])
    assert data.images().tobytes() == expected.tobytes()


@pytest.mark.parametrize(("cut", "message"), [(-1, "header promises"),
                                              (None, "holds more data|header promises")])
@pytest.mark.parametrize("compress", [False, True])
def test_idx_payload_of_the_wrong_length_is_refused(tmp_path: Path, compress: bool,
                                                    cut: int | None, message: str) -> None:
    data = struct.pack(">BBBB3I", 0, 0, 0x08, 3, 4, 2, 2) + bytes(16)
    data = data[:cut] if cut else data + b"\0"
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(DatasetError, match=rf"^train-images-idx3-ubyte: ({message})"):
        load_idx_folder(tmp_path)


def test_training_on_8_bit_pixels_equals_training_on_their_floats(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    pixels = rng.integers(0, 256, (96, 1, 8, 8), dtype=np.uint8)
    split = random_split(96, 0.25, 0)
    as_u8 = Dataset("u8", pixels, None, (), split)
    as_f32 = Dataset("f32", old_float(pixels), None, (), split)
    losses = []
    for data in (as_u8, as_f32):
        model = build_model(ModelConfig(hidden=(16,)), data.input_shape, seed=0)
        events = train(model, data, TrainConfig(epochs=2, batch_size=32, seed=0))
        losses.append([(e.train, e.test) for e in events if isinstance(e, EpochEnded)])
    assert losses[0] == losses[1]


def test_pca_of_8_bit_pixels_equals_pca_of_their_floats() -> None:
    pixels = np.random.default_rng(3).integers(0, 256, (500, 64), dtype=np.uint8)
    a, b = PCA(2).fit(pixels), PCA(2).fit(old_float(pixels))
    np.testing.assert_array_equal(a.components_, b.components_)
    np.testing.assert_array_equal(a.transform(pixels), b.transform(old_float(pixels)))


def test_npz_of_uint8_stays_uint8(tmp_path: Path) -> None:
    x = np.random.default_rng(4).integers(0, 256, (10, 4, 4), dtype=np.uint8)
    np.savez(tmp_path / "set.npz", x=x)
    data = load_source(tmp_path / "set.npz")
    assert data.x.dtype == np.uint8
    assert data.images().tobytes() == old_float(x[:, None]).tobytes()
