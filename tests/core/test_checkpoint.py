"""Checkpoints: one safetensors file, JSON metadata under "latentlab", strict and unpickled."""

from __future__ import annotations

import errno
import json
import os
import struct
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors import safe_open
from safetensors.torch import load_file, save_file

import latentlab
import latentlab.core.files.atomic
from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data import Dataset
from latentlab.core.data.dataset import random_split
from latentlab.core.files.checkpoint import (
    FORMAT_VERSION,
    METADATA_KEY,
    CheckpointError,
    CheckpointMeta,
    check_matches,
    describe_data,
    load_checkpoint,
    read_meta,
    save_checkpoint,
)
from latentlab.core.models import build_model
from latentlab.core.training.events import EpochEnded
from latentlab.core.training.loop import train
from tests.conftest import blobs_dataset

TINY = {"hidden": (12,), "conv_channels": (4, 8), "noise_dim": 3, "n_categories": 3,
        "n_continuous": 2}
# (family, architecture, input shape, extra settings): every family, MLP and convolutional.
CASES = [
    ("ae", "mlp", (1, 8, 8), {}),
    ("ae", "linear", (1, 8, 8), {}),
    ("ae", "conv", (1, 16, 16), {}),
    ("vae", "mlp", (1, 8, 8), {"likelihood": "gaussian"}),
    ("vae", "conv", (3, 16, 16), {}),
    ("gan", "mlp", (1, 8, 8), {}),
    ("gan", "conv", (1, 28, 28), {}),
    ("infogan", "mlp", (1, 8, 8), {}),
    ("infogan", "conv", (1, 28, 28), {}),
    ("progan", "conv", (1, 8, 8), {"stages": (2, 4, 8)}),
]


def image_data(shape: tuple[int, int, int], n: int = 16, seed: int = 0) -> Dataset:
    c, h, w = shape
    rng = np.random.default_rng(seed)
    x = rng.random((n, c, h, w), dtype=np.float32)
    return Dataset(f"random {h}×{w}", x, rng.integers(0, 2, n), ("a", "b"),
                   random_split(n, 0.25, seed))


def text_data(words: tuple[str, ...], n: int = 12) -> Dataset:
    rng = np.random.default_rng(0)
    x = rng.random((n, 1, 1, len(words)), dtype=np.float32)
    x /= x.sum(axis=3, keepdims=True)
    return Dataset("notes", x, None, (), random_split(n, 0.25, 0), vocabulary=words)


def trained_model(family: str, architecture: str, shape: tuple[int, int, int], **extra):
    """A model one step away from its initial weights (batch-norm statistics moved too)."""
    cfg = ModelConfig(family=family, architecture=architecture, **{**TINY, **extra})
    model = build_model(cfg, shape, seed=0)
    torch.manual_seed(1)
    model.train()
    model.train_step(torch.rand(4, *shape), model.make_optimizers(TrainConfig()))
    return model.eval()


def meta_for(model, data: Dataset, source: str | None = "digits", **kwargs) -> CheckpointMeta:
    return CheckpointMeta(model.cfg, TrainConfig(epochs=3, seed=7), model.input_shape,
                          describe_data(data, source), **kwargs)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """A real checkpoint of a small autoencoder on 8×8 images."""
    model = trained_model("ae", "mlp", (1, 8, 8))
    path = tmp_path_factory.mktemp("small") / "ae.safetensors"
    return save_checkpoint(path, model, meta_for(model, image_data((1, 8, 8))))


def rewrite(src: Path, dst: Path, tensors=None, meta=None) -> Path:
    """Copy a checkpoint with its tensors and/or its metadata JSON changed by functions."""
    tensors_in = load_file(src)
    with safe_open(src, "pt") as f:
        payload = json.loads(f.metadata()[METADATA_KEY])
    out_tensors = tensors(tensors_in) if tensors else tensors_in
    out_meta = meta(payload) if meta else payload
    save_file(out_tensors, dst, metadata={METADATA_KEY: json.dumps(out_meta)})
    return dst


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(
        sa[k].dtype == sb[k].dtype and torch.equal(sa[k], sb[k]) for k in sa)


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize(("family", "architecture", "shape", "extra"), CASES,
                         ids=[f"{f}-{a}-{s[1]}x{s[2]}x{s[0]}" for f, a, s, _ in CASES])
