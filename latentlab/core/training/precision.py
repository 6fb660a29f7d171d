"""Mixed precision for training steps: bf16 autocast where the device computes in bfloat16."""

from __future__ import annotations

import torch

from latentlab.config import PRECISIONS, ConfigError


def bf16_problem(device: torch.device) -> str | None:
    """Why bf16 autocast cannot train on ``device`` (None: it can).

    CUDA needs a GPU with bfloat16 arithmetic (Ampere or newer). CPU autocast in bfloat16
    works everywhere torch runs; it is fast only on CPUs with bfloat16 instructions (AVX-512
    BF16, AMX) and slower than fp32 elsewhere. Apple's MPS is refused: its autocast support
    differs between torch versions and we cannot test it here.
    """
    if device.type == "cuda":
        if torch.cuda.is_bf16_supported():
            return None
        return (f"Precision: bf16 needs a GPU with bfloat16 arithmetic, and "
                f"{torch.cuda.get_device_name(device)} has none; use fp32.")
    if device.type == "cpu":
        return None
    return f"Precision: bf16 is not supported on {device.type}; use fp32."


def mixed_precision(precision: str, device: torch.device) -> tuple[str, torch.dtype] | None:
    """The (device type, dtype) a model's training steps autocast to, None for fp32; a
    ConfigError naming the field when ``device`` cannot compute in that precision."""
    if precision == "fp32":
        return None
    if precision != "bf16":
        raise ConfigError([f"Precision: must be one of {', '.join(PRECISIONS)} "
                           f"(got {precision!r})."])
    problem = bf16_problem(device)
    if problem:
        raise ConfigError([problem])
    return device.type, torch.bfloat16


__all__ = ["bf16_problem", "mixed_precision"]
