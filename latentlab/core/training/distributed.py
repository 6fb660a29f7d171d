"""Data-parallel training across processes, started by ``torchrun`` (one node or several).

Each process (rank) holds a full copy of the model and trains on its own shard of every epoch;
gradients are averaged across ranks before every optimiser step, so all copies take the same
steps and stay identical — the algorithm of PyTorch's DistributedDataParallel:

- **data**: ``torch.utils.data.DistributedSampler`` splits each epoch's shuffled order of the
  train split into one shard per rank (padded so every rank takes the same number of steps);
- **start**: rank 0's parameters and buffers are broadcast to every rank;
- **gradients**: after ``backward`` and before each ``optimizer.step()`` the optimiser's
  gradients are all-reduced (summed, then divided by the number of ranks) in one flat buffer.
  This is done with an optimiser step pre-hook instead of the ``DistributedDataParallel``
  wrapper because the models own their steps: a GAN steps its discriminator and then its
  generator with two optimisers on different losses, which the wrapper's single
  forward/backward contract does not fit; the hook serves every family alike;
- **buffers** (batch-norm statistics): broadcast from rank 0 at the end of every epoch, as the
  wrapper does before each forward;
- **noise**: each rank draws its own sampling noise (seed + rank), so a VAE's ε and a GAN's z
  differ across shards as they would within one big batch.

The effective batch is ``batch_size × world_size``. NCCL is used on CUDA (one GPU per process,
``LOCAL_RANK``), gloo on the CPU.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

import torch
import torch.distributed as dist
from torch.utils.data import DistributedSampler

from latentlab.core.files.checkpoint import weights_digest


class DistributedError(RuntimeError):
    """Distributed training cannot start or went wrong; the message says why."""


@dataclass(frozen=True)
class LaunchInfo:
    """What torchrun told this process: its rank among ``world_size`` and on its node."""

    rank: int
    world_size: int
    local_rank: int

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def launch_info(environ: dict[str, str] | None = None) -> LaunchInfo | None:
    """This process's place in a torchrun job, or None when it runs alone (world size 1)."""
    env = os.environ if environ is None else environ
    try:
        world_size = int(env.get("WORLD_SIZE", "1"))
        rank = int(env.get("RANK", "0"))
        local_rank = int(env.get("LOCAL_RANK", str(rank)))
    except ValueError as exc:
        raise DistributedError(f"torchrun's environment is malformed ({exc}).") from None
    if world_size <= 1:
        return None
    if not 0 <= rank < world_size:
        raise DistributedError(f"RANK={rank} lies outside WORLD_SIZE={world_size}.")
    return LaunchInfo(rank, world_size, local_rank)


def backend_for(device: torch.device) -> str:
    if device.type == "cuda":
        return "nccl"
    if device.type == "cpu":
        return "gloo"
    raise DistributedError(f"distributed training runs on CUDA (NCCL) or the CPU (gloo), "
                           f"not on {device.type}; pick --device cuda or cpu.")


def init_process_group(info: LaunchInfo, device: torch.device) -> torch.device:
    """Join the job (``env://`` rendezvous from torchrun); returns this rank's device."""
    backend = backend_for(device)
    if device.type == "cuda":
        count = torch.cuda.device_count()
        if info.local_rank >= count:
            raise DistributedError(f"local rank {info.local_rank} has no GPU of its own "
                                   f"({count} visible); start at most {count} processes per node.")
        device = torch.device("cuda", info.local_rank)
        torch.cuda.set_device(device)
    dist.init_process_group(backend, rank=info.rank, world_size=info.world_size)
    return device


def shutdown() -> None:
    """Leave the process group together: a rank that tears down its connections while another
    still uses them (rank 0 writing the checkpoint) can abort in gloo's threads at exit."""
    if dist.is_available() and dist.is_initialized():
        try:
            dist.barrier()
        finally:
            dist.destroy_process_group()


def _optimizer_params(optimizer: torch.optim.Optimizer) -> list[torch.Tensor]:
    return [p for group in optimizer.param_groups for p in group["params"]]


@dataclass
class DataShard:
    """This rank's part of data-parallel training; ``core.training.train`` calls it.

    Requires an initialised default process group (``init_process_group``).
    """

    rank: int
    world_size: int
    _hooks: list[object] = field(default_factory=list, repr=False)

    @classmethod
    def from_process_group(cls) -> DataShard:
        if not (dist.is_available() and dist.is_initialized()):
            raise DistributedError("no process group: call init_process_group first.")
        return cls(dist.get_rank(), dist.get_world_size())

    # ------------------------------------------------------------------- what train() calls
    def seed(self, seed: int) -> int:
        """The seed of this rank's sampling noise (weights start from rank 0's anyway)."""
        return seed + self.rank

    def num_samples(self, n_train: int) -> int:
        """Items per rank per epoch: ⌈n / world⌉ (the last shard is padded from the start)."""
        return math.ceil(n_train / self.world_size)

    def epoch_order(self, epoch: int, n_train: int, seed: int) -> torch.Tensor:
        """This rank's indices into the train split for ``epoch``, in training order."""
        sampler = DistributedSampler(range(n_train), num_replicas=self.world_size,
                                     rank=self.rank, shuffle=True, seed=seed, drop_last=False)
        sampler.set_epoch(epoch)
        return torch.tensor(list(sampler), dtype=torch.long)

    def attach(self, model: torch.nn.Module, optimizers: Iterable[torch.optim.Optimizer]) -> None:
        """Start every rank from rank 0's weights and average gradients before each step."""
        self.broadcast_state(model)
        for optimizer in optimizers:
            self._hooks.append(optimizer.register_step_pre_hook(self._average_gradients))

    def end_epoch(self, model: torch.nn.Module, train_means: dict[str, float]
                  ) -> dict[str, float]:
        """Share rank 0's buffers; return the epoch's loss means over every rank's shard."""
        self.sync_buffers(model)
        if not train_means:
            return train_means
        names = list(train_means)  # the same order on every rank: the model's loss terms
        values = torch.tensor([train_means[n] for n in names], dtype=torch.float64,
                              device=_device_of(model))
        dist.all_reduce(values)
        values /= self.world_size
        return dict(zip(names, values.tolist(), strict=True))

    # ------------------------------------------------------------------------------ helpers
    def _average_gradients(self, optimizer: torch.optim.Optimizer, *_: object) -> None:
        grads = [p.grad for p in _optimizer_params(optimizer) if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= self.world_size
        offset = 0
        for g in grads:
            g.copy_(flat[offset : offset + g.numel()].view_as(g))
            offset += g.numel()

    def broadcast_state(self, model: torch.nn.Module) -> None:
        with torch.no_grad():
            for tensor in [*model.parameters(), *model.buffers()]:
                dist.broadcast(tensor.data, src=0)

    def sync_buffers(self, model: torch.nn.Module) -> None:
        with torch.no_grad():
            for buffer in model.buffers():
                dist.broadcast(buffer.data, src=0)

    def gather_digests(self, model: torch.nn.Module) -> list[str]:
        """Every rank's SHA-256 of its weights (``checkpoint.weights_digest``), in rank order.

        A collective: every rank must call it.
        """
        digests: list[object] = [None] * self.world_size
        dist.all_gather_object(digests, weights_digest(model.state_dict()))
        return [str(d) for d in digests]

    def barrier(self) -> None:
        dist.barrier()


def _device_of(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


__all__ = [
    "DataShard",
    "DistributedError",
    "LaunchInfo",
    "backend_for",
    "init_process_group",
    "launch_info",
    "shutdown",
]