def test_round_trip_rebuilds_the_same_model(tmp_path, family, architecture, shape, extra) -> None:
    model = trained_model(family, architecture, shape, **extra)
    data = image_data(shape)
    meta = meta_for(model, data, source=None, epoch=3, metrics={"loss": 12.5})
    path = save_checkpoint(tmp_path / "m.safetensors", model, meta)
    assert path == (tmp_path / "m.safetensors").resolve() and path.is_file()

    loaded = load_checkpoint(path)
    assert loaded.meta == meta
    assert loaded.path == path
    assert type(loaded.model) is type(model) and not loaded.model.training
    assert next(loaded.model.parameters()).device.type == "cpu"
    assert same_weights(model, loaded.model)
    with torch.no_grad():
        if family in ("gan", "infogan", "progan"):
            inputs = model.sample_inputs(5, torch.Generator().manual_seed(0))
        else:
            inputs = torch.randn(5, model.cfg.latent_dim)
        assert torch.equal(model.decoder.mean(inputs), loaded.model.decoder.mean(inputs))
        if model.has_encoder:
            x = torch.rand(6, *shape)
            assert torch.equal(model.embed(x), loaded.model.embed(x))
    check_matches(loaded.meta, data)


def test_a_half_checkpoint_is_half_the_size_and_loads_widened(tmp_path) -> None:
    model = trained_model("infogan", "conv", (1, 28, 28), dcgan_width=16)
    data = image_data((1, 28, 28))
    meta = meta_for(model, data, source=None)
    full = save_checkpoint(tmp_path / "full.safetensors", model, meta)
    half = save_checkpoint(tmp_path / "half.safetensors", model, meta, half=True)
    assert half.stat().st_size < 0.6 * full.stat().st_size
    with safe_open(half, "pt") as f:
        assert {f.get_tensor(k).dtype for k in f.keys()} >= {torch.float16}  # noqa: SIM118
    loaded = load_checkpoint(half).model
    widened = {k: v.half().float() if v.is_floating_point() else v
               for k, v in model.state_dict().items()}
    assert all(t.dtype != torch.float16 for t in loaded.state_dict().values())
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in widened.items())
    # The width is the model's: a narrower DCGAN is a smaller file, rebuilt as it was.
    assert loaded.cfg.dcgan_width == 16
    assert ModelConfig(dcgan_width=4).validate() and ModelConfig(dcgan_width=5000).validate()


def test_metadata_lives_in_the_safetensors_header(small: Path) -> None:
    with safe_open(small, "pt") as f:
        payload = json.loads(f.metadata()[METADATA_KEY])
        keys = set(f.keys())
    assert payload["format"] == FORMAT_VERSION
    assert set(payload) == {"format", "model", "train", "input_shape", "data", "epoch",
                            "metrics", "versions", "weights_sha256"}
    assert payload["model"]["family"] == "ae" and payload["input_shape"] == [1, 8, 8]
    assert payload["train"]["epochs"] == 3
    assert payload["data"]["kind"] == "image"
    assert payload["data"]["normalisation"] == "[0, 1] per pixel"
    assert payload["data"]["class_names"] == ["a", "b"]
    assert payload["versions"] == {"latentlab": latentlab.__version__,
                                   "torch": str(torch.__version__)}
    assert keys == set(build_model(ModelConfig(**TINY), (1, 8, 8)).state_dict())
    meta = read_meta(small)
    assert meta.versions["format"] == FORMAT_VERSION and meta.epoch == 0


def test_text_model_round_trip_and_vocabulary_check(tmp_path) -> None:
    words = ("apple", "bread", "cheese", "dates", "eggs")
    data = text_data(words)
    model = build_model(ModelConfig(likelihood="multinomial", hidden=(4,)), data.input_shape,
                        seed=0)
    path = save_checkpoint(tmp_path / "text.safetensors", model, meta_for(model, data, None))
    meta = load_checkpoint(path).meta
    assert meta.data["kind"] == "text" and meta.data["vocabulary"] == list(words)
    check_matches(meta, data)
    other = text_data(("apple", "bread", "cream", "dates", "eggs"))
    with pytest.raises(CheckpointError, match=r"another vocabulary.*word 3 is 'cheese'"):
        check_matches(meta, other, path)
    with pytest.raises(CheckpointError, match=r"5-word documents; 'random 8×8' has 8×8 images"):
        check_matches(meta, image_data((1, 8, 8)))


