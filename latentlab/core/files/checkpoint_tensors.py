"""A checkpoint's tensors: safetensors' dtype names, the weights' digest, and the tensors read
out of a file's bytes. Torch is imported when they are used, not with the module."""

from __future__ import annotations

import functools
import hashlib
import math
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from latentlab.core.files.checkpoint_meta import CheckpointError, is_int

if TYPE_CHECKING:
    import torch


@functools.cache
def dtype_names() -> dict[torch.dtype, str]:
    import torch

    return {
        torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
        torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
        torch.uint8: "U8", torch.bool: "BOOL",
    }


@functools.cache
def _dtypes() -> dict[str, torch.dtype]:
    return {name: dtype for dtype, name in dtype_names().items()}


def weights_digest(tensors: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 over every tensor's name, dtype, shape and bytes, in name order."""
    import torch

    digest = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().to("cpu").contiguous()
        digest.update(f"{name}\0{dtype_names().get(t.dtype, str(t.dtype))}\0"
                      f"{list(t.shape)}\0".encode())
        # The array itself, not a bytes copy: hashlib reads it without holding the GIL.
        digest.update(t.reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()


def load_tensors(data: bytes, entries: dict[str, Any], path: Path
                  ) -> dict[str, torch.Tensor]:
    """The tensors the header's ``entries`` describe, copied out of the ``data`` after it.

    Each is a view of the bytes (no copy) cloned by torch, which releases the GIL while it
    copies: a large checkpoint read on a worker thread never stalls the window's thread.
    """
    import torch

    buffer = memoryview(data)
    tensors: dict[str, torch.Tensor] = {}
    for name, entry in entries.items():
        dtype = _dtypes().get(entry["dtype"])
        offsets = entry["data_offsets"]
        if dtype is None:
            raise CheckpointError(f"tensor {name!r} has an unknown dtype {entry['dtype']!r}",
                                  path)
        count = math.prod(entry["shape"])
        size = count * dtype.itemsize
        if not (len(offsets) == 2 and all(is_int(o) for o in offsets)
                and 0 <= offsets[0] <= offsets[1] <= len(data)
                and offsets[1] - offsets[0] == size):
            raise CheckpointError(f"corrupt safetensors data (tensor {name!r} lies outside the "
                                  "file or does not match its shape)", path)
        if count == 0:
            tensors[name] = torch.empty(entry["shape"], dtype=dtype)
            continue
        with warnings.catch_warnings():  # the view is read-only; it is cloned at once
            warnings.simplefilter("ignore", UserWarning)
            view = torch.frombuffer(buffer[offsets[0] : offsets[1]], dtype=dtype)
        tensors[name] = view.reshape(entry["shape"]).clone()
    return tensors
