"""Checkpoints: one ``.safetensors`` file holding a model's weights and, in its metadata, the JSON
that rebuilds the model.

The safetensors header's ``__metadata__`` maps ``"latentlab"`` to a JSON object (see
``CheckpointMeta.to_dict``): the format version, the model's and the training's settings, the
input shape, what the data was, the epoch, metrics, versions, and a SHA-256 of the weights.
Loading parses that JSON, rebuilds the model with ``build_model`` and loads the tensors with
``strict=True``. Nothing is ever unpickled. Every problem with a file, from a missing file to
weights that do not fit their description, is a ``CheckpointError`` that names the file and the
reason.

The metadata model and its checks (``CheckpointMeta``, ``CheckpointError``) live in
``latentlab.core.files.checkpoint_meta``; they are re-exported here.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from latentlab.config import ConfigError, ModelConfig
from latentlab.core.data.dataset import Dataset
from latentlab.core.files.atomic import describe_os_error, write_atomic_or_explain
from latentlab.core.files.checkpoint_meta import (
    FORMAT_VERSION,
    CheckpointError,
    CheckpointMeta,
    current_versions,
    describe_data,
    family_noun,
    is_int,
    shape_words,
)
from latentlab.core.files.checkpoint_tensors import dtype_names, load_tensors, weights_digest
from latentlab.core.files.safe_io import memory_budget, open_regular, size_text

if TYPE_CHECKING:  # torch and the models load when a checkpoint is read or written, not at import

    from latentlab.core.models.base import LatentModel

#: The safetensors metadata key whose value is the checkpoint's JSON.
METADATA_KEY = "latentlab"
SUFFIX = ".safetensors"
#: A header is JSON of tensor names, shapes and settings: kilobytes, a text model's vocabulary
#: a few megabytes.
MAX_HEADER_BYTES = 64 << 20



@dataclass
class Checkpoint:
    """A loaded checkpoint: the rebuilt model (CPU, ``eval()`` mode) and its metadata."""

    model: LatentModel
    meta: CheckpointMeta
    path: Path | None = None


# --------------------------------------------------------------------------------- saving


def save_checkpoint(path: str | Path, model: LatentModel, meta: CheckpointMeta,
                    half: bool = False) -> Path:
    """Write ``model``'s weights and ``meta`` to one safetensors file, atomically; ``half``
    stores the floating-point weights in 16 bits (half the size, for sharing: loading widens
    them back).

    ``meta`` must describe ``model`` (its settings and input shape); the running versions are
    stamped into it. The file appears complete or not at all: a failed save leaves no partial
    file and any existing file at ``path`` untouched. Returns the absolute path written.
    """
    import torch

    from latentlab.core.models.base import LatentModel

    path = Path(path)
    if not isinstance(model, LatentModel):
        raise CheckpointError(f"cannot save a {type(model).__name__}: not a latentlab model", path)
    if meta.model != model.cfg or tuple(meta.input_shape) != tuple(model.input_shape):
        raise CheckpointError(
            "the metadata describes a different model than the one being saved "
            f"({family_noun(meta.model.family)} for {tuple(meta.input_shape)} vs "
            f"{family_noun(model.cfg.family)} for {tuple(model.input_shape)}); nothing was "
            "written", path)
    meta = replace(meta, versions=current_versions())
    try:
        # Round trip through JSON now, so that no file is written that could not be read back.
        text = json.dumps(meta.to_dict())  # ASCII: a path may hold surrogate escapes
        CheckpointMeta.from_dict(json.loads(text))
    except CheckpointError as exc:
        raise CheckpointError(f"invalid metadata, nothing was written: {exc.reason}",
                              path) from None
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"the metadata cannot be written as JSON ({exc}); nothing was "
                              "written", path) from None
    # Contiguous CPU copies that share no memory, as safetensors requires.
    tensors = {name: t.detach().to("cpu", torch.float16 if half and t.is_floating_point()
                                    else t.dtype).contiguous().clone()
               for name, t in model.state_dict().items()}
    payload = {**json.loads(text), "weights_sha256": weights_digest(tensors)}
    from safetensors.torch import save

    blob = save(tensors, metadata={METADATA_KEY: json.dumps(payload)})
    try:
        return write_atomic_or_explain(path, blob)
    except ValueError as exc:
        raise CheckpointError(str(exc), path) from None


# -------------------------------------------------------------------------------- loading


def read_meta(path: str | Path) -> CheckpointMeta:
    """Only the metadata of a checkpoint (no model is built, no weights are read)."""
    return _read(Path(path))[0]


def load_checkpoint(path: str | Path, *, families: Collection[str] | None = None,
                    refusal: str | None = None) -> Checkpoint:
    """Rebuild the model a checkpoint describes and load its weights strictly.

    ``families``, if given, are the model families the caller can use ("gan", "infogan", …);
    any other is refused saying what the file holds, and ``refusal`` or the families expected.
    Raises CheckpointError naming the file for every problem: missing or unreadable, not a
    safetensors file, truncated, not a latentlab checkpoint, a newer format, bad metadata, or
    weights that do not match it. The header is checked before the weights are read: a file
    whose header does not describe the model costs the reading of its header only.
    """
    import torch

    from latentlab.core.models.registry import build_model

    path = Path(path)
    meta, entries, payload, data_start = _read(path)
    if families is not None and meta.model.family not in families:
        why = refusal or "expected " + (" or ".join(map(family_noun, families)) or "nothing")
        raise CheckpointError(f"holds {family_noun(meta.model.family)}; {why}", path)
    expected = _expected_tensors(meta, path)
    # 16-bit floats stand for 32-bit ones (a checkpoint saved ``half``): loading widens them.
    found = {name: ("F32" if entry["dtype"] == "F16" else entry["dtype"], entry["shape"])
             for name, entry in entries.items()}
    if found != expected:
        raise CheckpointError(_mismatch(meta, expected, found), path)
    tensors = load_tensors(_read_data(path, data_start), entries, path)
    digest = payload.get("weights_sha256")
    if digest is not None and digest != weights_digest(tensors):
        raise CheckpointError("the weights are corrupt (their SHA-256 differs from the one "
                              "recorded when the file was saved)", path)
    broken = sorted(name for name, t in tensors.items()
                    if t.is_floating_point() and not bool(torch.isfinite(t).all()))
    if broken:
        raise CheckpointError(f"its weights include NaN or infinite numbers ({_names(broken)}); "
                              "the model cannot be used (did its training diverge?)", path)
    with torch.random.fork_rng(devices=[]):  # building must not disturb anyone's random stream
        try:
            model = build_model(meta.model, meta.input_shape)
            model.load_state_dict(tensors, strict=True)
        except (ConfigError, RuntimeError, ValueError) as exc:
            raise CheckpointError(f"the weights do not load into the model: {exc}",
                                  path) from None
    return Checkpoint(model.eval(), meta, Path(os.path.abspath(path)))


def _open(path: Path) -> BinaryIO:
    """The checkpoint file, open; CheckpointError for anything but a regular file within the
    memory budget."""
    try:
        if path.is_dir():
            raise CheckpointError("is a folder, not a checkpoint file", path)
        return open_regular(path, memory_budget(), "checkpoint files")
    except FileNotFoundError:
        raise CheckpointError("no such file", path) from None
    except OSError as exc:
        raise CheckpointError(f"cannot be read ({describe_os_error(exc)})", path) from None


def _read(path: Path) -> tuple[CheckpointMeta, dict[str, Any], dict[str, Any], int]:
    """(metadata, the header's tensor entries, the raw metadata JSON object, where the data
    starts), from the header alone."""
    with _open(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        head = handle.read(8)
        if len(head) < 8:
            raise CheckpointError(f"too short to be a safetensors file ({len(head)} bytes)",
                                  path)
        (n,) = struct.unpack("<Q", head)
        if n > size - 8:
            raise CheckpointError(
                f"truncated or not a safetensors file (its header claims {n:,} bytes; the file "
                f"has {size - 8:,} after the length)", path)
        if n > MAX_HEADER_BYTES:  # parsing JSON takes several times its size in memory
            raise CheckpointError(f"its header claims {size_text(n)}; a checkpoint's header is "
                                  f"read up to {size_text(MAX_HEADER_BYTES)}", path)
        header = _parse_header(handle.read(n), path)
    metadata = header.pop("__metadata__", None)
    if not isinstance(metadata, dict) or not isinstance(metadata.get(METADATA_KEY), str):
        raise CheckpointError(
            f"a safetensors file, but not a latentlab checkpoint (no {METADATA_KEY!r} "
            "metadata)", path)
    try:
        payload = json.loads(metadata[METADATA_KEY])
    except (ValueError, RecursionError) as exc:
        raise CheckpointError(f"its latentlab metadata is not valid JSON ({exc})", path) from None
    try:
        meta = CheckpointMeta.from_dict(payload)
    except CheckpointError as exc:
        raise CheckpointError(exc.reason, path) from None
    return meta, header, payload, 8 + n


def _read_data(path: Path, start: int) -> bytes:
    """The bytes after the header, where the tensors lie."""
    with _open(path) as handle:
        try:
            handle.seek(start)
            return handle.read()
        except OSError as exc:
            raise CheckpointError(f"cannot be read ({describe_os_error(exc)})", path) from None


def _parse_header(raw: bytes, path: Path) -> dict[str, Any]:
    """The safetensors header's JSON: tensor entries and ``__metadata__``."""
    try:
        header = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        raise CheckpointError("not a safetensors file (its header is not JSON)", path) from None
    if not isinstance(header, dict):
        raise CheckpointError("not a safetensors file (its header is not a JSON object)", path)
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not (isinstance(entry, dict) and isinstance(entry.get("dtype"), str)
                and isinstance(entry.get("shape"), list)
                and all(is_int(s) and s >= 0 for s in entry["shape"])
                and isinstance(entry.get("data_offsets"), list)):
            raise CheckpointError(f"corrupt safetensors header (entry {name!r})", path)
    return header