def test_describe_data_keeps_names_and_makes_paths_absolute(digits: Dataset, tmp_path,
                                                            monkeypatch) -> None:
    assert describe_data(digits, "digits")["source"] == "digits"
    assert describe_data(digits, "mnist")["source"] == "mnist"
    monkeypatch.chdir(tmp_path)
    assert describe_data(digits, "some/folder")["source"] == str(tmp_path / "some" / "folder")
    d = describe_data(digits, None)
    assert d["source"] is None and d["n_train"] + d["n_test"] == digits.n
    assert d["class_names"] == [str(i) for i in range(10)] and d["vocabulary"] is None


def test_paths_with_undecodable_bytes_survive(tmp_path) -> None:
    """A Linux file name need not be UTF-8: Python hands it over with surrogate escapes."""
    model = trained_model("ae", "mlp", (1, 8, 8))
    source = os.fsdecode(b"/data/caf\xe9")
    meta = meta_for(model, image_data((1, 8, 8)), source=source)
    assert load_checkpoint(save_checkpoint(tmp_path / "m.safetensors", model, meta)).meta == meta


def test_loading_leaves_the_global_random_stream_alone(small: Path) -> None:
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    load_checkpoint(small)
    assert torch.equal(torch.rand(3), expected)


# ----------------------------------------------------------------------- bad checkpoints


def test_missing_folder_and_empty_files(tmp_path) -> None:
    with pytest.raises(CheckpointError, match=r"nope\.safetensors: no such file"):
        load_checkpoint(tmp_path / "nope.safetensors")
    with pytest.raises(CheckpointError, match="is a folder"):
        load_checkpoint(tmp_path)
    empty = tmp_path / "empty.safetensors"
    empty.write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"empty.safetensors: too short"):
        load_checkpoint(empty)


@pytest.mark.parametrize("keep", [0.5, 0.99, 20])
def test_truncated_file(small: Path, tmp_path, keep: float) -> None:
    blob = small.read_bytes()
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(blob[: int(len(blob) * keep)] if keep < 1 else blob[:keep])
    with pytest.raises(CheckpointError, match=r"cut\.safetensors: (truncated|corrupt)") as info:
        load_checkpoint(cut)
    assert info.value.path == cut


def test_random_bytes(tmp_path) -> None:
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(CheckpointError, match=r"junk\.safetensors: truncated or not a safetensors"):
        load_checkpoint(junk)
    text = tmp_path / "notes.safetensors"
    text.write_bytes(struct.pack("<Q", 5) + b"hello")
    with pytest.raises(CheckpointError, match="header is not JSON"):
        load_checkpoint(text)


def test_safetensors_without_latentlab_metadata(tmp_path) -> None:
    plain = tmp_path / "plain.safetensors"
    save_file({"w": torch.zeros(2)}, plain)
    with pytest.raises(CheckpointError, match=r"plain\.safetensors: a safetensors file, but not "
                                              r"a latentlab checkpoint"):
        load_checkpoint(plain)


def test_newer_format_says_so(small: Path, tmp_path) -> None:
    newer = rewrite(small, tmp_path / "newer.safetensors",
                    meta=lambda m: {**m, "format": 2, "model": "reorganised",
                                    "versions": {"latentlab": "9.0"}})
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(newer)
    message = str(info.value)
    assert "newer.safetensors" in message and "newer latentlab (9.0)" in message
    assert "format 2" in message and f"reads {FORMAT_VERSION}" in message


