"""The metadata of a checkpoint, as plain data, and its checks.

``CheckpointMeta`` is the JSON object a checkpoint stores under its ``"latentlab"`` metadata key
(see ``latentlab.core.files.checkpoint`` for the file itself): the model's and the training's
settings, the input shape, what the data was, the epoch, metrics and versions.
``CheckpointMeta.from_dict`` checks every value a file holds and raises ``CheckpointError``,
which says what is wrong.
"""

from __future__ import annotations

import functools
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import latentlab
from latentlab.config import ConfigError, ModelConfig, TrainConfig
from latentlab.config_progan import effective_stages
from latentlab.core.data.dataset import Dataset
from latentlab.core.data.source import DataSource

#: The version of the checkpoint layout (``latentlab.core.files.checkpoint``); a reader refuses
#: files of a newer version.
FORMAT_VERSION = 1

#: Sanity bound on each entry of an input shape read from a file.
_MAX_SIDE = 1 << 20
NORMALISATION = {"image": "[0, 1] per pixel",
                  "text": "word probabilities per document (each row sums to 1)"}
_FAMILY_NOUNS = {"ae": "an autoencoder", "vae": "a VAE", "umap_ae": "a UMAP autoencoder",
                 "gan": "a GAN", "infogan": "an InfoGAN", "cgan": "a conditional GAN",
                 "cvae": "a conditional VAE", "pix2pix": "a pix2pix model",
                 "cyclegan": "a CycleGAN", "progan": "a progressive GAN"}


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
    import torch  # imported here: the window starts without torch

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
        if not is_int(epoch) or epoch < 0:
            raise CheckpointError(f"'epoch' must be a whole number ≥ 0 (got {_short(epoch)})")
        metrics = d.get("metrics", {})
        if not isinstance(metrics, dict) or not all(
                isinstance(k, str) and _is_number(v) for k, v in metrics.items()):
            raise CheckpointError("'metrics' must map names to numbers")
        problems = model.validate(input_shape)
        if problems:
            raise CheckpointError(
                f"its model settings do not fit its {shape_words(input_shape, data)}: "
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
        if cfg.family == "pix2pix":  # a U-Net whatever ``architecture`` says
            weight = f"λ {cfg.l1_weight:g}" if cfg.adversarial else "L1 only"
            detail = f"U-Net, {cfg.task}, {weight}"
        elif cfg.family == "cyclegan":
            detail = (f"ResNet generators, cycle λ {cfg.cycle_weight:g}, identity "
                      f"{cfg.identity_weight:g}·λ")
        elif cfg.family == "progan":
            sides = effective_stages(cfg.stages, self.input_shape[1])
            switches = [name for name, on in (("minibatch std", cfg.minibatch_std),
                                              ("pixel norm", cfg.pixel_norm)) if on]
            detail = ", ".join([arch, f"stages {'→'.join(map(str, sides))}",
                                f"noise {cfg.noise_dim}", *switches])
        elif cfg.is_gan:
            detail = f"{arch}, noise {cfg.noise_dim}"
            if cfg.family == "infogan":
                detail += f", {cfg.n_categories} categories, {cfg.n_continuous} codes"
            elif cfg.family == "cgan":
                detail += f", {cfg.n_categories} classes"
        else:
            detail = f"{arch}, latent {cfg.latent_dim}"
            if cfg.family == "cvae":
                detail += f", {cfg.n_categories} classes"
        name = self.data.get("name") or "unnamed data"
        return (f"{family_noun(cfg.family)} ({detail}) on "
                f"{shape_words(self.input_shape, self.data)} of {name}, epoch {self.epoch}")


# ------------------------------------------------------------------------ metadata checks


def _format_version(d: dict[str, Any]) -> int:
    fmt = d.get("format")
    if not is_int(fmt) or fmt < 1:
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
            ok = is_int(value)
        elif kind is float:
            ok = _is_number(value)
            value = float(value) if ok else value
        elif kind is str:
            ok = isinstance(value, str)
        elif kind is bool:
            ok = isinstance(value, bool)
        elif kind == tuple[int, ...]:
            ok = isinstance(value, list) and all(is_int(v) for v in value)
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
            and all(is_int(v) and 1 <= v <= _MAX_SIDE for v in value)):
        raise CheckpointError(f"'input_shape' must be three positive sizes (got {_short(value)})")
    c, h, w = value
    return c, h, w


def _data_description(value: Any, input_shape: tuple[int, int, int]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CheckpointError(f"'data' is a JSON {_json_type(value)}, not an object")
    data = dict(value)
    kind = data.setdefault("kind", "image")
    if not isinstance(kind, str) or kind not in NORMALISATION:
        raise CheckpointError(f"'data.kind' must be \"image\" or \"text\" (got {_short(kind)})")
    for key in ("name", "normalisation"):
        if not isinstance(data.setdefault(key, "" if key == "name" else NORMALISATION[kind]),
                          str):
            raise CheckpointError(f"'data.{key}' must be a string")
    if data.setdefault("source", None) is not None and not isinstance(data["source"], str):
        raise CheckpointError("'data.source' must be a path, a dataset name or null")
    options = data.get("options")
    if options is not None and not isinstance(options, dict):
        raise CheckpointError(f"'data.options' must be an object of loader options (got "
                              f"{_short(options)})")
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


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    """A JSON number that converts to a float (NaN and infinities included)."""
    if isinstance(v, float):
        return True
    return is_int(v) and abs(v) < 10**300


def _short(v: Any, limit: int = 60) -> str:
    """repr(v), cut short: messages quote what a file holds, which may be anything."""
    text = repr(v)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_type(v: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(v), "number")


def family_noun(family: str) -> str:
    return _FAMILY_NOUNS.get(family, f"a model of family {family!r}")


def shape_words(shape: tuple[int, ...], data: Mapping[str, Any]) -> str:
    c, h, w = shape
    if data.get("kind") == "text":
        return f"{w:,}-word documents"
    return f"{h}×{w} images" if c == 1 else f"{h}×{w}×{c} images"


def describe_data(dataset: Dataset, source: DataSource | str | Path | None) -> dict[str, Any]:
    """``CheckpointMeta.data`` for a model trained on ``dataset``, loaded from ``source``.

    A catalogue name is kept as it is; a path is made absolute (``DataSource.parse`` decides
    which a string is).
    """
    return {
        "name": dataset.name,
        "source": source_string(source),
        "kind": dataset.kind,
        "class_names": list(dataset.class_names),
        "vocabulary": list(dataset.vocabulary) if dataset.vocabulary is not None else None,
        "normalisation": NORMALISATION[dataset.kind],
        "n_train": len(dataset.train_indices),
        "n_test": len(dataset.test_indices),
    }


def source_string(source: DataSource | str | Path | None) -> str | None:
    """A data source as a checkpoint records it: a catalogue name as it is, a path absolute."""
    if source is None:
        return None
    if not isinstance(source, DataSource):
        source = DataSource.parse(source)
    if source.is_catalogue:
        return source.location
    return os.path.abspath(Path(source.location).expanduser())


__all__ = [
    "FORMAT_VERSION",
    "CheckpointError",
    "CheckpointMeta",
    "current_versions",
    "describe_data",
    "source_string",
]