def _expected_tensors(meta: CheckpointMeta, path: Path) -> dict[str, tuple[str, list[int]]]:
    """Names, dtypes and shapes of the weights the metadata's model has (built on no memory)."""
    try:
        return _meta_shapes(meta.model, meta.input_shape)
    except Exception as exc:  # settings a fuzzer wrote may break a layer's constructor
        raise CheckpointError(f"its model settings cannot build a model ({exc})", path) from None


def _meta_shapes(cfg: ModelConfig, input_shape: tuple[int, int, int]
                 ) -> dict[str, tuple[str, list[int]]]:
    import torch

    from latentlab.core.models.registry import build_model

    with torch.device("meta"):
        model = build_model(cfg, input_shape)
    return {name: (dtype_names().get(t.dtype, str(t.dtype)), list(t.shape))
            for name, t in model.state_dict().items()}


def _mismatch(meta: CheckpointMeta, expected: dict[str, tuple[str, list[int]]],
              found: dict[str, tuple[str, list[int]]]) -> str:
    """Why the file's tensors do not fit the model: the family they do fit, if any, and the
    missing, unexpected and differently shaped tensors."""
    from latentlab.core.models.registry import MODEL_CLASSES

    cfg = meta.model
    lead = (f"the weights do not match {family_noun(cfg.family)} with the settings in its "
            "metadata")
    for family in MODEL_CLASSES:
        if family == cfg.family:
            continue
        try:
            fits = _meta_shapes(replace(cfg, family=family), meta.input_shape) == found
        except Exception:  # a family these settings cannot build simply does not fit
            fits = False
        if fits:
            lead = (f"the weights are {family_noun(family)}'s, but its metadata says "
                    f"{family_noun(cfg.family)}")
            break
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    parts = []
    if missing:
        parts.append(f"missing {_names(missing)}")
    if extra:
        parts.append(f"unexpected {_names(extra)}")
    for name in sorted(set(expected) & set(found)):
        if expected[name] != found[name]:
            (want_t, want_s), (got_t, got_s) = expected[name], found[name]
            parts.append(f"{name} is {got_t} {got_s} in the file; the model needs "
                         f"{want_t} {want_s}")
            if len(parts) >= 4:
                break
    return lead + ": " + "; ".join(parts)