@pytest.mark.parametrize(("change", "expected"), [
    (lambda t: {("encoder.1.9.weight" if k == "encoder.1.0.weight" else k): v
                for k, v in t.items()},
     r"missing 1 tensor \(encoder\.1\.0\.weight\); unexpected 1 tensor \(encoder\.1\.9\.weight\)"),
    (lambda t: {k: v for k, v in t.items() if k != "decoder.body.2.bias"},
     r"missing 1 tensor \(decoder\.body\.2\.bias\)"),
    (lambda t: {**t, "extra.weight": torch.zeros(3)}, r"unexpected 1 tensor \(extra\.weight\)"),
    (lambda t: {**t, "encoder.1.2.bias": torch.zeros(3)},
     r"encoder\.1\.2\.bias is F32 \[3\] in the file; the model needs F32 \[2\]"),
    (lambda t: {**t, "encoder.1.2.bias": t["encoder.1.2.bias"].double()},
     r"encoder\.1\.2\.bias is F64 \[2\] in the file; the model needs F32 \[2\]"),
])
def test_strict_loading(small: Path, tmp_path, change, expected) -> None:
    bad = rewrite(small, tmp_path / "bad.safetensors", tensors=change)
    with pytest.raises(CheckpointError, match=r"bad\.safetensors: the weights do not match an "
                                              r"autoencoder .*" + expected):
        load_checkpoint(bad)


def test_metadata_that_does_not_match_the_weights(small: Path, tmp_path) -> None:
    bad = rewrite(small, tmp_path / "latent.safetensors",
                  meta=lambda m: {**m, "model": {**m["model"], "latent_dim": 5}})
    with pytest.raises(CheckpointError, match=r"latent\.safetensors: the weights do not match.*"
                                              r"encoder\.1\.2\.weight is F32 \[2, 12\] in the "
                                              r"file; the model needs F32 \[5, 12\]"):
        load_checkpoint(bad)
    shape = rewrite(small, tmp_path / "shape.safetensors",
                    meta=lambda m: {**m, "input_shape": [1, 28, 28]})
    with pytest.raises(CheckpointError, match=r"shape\.safetensors: the weights do not match"):
        load_checkpoint(shape)


def test_wrong_family_is_named(tmp_path) -> None:
    vae = trained_model("vae", "mlp", (1, 8, 8))
    path = save_checkpoint(tmp_path / "vae.safetensors", vae, meta_for(vae, image_data((1, 8, 8))))
    as_ae = rewrite(path, tmp_path / "as_ae.safetensors",
                    meta=lambda m: {**m, "model": {**m["model"], "family": "ae"}})
    with pytest.raises(CheckpointError, match=r"as_ae\.safetensors: the weights are a VAE's, but "
                                              r"its metadata says an autoencoder"):
        load_checkpoint(as_ae)
    gan = trained_model("gan", "mlp", (1, 8, 8))
    path = save_checkpoint(tmp_path / "gan.safetensors", gan, meta_for(gan, image_data((1, 8, 8))))
    as_info = rewrite(path, tmp_path / "as_info.safetensors",
                      meta=lambda m: {**m, "model": {**m["model"], "family": "infogan"}})
    with pytest.raises(CheckpointError, match=r"the weights are a GAN's, but its metadata says "
                                              r"an InfoGAN: missing 4 tensors \(q_head"):
        load_checkpoint(as_info)
    with pytest.raises(CheckpointError, match=r"gan\.safetensors: holds a GAN; expected an "
                                              r"autoencoder or a VAE"):
        load_checkpoint(path, families=("ae", "vae"))
    assert load_checkpoint(path, families={"gan", "infogan"}).meta.model.family == "gan"


def test_corrupt_weights_fail_their_checksum(small: Path, tmp_path) -> None:
    flipped = rewrite(small, tmp_path / "flipped.safetensors",
                      tensors=lambda t: {**t, "encoder.1.0.bias": t["encoder.1.0.bias"] + 1})
    with pytest.raises(CheckpointError, match=r"flipped\.safetensors: the weights are corrupt"):
        load_checkpoint(flipped)


