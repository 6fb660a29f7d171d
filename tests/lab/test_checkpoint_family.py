"""Which model a checkpoint holds, from its header alone and off the caller's thread: how the
window's File → Open decides that a pix2pix checkpoint goes to Image translation."""

from __future__ import annotations

import threading

import pytest

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.files.checkpoint import CheckpointMeta, save_checkpoint
from latentlab.core.models import build_model
from latentlab.lab import file_reads
from latentlab.lab.file_reads import OpenCancelled, checkpoint_family
from latentlab.lab.jobs import JobControl


def _save(tmp_path, family: str):
    cfg = ModelConfig(family=family)
    shape = (1, 8, 8)
    meta = CheckpointMeta(cfg, TrainConfig(), shape, {"name": "digits", "source": "digits"})
    return save_checkpoint(tmp_path / f"{family}.safetensors", build_model(cfg, shape, seed=0),
                           meta)


def test_the_header_names_the_family(tmp_path) -> None:
    control = JobControl()
    assert checkpoint_family(_save(tmp_path, "pix2pix"), control) == "pix2pix"
    assert checkpoint_family(_save(tmp_path, "vae"), control) == "vae"
    # Whatever cannot say is left to the open proper, which names the file and the reason.
    (tmp_path / "broken.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{}")
    assert checkpoint_family(tmp_path / "broken.safetensors", control) is None
    assert checkpoint_family(tmp_path / "missing.safetensors", control) is None
    assert checkpoint_family(tmp_path, control) is None  # a folder


def test_a_slow_header_is_given_up_and_a_cancel_says_so(tmp_path, monkeypatch) -> None:
    path = _save(tmp_path, "pix2pix")
    release = threading.Event()

    def stuck(_path):
        release.wait(10)
        raise OSError("released")

    monkeypatch.setattr(file_reads, "read_meta", stuck)
    try:
        assert checkpoint_family(path, JobControl(), wait_s=0.1) is None
        control = JobControl()
        control.stop()
        with pytest.raises(OpenCancelled, match=r"pix2pix\.safetensors"):
            checkpoint_family(path, control)
    finally:
        release.set()