def _names(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"{len(names)} tensor{'s' if len(names) != 1 else ''} ({shown}{more})"


# ------------------------------------------------------------------------------ the data


def check_matches(meta: CheckpointMeta, dataset: Dataset, path: str | Path | None = None) -> None:
    """Raise CheckpointError unless the model can take ``dataset``'s items as input.

    Compares the kind (images or text), the image shape, and for text the vocabulary (the same
    words in the same order). Class names may differ: they only colour the maps.
    """
    where = "" if path is not None else "the checkpoint "
    ours = shape_words(meta.input_shape, meta.data)
    theirs = shape_words(dataset.input_shape, {"kind": dataset.kind})
    if meta.data.get("kind", "image") != dataset.kind or tuple(meta.input_shape) != \
            dataset.input_shape:
        raise CheckpointError(f"{where}was trained on {ours}; {dataset.name!r} has {theirs}",
                              path)
    vocabulary = meta.data.get("vocabulary")
    if dataset.kind == "text" and vocabulary is not None \
            and tuple(vocabulary) != dataset.vocabulary:
        i = next(i for i, (a, b) in enumerate(zip(vocabulary, dataset.vocabulary, strict=True))
                 if a != b)
        raise CheckpointError(
            f"{where}was trained on another vocabulary than {dataset.name!r}'s (word {i + 1} "
            f"is {vocabulary[i]!r} there, {dataset.vocabulary[i]!r} here)", path)


__all__ = [
    "FORMAT_VERSION", "METADATA_KEY", "SUFFIX", "Checkpoint", "CheckpointError",
    "CheckpointMeta", "check_matches", "current_versions", "describe_data", "load_checkpoint",
    "read_meta", "save_checkpoint", "weights_digest",
]