@pytest.mark.parametrize(("change", "expected"), [
    (lambda m: {**m, "model": {**m["model"], "latent_dim": "two"}}, "'latent_dim' has the wrong"),
    (lambda m: {**m, "model": {**m["model"], "dropout": 0.5}}, "'dropout', unknown to this"),
    (lambda m: {**m, "model": {**m["model"], "family": "diffusion"}}, "unknown value 'diffusion'"),
    (lambda m: {**m, "train": {**m["train"], "epochs": 0}}, "training settings are invalid"),
    (lambda m: {**m, "input_shape": [1, 8]}, "'input_shape' must be three positive sizes"),
    (lambda m: {k: v for k, v in m.items() if k != "model"}, "its metadata has no 'model'"),
    (lambda m: {**m, "format": "1"}, "format version is missing or invalid"),
    (lambda m: [m], "metadata is a JSON array"),
    (lambda m: {**m, "data": {**m["data"], "kind": "audio"}}, "'data.kind' must be"),
    (lambda m: {**m, "metrics": {"loss": "low"}}, "'metrics' must map names to numbers"),
])
def test_bad_metadata_content(small: Path, tmp_path, change, expected) -> None:
    bad = rewrite(small, tmp_path / "bad.safetensors", meta=change)
    with pytest.raises(CheckpointError, match=r"bad\.safetensors: ") as info:
        load_checkpoint(bad)
    assert expected in str(info.value)


def test_check_matches_names_both_shapes(small: Path, digits: Dataset) -> None:
    meta = replace(read_meta(small), input_shape=(1, 28, 28))
    with pytest.raises(CheckpointError, match=r"^the checkpoint was trained on 28×28 images; "
                                              r"'digits' has 8×8 images$"):
        check_matches(meta, digits)
    with pytest.raises(CheckpointError, match=r"ae\.safetensors: was trained on 8×8 images; "
                                              r"'blobs' has 16×16×3 images"):
        check_matches(read_meta(small), blobs_dataset(8, 16, 3), small)
    check_matches(read_meta(small), digits)  # 8×8 grey: fine


# -------------------------------------------------------------------------- safe saving


def unwritable_target(tmp_path: Path) -> Path:
    """A path whose folder cannot be written, for root too (a regular file stands as folder)."""
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    return blocker / "runs" / "model.safetensors"


def test_save_into_an_unwritable_folder(tmp_path) -> None:
    model = trained_model("ae", "mlp", (1, 8, 8))
    meta = meta_for(model, image_data((1, 8, 8)))
    target = unwritable_target(tmp_path)
    with pytest.raises(CheckpointError, match=r"model\.safetensors: cannot write into .*blocker.*"
                                              r"nothing was written"):
        save_checkpoint(target, model, meta)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]
    if os.geteuid() != 0:  # chmod does not stop root
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            with pytest.raises(CheckpointError, match=r"cannot write into .*locked.*denied"):
                save_checkpoint(locked / "m.safetensors", model, meta)
            assert list(locked.iterdir()) == []
        finally:
            locked.chmod(0o700)


def test_a_folder_that_refuses_files_is_named(tmp_path, monkeypatch) -> None:
    """What a read-only folder does for a user who is not root (chmod cannot show it to root)."""
    model = trained_model("ae", "mlp", (1, 8, 8))
    real_open = os.open

    def refuse(path, flags, mode=0o777):
        if flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_open(path, flags, mode)

    monkeypatch.setattr(latentlab.core.files.atomic.os, "open", refuse)
    with pytest.raises(CheckpointError) as info:
        save_checkpoint(tmp_path / "m.safetensors", model, meta_for(model, image_data((1, 8, 8))))
    assert str(info.value) == (f"{tmp_path / 'm.safetensors'}: cannot write into {tmp_path} "
                               "(Permission denied); nothing was written")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_save_leaves_the_existing_checkpoint_intact(small: Path, tmp_path,
                                                             monkeypatch) -> None:
    target = tmp_path / "keep.safetensors"
    target.write_bytes(small.read_bytes())
    before = target.read_bytes()
    other = trained_model("vae", "mlp", (1, 8, 8))

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(latentlab.core.files.atomic.os, "fsync", disk_full)
    with pytest.raises(CheckpointError, match=r"keep\.safetensors: cannot write into .*No space "
                                              r"left on device.*existing file is unchanged"):
        save_checkpoint(target, other, meta_for(other, image_data((1, 8, 8))))
    monkeypatch.undo()
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.safetensors"]
    # Metadata describing another model is refused before anything is written.
    with pytest.raises(CheckpointError, match=r"describes a different model.*nothing was written"):
        save_checkpoint(target, other, replace(meta_for(other, image_data((1, 8, 8))),
                                               model=ModelConfig()))
    assert target.read_bytes() == before
    assert load_checkpoint(target).meta.model.family == "ae"


# ------------------------------------------------------------------------------- fuzzing


