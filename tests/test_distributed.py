"""Data-parallel training under torchrun: two gloo processes on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from latentlab.cli.common import CHECKPOINT_NAME
from latentlab.core.files.checkpoint import load_checkpoint, weights_digest
from latentlab.core.training.distributed import DistributedError, launch_info


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_gloo_processes_train_one_checkpoint_with_identical_weights(tmp_path: Path) -> None:
    digests = tmp_path / "digests.json"
    env = {k: v for k, v in os.environ.items()
           if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    env["OMP_NUM_THREADS"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
         "--master_addr", "127.0.0.1", "--master_port", str(free_port()),
         "-m", "latentlab", "train", "--model", "vae", "--data", "digits", "--epochs", "2",
         "--hidden", "32", "--batch-size", "64", "--device", "cpu", "--out", str(tmp_path),
         "--digest-file", str(digests)],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert Path(result.stdout.strip()) == (tmp_path / CHECKPOINT_NAME).resolve()
    # Rank 0 alone reports progress: each epoch once, with the shard's steps (⌈1438 / 2 / 64⌉).
    assert result.stderr.count("epoch 2/2: loss") == 1
    assert "2 processes · 2 epochs × 12 steps" in result.stderr
    assert "2 processes ended with identical weights" in result.stderr

    checkpoint = load_checkpoint(tmp_path / CHECKPOINT_NAME)  # opens like any other
    assert checkpoint.meta.metrics["processes"] == 2 and checkpoint.meta.epoch == 2
    ranks = json.loads(digests.read_text())["ranks"]  # each rank hashed its own weights
    assert len(ranks) == 2 and ranks[0] == ranks[1]
    assert ranks[0] == weights_digest(checkpoint.model.state_dict())


def test_launch_info_reads_torchruns_environment() -> None:
    assert launch_info({}) is None
    assert launch_info({"WORLD_SIZE": "1", "RANK": "0"}) is None
    info = launch_info({"WORLD_SIZE": "4", "RANK": "3", "LOCAL_RANK": "1"})
    assert info is not None and (info.rank, info.world_size, info.local_rank) == (3, 4, 1)
    assert not info.is_main
    with pytest.raises(DistributedError, match="outside"):
        launch_info({"WORLD_SIZE": "2", "RANK": "2"})
