"""Checkpoints: one ``.safetensors`` file holding a model's weights and, in its metadata, the JSON
that rebuilds the model.

The safetensors header's ``__metadata__`` maps ``"latentlab"`` to a JSON object (see
``CheckpointMeta.to_dict``): the format version, the model's and the training's settings, the
input shape, what the data was, the epoch, metrics, versions, and a SHA-256 of the weights.
Loading parses that JSON, rebuilds the model with ``build_model`` and loads the tensors with
``strict=True``. Nothing is ever unpickled. Every problem with a file, from a missing file to
weights that do not fit their description, is a ``CheckpointError`` that names the file and the
reason.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import struct
import typing
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import torch

import latentlab
from latentlab.config import ConfigError, ModelConfig, TrainConfig
from latentlab.core.atomic import read_bytes_or_explain, write_atomic_or_explain
from latentlab.core.data.builtin import BUILTIN_DATASETS
from latentlab.core.data.catalogue import CATALOGUE
from latentlab.core.data.dataset import Dataset
from latentlab.core.data.sources import NAMED_SOURCES
from latentlab.core.models.base import LatentModel
from latentlab.core.models.registry import MODEL_CLASSES, build_model

#: The version of the layout below; a reader refuses files of a newer version.
FORMAT_VERSION = 1
#: The safetensors metadata key whose value is the checkpoint's JSON.
METADATA_KEY = "latentlab"
SUFFIX = ".safetensors"

#: Sanity bound on each entry of an input shape read from a file.
_MAX_SIDE = 1 << 20
_NORMALISATION = {"image": "[0, 1] per pixel",
                  "text": "word probabilities per document (each row sums to 1)"}
_FAMILY_NOUNS = {"ae": "an autoencoder", "vae": "a VAE", "gan": "a GAN", "infogan": "an InfoGAN"}
_DTYPE_NAMES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}


_Settings = typing.TypeVar("_Settings", ModelConfig, TrainConfig)


class CheckpointError(ValueError):
    """A checkpoint cannot be read, written or used; the message names the file and the reason.

    ``path`` is the file (None for problems found before any file was involved) and ``reason``
    the message without it.
    """

    def __init__(self, reason: str, path: str | Path | None = None) -> None:
        self.reason = reason
        self.path = Path(path) if path is not None else None
        super().__init__(f"{path}: {reason}" if path is not None else reason)


def current_versions() -> dict[str, Any]:
    """What writes a checkpoint now: latentlab's and torch's versions and the format version."""
    return {"latentlab": latentlab.__version__, "torch": str(torch.__version__),
            "format": FORMAT_VERSION}


@dataclass(frozen=True)
class CheckpointMeta:
    """Everything a checkpoint says about its weights, as plain data.

    ``data`` describes the training data (``describe_data`` builds it): ``name``, ``source`` (an
    absolute path, a built-in name, or None), ``kind`` ("image" or "text"), ``class_names``,
    ``vocabulary`` (a text model's words, in input order; None for images), ``normalisation``,
    ``n_train``, ``n_test``; other keys (say, the loader ``options``) are kept as they are.
    ``versions`` holds ``latentlab``, ``torch`` and ``format``; saving stamps the running
    versions, so after loading it says what wrote the file.
    """

    model: ModelConfig
    train: TrainConfig
    input_shape: tuple[int, int, int]
    data: dict[str, Any]
    epoch: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    versions: dict[str, Any] = field(default_factory=current_versions)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object stored in the file (``format`` at the top, not inside ``versions``)."""
        versions = {k: v for k, v in self.versions.items() if k != "format"}
        return {
            "format": int(self.versions.get("format", FORMAT_VERSION)),
            "model": self.model.to_dict(),
            "train": self.train.to_dict(),
            "input_shape": [int(s) for s in self.input_shape],
            "data": dict(self.data),
            "epoch": int(self.epoch),
            "metrics": {str(k): float(v) for k, v in self.metrics.items()},
            "versions": versions,
        }

    @classmethod
    def from_dict(cls, d: Any) -> CheckpointMeta:
        """Parse and check ``to_dict``'s output; CheckpointError says what is wrong with it."""
        if not isinstance(d, dict):
            raise CheckpointError(f"the metadata is a JSON {_json_type(d)}, not an object")
        fmt = _format_version(d)
        versions = d.get("versions", {})
        if not isinstance(versions, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in versions.items()):
            raise CheckpointError("'versions' must map names to version strings")
        writer = versions.get("latentlab", "an unknown version")
        model = _settings(ModelConfig, _required(d, "model"), "model settings", writer)
        train = _settings(TrainConfig, d.get("train", {}), "training settings", writer)
        input_shape = _input_shape(_required(d, "input_shape"))
        data = _data_description(_required(d, "data"), input_shape)
        epoch = d.get("epoch", 0)
        if not _is_int(epoch) or epoch < 0:
            raise CheckpointError(f"'epoch' must be a whole number ≥ 0 (got {_short(epoch)})")
        metrics = d.get("metrics", {})
        if not isinstance(metrics, dict) or not all(
                isinstance(k, str) and _is_number(v) for k, v in metrics.items()):
            raise CheckpointError("'metrics' must map names to numbers")
        problems = model.validate(input_shape)
        if problems:
            raise CheckpointError(
                f"its model settings do not fit its {_shape_words(input_shape, data)}: "
                + " ".join(problems))
        problems = train.validate()
        if problems:
            raise CheckpointError("its training settings are invalid: " + " ".join(problems))
        return cls(model=model, train=train, input_shape=input_shape, data=data, epoch=epoch,
                   metrics={k: float(v) for k, v in metrics.items()},
                   versions={**versions, "format": fmt})

    def describe(self) -> str:
        """One line for people: "a VAE (MLP, latent 2) on 8×8 images of digits, epoch 20"."""
        cfg = self.model
        arch = {"mlp": "MLP", "conv": "DCGAN" if cfg.is_gan else "convolutional",
                "linear": "linear"}.get(cfg.architecture, cfg.architecture)
        if cfg.is_gan:
            detail = f"{arch}, noise {cfg.noise_dim}"
            if cfg.family == "infogan":
                detail += f", {cfg.n_categories} categories, {cfg.n_continuous} codes"
        else:
            detail = f"{arch}, latent {cfg.latent_dim}"
        name = self.data.get("name") or "unnamed data"
        return (f"{_family_noun(cfg.family)} ({detail}) on "
                f"{_shape_words(self.input_shape, self.data)} of {name}, epoch {self.epoch}")


@dataclass
class Checkpoint:
    """A loaded checkpoint: the rebuilt model (CPU, ``eval()`` mode) and its metadata."""

    model: LatentModel
    meta: CheckpointMeta
    path: Path | None = None


# --------------------------------------------------------------------------------- saving


def save_checkpoint(path: str | Path, model: LatentModel, meta: CheckpointMeta) -> Path:
    """Write ``model``'s weights and ``meta`` to one safetensors file, atomically.

    ``meta`` must describe ``model`` (its settings and input shape); the running versions are
    stamped into it. The file appears complete or not at all: a failed save leaves no partial
    file and any existing file at ``path`` untouched. Returns the absolute path written.
    """
    path = Path(path)
    if not isinstance(model, LatentModel):
        raise CheckpointError(f"cannot save a {type(model).__name__}: not a latentlab model", path)
    if meta.model != model.cfg or tuple(meta.input_shape) != tuple(model.input_shape):
        raise CheckpointError(
            "the metadata describes a different model than the one being saved "
            f"({_family_noun(meta.model.family)} for {tuple(meta.input_shape)} vs "
            f"{_family_noun(model.cfg.family)} for {tuple(model.input_shape)}); nothing was "
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
    tensors = {name: t.detach().to("cpu").contiguous().clone()
               for name, t in model.state_dict().items()}
    payload = {**json.loads(text), "weights_sha256": weights_digest(tensors)}
    from safetensors.torch import save

    blob = save(tensors, metadata={METADATA_KEY: json.dumps(payload)})
    try:
        return write_atomic_or_explain(path, blob)
    except ValueError as exc:
        raise CheckpointError(str(exc), path) from None


def weights_digest(tensors: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 over every tensor's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().to("cpu").contiguous()
        digest.update(f"{name}\0{_DTYPE_NAMES.get(t.dtype, str(t.dtype))}\0"
                      f"{list(t.shape)}\0".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


# -------------------------------------------------------------------------------- loading


def read_meta(path: str | Path) -> CheckpointMeta:
    """Only the metadata of a checkpoint (no model is built, no weights are checked)."""
    return _read(Path(path))[1]


def load_checkpoint(path: str | Path, *, families: Collection[str] | None = None) -> Checkpoint:
    """Rebuild the model a checkpoint describes and load its weights strictly.

    ``families``, if given, are the model families the caller can use ("gan", "infogan", …);
    any other is refused with a message saying what the file holds. Raises CheckpointError
    naming the file for every problem: missing or unreadable, not a safetensors file, truncated,
    not a latentlab checkpoint, a newer format, bad metadata, or weights that do not match it.
    """
    path = Path(path)
    blob, meta, entries, payload = _read(path)
    if families is not None and meta.model.family not in families:
        wanted = " or ".join(_family_noun(f) for f in families) or "nothing"
        raise CheckpointError(f"holds {_family_noun(meta.model.family)}; expected {wanted}", path)
    expected = _expected_tensors(meta, path)
    found = {name: (entry["dtype"], entry["shape"]) for name, entry in entries.items()}
    if found != expected:
        raise CheckpointError(_mismatch(meta, expected, found), path)
    tensors = _load_tensors(blob, path)
    digest = payload.get("weights_sha256")
    if digest is not None and digest != weights_digest(tensors):
        raise CheckpointError("the weights are corrupt (their SHA-256 differs from the one "
                              "recorded when the file was saved)", path)
    with torch.random.fork_rng(devices=[]):  # building must not disturb anyone's random stream
        try:
            model = build_model(meta.model, meta.input_shape)
            model.load_state_dict(tensors, strict=True)
        except (ConfigError, RuntimeError, ValueError) as exc:
            raise CheckpointError(f"the weights do not load into the model: {exc}",
                                  path) from None
    return Checkpoint(model.eval(), meta, Path(os.path.abspath(path)))


def _read(path: Path) -> tuple[bytes, CheckpointMeta, dict[str, Any], dict[str, Any]]:
    """(file bytes, metadata, the header's tensor entries, the raw metadata JSON object)."""
    try:
        blob = read_bytes_or_explain(path, "a checkpoint")
    except ValueError as exc:
        raise CheckpointError(str(exc), path) from None
    header = _parse_header(blob, path)
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
    return blob, meta, header, payload


def _parse_header(blob: bytes, path: Path) -> dict[str, Any]:
    """The safetensors header: 8 bytes of little-endian length, then that much JSON."""
    if len(blob) < 8:
        raise CheckpointError(f"too short to be a safetensors file ({len(blob)} bytes)", path)
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise CheckpointError(
            f"truncated or not a safetensors file (its header claims {n:,} bytes; the file "
            f"has {len(blob) - 8:,} after the length)", path)
    try:
        header = json.loads(blob[8 : 8 + n].decode("utf-8"))
    except (ValueError, RecursionError):
        raise CheckpointError("not a safetensors file (its header is not JSON)", path) from None
    if not isinstance(header, dict):
        raise CheckpointError("not a safetensors file (its header is not a JSON object)", path)
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not (isinstance(entry, dict) and isinstance(entry.get("dtype"), str)
                and isinstance(entry.get("shape"), list)
                and all(_is_int(s) and s >= 0 for s in entry["shape"])
                and isinstance(entry.get("data_offsets"), list)):
            raise CheckpointError(f"corrupt safetensors header (entry {name!r})", path)
    return header


def _load_tensors(blob: bytes, path: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load

    try:
        return load(blob)
    except Exception as exc:  # safetensors raises its own error types for malformed data
        reason = str(exc).strip() or type(exc).__name__
        raise CheckpointError(f"corrupt safetensors data ({reason})", path) from None


def _expected_tensors(meta: CheckpointMeta, path: Path) -> dict[str, tuple[str, list[int]]]:
    """Names, dtypes and shapes of the weights the metadata's model has (built on no memory)."""
    try:
        return _meta_shapes(meta.model, meta.input_shape)
    except Exception as exc:  # settings a fuzzer wrote may break a layer's constructor
        raise CheckpointError(f"its model settings cannot build a model ({exc})", path) from None


def _meta_shapes(cfg: ModelConfig, input_shape: tuple[int, int, int]
                 ) -> dict[str, tuple[str, list[int]]]:
    with torch.device("meta"):
        model = build_model(cfg, input_shape)
    return {name: (_DTYPE_NAMES.get(t.dtype, str(t.dtype)), list(t.shape))
            for name, t in model.state_dict().items()}


def _mismatch(meta: CheckpointMeta, expected: dict[str, tuple[str, list[int]]],
              found: dict[str, tuple[str, list[int]]]) -> str:
    """Why the file's tensors do not fit the model: the family they do fit, if any, and the
    missing, unexpected and differently shaped tensors."""
    cfg = meta.model
    lead = (f"the weights do not match {_family_noun(cfg.family)} with the settings in its "
            "metadata")
    for family in MODEL_CLASSES:
        if family == cfg.family:
            continue
        try:
            fits = _meta_shapes(replace(cfg, family=family), meta.input_shape) == found
        except Exception:  # a family these settings cannot build simply does not fit
            fits = False
        if fits:
            lead = (f"the weights are {_family_noun(family)}'s, but its metadata says "
                    f"{_family_noun(cfg.family)}")
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


def describe_data(dataset: Dataset, source: str | Path | None) -> dict[str, Any]:
    """``CheckpointMeta.data`` for a model trained on ``dataset``, loaded from ``source``.

    A built-in or catalogue name is kept as it is; a path is made absolute.
    """
    return {
        "name": dataset.name,
        "source": _source_string(source),
        "kind": dataset.kind,
        "class_names": list(dataset.class_names),
        "vocabulary": list(dataset.vocabulary) if dataset.vocabulary is not None else None,
        "normalisation": _NORMALISATION[dataset.kind],
        "n_train": len(dataset.train_indices),
        "n_test": len(dataset.test_indices),
    }


def dataset_names() -> set[str]:
    """Names that ``load_source`` or the catalogue know without a path."""
    return {*BUILTIN_DATASETS, *CATALOGUE, *NAMED_SOURCES}


def _source_string(source: str | Path | None) -> str | None:
    if source is None:
        return None
    if isinstance(source, str) and source in dataset_names():
        return source
    return os.path.abspath(Path(source).expanduser())


def check_matches(meta: CheckpointMeta, dataset: Dataset, path: str | Path | None = None) -> None:
    """Raise CheckpointError unless the model can take ``dataset``'s items as input.

    Compares the kind (images or text), the image shape, and for text the vocabulary (the same
    words in the same order). Class names may differ: they only colour the maps.
    """
    where = "" if path is not None else "the checkpoint "
    ours = _shape_words(meta.input_shape, meta.data)
    theirs = _shape_words(dataset.input_shape, {"kind": dataset.kind})
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


def _shape_words(shape: tuple[int, ...], data: Mapping[str, Any]) -> str:
    c, h, w = shape
    if data.get("kind") == "text":
        return f"{w:,}-word documents"
    return f"{h}×{w} images" if c == 1 else f"{h}×{w}×{c} images"


# ------------------------------------------------------------------------ metadata checks


def _format_version(d: dict[str, Any]) -> int:
    fmt = d.get("format")
    if not _is_int(fmt) or fmt < 1:
        raise CheckpointError(f"its format version is missing or invalid ({_short(fmt)})")
    if fmt > FORMAT_VERSION:
        versions = d.get("versions")
        writer = versions.get("latentlab") if isinstance(versions, dict) else None
        by = f" ({writer})" if isinstance(writer, str) else ""
        raise CheckpointError(
            f"was written by a newer latentlab{by} (format {fmt}; this one, "
            f"{latentlab.__version__}, reads {FORMAT_VERSION}); update latentlab to open it")
    return fmt


def _required(d: dict[str, Any], key: str) -> Any:
    if key not in d:
        raise CheckpointError(f"its metadata has no {key!r}")
    return d[key]


def _settings(cls: type[_Settings], d: Any, what: str, writer: str) -> _Settings:
    """A settings dataclass from JSON, each value checked against the field's type."""
    if not isinstance(d, dict):
        raise CheckpointError(f"its {what} are a JSON {_json_type(d)}, not an object")
    hints = _type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise CheckpointError(
            f"its {what} include {', '.join(map(repr, unknown))}, unknown to this latentlab "
            f"({latentlab.__version__}; the file was written by {writer})")
    values: dict[str, Any] = {}
    for name, value in d.items():
        kind = hints[name]
        if kind is int:
            ok = _is_int(value)
        elif kind is float:
            ok = _is_number(value)
            value = float(value) if ok else value
        elif kind is str:
            ok = isinstance(value, str)
        elif kind is bool:
            ok = isinstance(value, bool)
        elif kind == tuple[int, ...]:
            ok = isinstance(value, list) and all(_is_int(v) for v in value)
            value = tuple(value) if ok else value
        else:  # a field type this parser does not know yet: take the JSON value as it is
            ok = True
        if not ok:
            raise CheckpointError(f"its {what}: {name!r} has the wrong type ({_short(value)})")
        values[name] = value
    try:
        return cls.from_dict(values)
    except (ConfigError, TypeError) as exc:
        raise CheckpointError(f"its {what} are invalid: {exc}") from None


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _input_shape(value: Any) -> tuple[int, int, int]:
    if not (isinstance(value, list) and len(value) == 3
            and all(_is_int(v) and 1 <= v <= _MAX_SIDE for v in value)):
        raise CheckpointError(f"'input_shape' must be three positive sizes (got {_short(value)})")
    c, h, w = value
    return c, h, w


def _data_description(value: Any, input_shape: tuple[int, int, int]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CheckpointError(f"'data' is a JSON {_json_type(value)}, not an object")
    data = dict(value)
    kind = data.setdefault("kind", "image")
    if not isinstance(kind, str) or kind not in _NORMALISATION:
        raise CheckpointError(f"'data.kind' must be \"image\" or \"text\" (got {_short(kind)})")
    for key in ("name", "normalisation"):
        if not isinstance(data.setdefault(key, "" if key == "name" else _NORMALISATION[kind]),
                          str):
            raise CheckpointError(f"'data.{key}' must be a string")
    if data.setdefault("source", None) is not None and not isinstance(data["source"], str):
        raise CheckpointError("'data.source' must be a path, a dataset name or null")
    names = data.setdefault("class_names", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise CheckpointError("'data.class_names' must be a list of strings")
    vocabulary = data.setdefault("vocabulary", None)
    if vocabulary is not None:
        if not isinstance(vocabulary, list) or not all(isinstance(w, str) for w in vocabulary):
            raise CheckpointError("'data.vocabulary' must be a list of words or null")
        if kind != "text" or input_shape[:2] != (1, 1) or len(vocabulary) != input_shape[2]:
            raise CheckpointError(f"'data.vocabulary' holds {len(vocabulary):,} words for "
                                  f"input shape {list(input_shape)}")
    elif kind == "text" and input_shape[:2] != (1, 1):
        raise CheckpointError(f"text data has input shape [1, 1, V], not {list(input_shape)}")
    return data


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    """A JSON number that converts to a float (NaN and infinities included)."""
    if isinstance(v, float):
        return True
    return _is_int(v) and abs(v) < 10**300


def _short(v: Any, limit: int = 60) -> str:
    """repr(v), cut short: messages quote what a file holds, which may be anything."""
    text = repr(v)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_type(v: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(v), "number")


def _family_noun(family: str) -> str:
    return _FAMILY_NOUNS.get(family, f"a model of family {family!r}")


__all__ = [
    "FORMAT_VERSION",
    "METADATA_KEY",
    "SUFFIX",
    "Checkpoint",
    "CheckpointError",
    "CheckpointMeta",
    "check_matches",
    "current_versions",
    "dataset_names",
    "describe_data",
    "load_checkpoint",
    "read_meta",
    "save_checkpoint",
    "weights_digest",
]