@st.composite
def mutated_bytes(draw, blob: bytes) -> bytes:
    data = bytearray(blob)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "header"]))
        if not data:
            break
        pos = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[pos] ^= draw(st.integers(1, 255))
        elif op == "truncate":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 64))]
        else:  # aim at the header, where most of the structure lives
            n = min(len(data), 8 + struct.unpack("<Q", bytes(data[:8]).ljust(8, b"\0"))[0])
            pos = draw(st.integers(0, max(0, min(n, len(data)) - 1)))
            data[pos] = draw(st.integers(0, 255))
    return bytes(data)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                  max_size=3),
    max_leaves=6,
)


@st.composite
def mutated_json(draw, value):
    """``value`` with one node replaced, deleted, retyped, or a key added, somewhere inside."""
    if isinstance(value, dict) and value and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(value)))
        action = draw(st.sampled_from(["descend", "descend", "delete", "add"]))
        if action == "delete":
            return {k: v for k, v in value.items() if k != key}
        if action == "add":
            return {**value, draw(st.text(max_size=6)): draw(JSON_VALUES)}
        return {**value, key: draw(mutated_json(value[key]))}
    if isinstance(value, list) and value and draw(st.booleans()):
        i = draw(st.integers(0, len(value) - 1))
        return [*value[:i], draw(mutated_json(value[i])), *value[i + 1 :]]
    # Retype or replace this node: numbers as strings, lists as dicts, or anything at all.
    return draw(st.one_of(JSON_VALUES, st.just(str(value)), st.just([value]),
                          st.just(-1), st.just(0), st.just(10**12)))


def expect_checkpoint_error_or_success(path: Path) -> None:
    try:
        load_checkpoint(path)
    except CheckpointError as exc:
        assert str(path) in str(exc)


FUZZ = settings(max_examples=400, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@FUZZ
@given(data=st.data())
def test_fuzz_mutated_checkpoint_bytes(small: Path, data) -> None:
    blob = data.draw(mutated_bytes(small.read_bytes()))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.safetensors"
        path.write_bytes(blob)
        expect_checkpoint_error_or_success(path)


@FUZZ
@given(data=st.data())
def test_fuzz_mutated_checkpoint_metadata(small: Path, data) -> None:
    with safe_open(small, "pt") as f:
        payload = json.loads(f.metadata()[METADATA_KEY])
    mutated = data.draw(mutated_json(payload))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.safetensors"
        save_file(load_file(small), path, metadata={METADATA_KEY: json.dumps(mutated)})
        expect_checkpoint_error_or_success(path)


# ------------------------------------------------------------------------- reproducibility


def train_once(family: str, data: Dataset) -> tuple[list[EpochEnded], torch.nn.Module]:
    cfg = ModelConfig(family=family, **TINY)
    model = build_model(cfg, data.input_shape, seed=3)
    events = list(train(model, data, TrainConfig(epochs=3, batch_size=32, seed=3, device="cpu")))
    return [e for e in events if isinstance(e, EpochEnded)], model


@pytest.mark.parametrize("family", ["ae", "vae", "infogan"])
def test_same_seed_same_data_same_losses_and_weights(family: str, tiny_digits: Dataset,
                                                     tmp_path) -> None:
    epochs_a, model_a = train_once(family, tiny_digits)
    epochs_b, model_b = train_once(family, tiny_digits)
    assert len(epochs_a) == 3
    assert [(e.train, e.test) for e in epochs_a] == [(e.train, e.test) for e in epochs_b]
    assert same_weights(model_a, model_b)
    meta = meta_for(model_a, tiny_digits, epoch=3, metrics=epochs_a[-1].test)
    loaded = load_checkpoint(save_checkpoint(tmp_path / "r.safetensors", model_a, meta))
    assert same_weights(model_a.cpu(), loaded.model)
    assert loaded.meta.metrics == epochs_a[-1].test


def test_repeated_saves_leave_no_stray_files(tmp_path) -> None:
    """Atomic saves leave only the finished file behind."""
    model = trained_model("ae", "mlp", (1, 8, 8))
    meta = meta_for(model, image_data((1, 8, 8)))
    for _ in range(3):
        save_checkpoint(tmp_path / "m.safetensors", model, meta)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]
