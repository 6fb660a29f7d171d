"""The training settings (``TrainConfig``), re-exported by ``latentlab.config``."""

from __future__ import annotations

import math
from dataclasses import dataclass

from latentlab.config_base import JsonSettings, too_large

DEVICES = ("auto", "cpu", "cuda", "mps")
LR_SCHEDULES = {"constant": "Constant", "cosine": "Cosine decay to zero"}
#: Arithmetic of training steps: fp32, or bf16 autocast of forward passes and losses.
PRECISIONS = {"fp32": "fp32 (full precision)", "bf16": "bf16 mixed precision"}

# Upper bounds, as for the model settings: a typo or a hostile file is refused with a message.
MAX_EPOCHS = 100_000
MAX_BATCH = 1 << 20
MAX_SEED = 2**63 - 1
MAX_EVAL_ITEMS = 1_000_000
MAX_THREADS = 1024


@dataclass(frozen=True)
class TrainConfig(JsonSettings):
    epochs: int = 40
    batch_size: int = 64
    learning_rate: float = 1e-3
    #: The discriminator's learning rate (GANs; the generator uses ``learning_rate``).
    d_learning_rate: float = 2e-4
    seed: int = 0
    device: str = "auto"
    #: Weight snapshots for the live views are sent at most this often (seconds).
    snapshot_interval_s: float = 0.2
    #: Latent codes for the live map cost an encoder pass; keep them under this share of the time.
    map_update_budget: float = 0.03
    #: The held-out curve is computed each epoch on at most this many fixed held-out items.
    eval_items: int = 256
    #: Torch CPU threads for training; 0 = one fewer than the cores, so the GUI keeps one.
    cpu_threads: int = 0
    #: How the learning rate moves over the run (LR_SCHEDULES).
    lr_schedule: str = "constant"
    #: Decoupled weight decay (AdamW) of an AE's or VAE's weights; 0 = plain Adam.
    weight_decay: float = 0.0
    #: Stop when the held-out loss has not improved for this many epochs and keep the best
    #: epoch's weights; 0 = train every epoch.
    early_stopping: int = 0
    #: PRECISIONS: fp32, or bf16 mixed precision where the device computes in bfloat16
    #: (checked when training starts, on the device it resolves to).
    precision: str = "fp32"

    def validate(self) -> list[str]:
        problems: list[str] = []
        if self.epochs < 1:
            problems.append(f"Epochs: must be at least 1 (got {self.epochs}).")
        problems += too_large("Epochs", self.epochs, MAX_EPOCHS)
        if self.batch_size < 1:
            problems.append(f"Batch size: must be at least 1 (got {self.batch_size}).")
        problems += too_large("Batch size", self.batch_size, MAX_BATCH)
        if not 0 <= self.seed <= MAX_SEED:
            problems.append(f"Seed: a whole number in 0…{MAX_SEED:,} (got {self.seed:,}).")
        if not math.isfinite(self.learning_rate) or self.learning_rate <= 0:
            problems.append(f"Learning rate: must be a positive number (got {self.learning_rate}).")
        if not math.isfinite(self.d_learning_rate) or self.d_learning_rate <= 0:
            problems.append(
                f"D learning rate: must be a positive number (got {self.d_learning_rate})."
            )
        if self.device not in DEVICES:
            problems.append(f"Device: must be one of {', '.join(DEVICES)} (got {self.device!r}).")
        if self.snapshot_interval_s <= 0:
            problems.append("Snapshot interval: must be positive.")
        if self.eval_items < 1:
            problems.append("Held-out items: must be at least 1.")
        problems += too_large("Held-out items", self.eval_items, MAX_EVAL_ITEMS)
        if self.cpu_threads < 0:
            problems.append("CPU threads: must be zero (automatic) or positive.")
        problems += too_large("CPU threads", self.cpu_threads, MAX_THREADS)
        if self.lr_schedule not in LR_SCHEDULES:
            problems.append(f"Learning-rate schedule: must be one of {', '.join(LR_SCHEDULES)} "
                            f"(got {self.lr_schedule!r}).")
        if not math.isfinite(self.weight_decay) or self.weight_decay < 0:
            problems.append(f"Weight decay: must be zero or positive (got {self.weight_decay}).")
        if self.early_stopping < 0:
            problems.append(f"Early stopping: patience in epochs, zero (off) or positive "
                            f"(got {self.early_stopping}).")
        if self.precision not in PRECISIONS:
            problems.append(f"Precision: must be one of {', '.join(PRECISIONS)} "
                            f"(got {self.precision!r}).")
        return problems


__all__ = ["DEVICES", "LR_SCHEDULES", "MAX_SEED", "PRECISIONS", "TrainConfig"]
