"""Lab files (``.latentlab``): a prepared lesson — the dataset, the trained models, the map
settings and where the probes sit — in one small JSON file a teacher can hand out.

The file is JSON (UTF-8); ``dataset`` is a :class:`~latentlab.core.data.source.DataSource`::

    {"kind": "latentlab lab", "version": 1,
     "dataset": {"source": "data/faces" or "digits", "options": {"size": 32, "mode": "L"}},
     "checkpoints": ["models/vae.safetensors"],
     "maps": {... settings the GUI owns ...},
     "probes": {"pixels": [0.5, -1.25], "latent": [0.0, 0.0]}}

Paths inside the lab's folder are stored relative to it (with "/"), so a lesson folder can be
moved or copied as a whole; other paths are stored absolute. In memory, a loaded ``Lab`` holds
absolute paths. Every problem is a ``LabFileError`` naming the file and the reason; a dataset
that is no longer where the lab says is a ``DatasetMissing`` carrying its path and the lab, so
the GUI can ask where it went and carry on with ``relocate_dataset``.
"""

from __future__ import annotations

import inspect
import json
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from typing import Any

from latentlab.core.data import (
    load_idx_folder,
    load_image_folder,
    load_numpy,
    load_pixel_csv,
    load_text_csv,
    load_text_folder,
)
from latentlab.core.data.source import DataSource, is_catalogue_name
from latentlab.core.files.atomic import read_bytes_or_explain, write_atomic_or_explain

LAB_SUFFIX = ".latentlab"
#: The version of the layout above; a reader refuses files of a newer version.
LAB_VERSION = 1
LAB_KIND = "latentlab lab"
#: A lab is a few kilobytes of JSON; anything near this bound is not one.
MAX_LAB_BYTES = 16 << 20

# Loader options that are not settings (callbacks, or arguments load_source fills in itself).
_NOT_OPTIONS = {"path", "folder", "info", "progress", "cancel"}


def dataset_options() -> frozenset[str]:
    """Names of the ``load_source`` options a lab may store (size, mode, images_key, …)."""
    loaders = (load_idx_folder, load_image_folder, load_text_folder, load_numpy, load_pixel_csv,
               load_text_csv)
    names = {p.name for loader in loaders for p in inspect.signature(loader).parameters.values()
             if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
    return frozenset(names - _NOT_OPTIONS)


class LabFileError(ValueError):
    """A lab file cannot be read or written; the message names the file and the reason.

    ``lab_path`` is the lab file (None when no file is involved) and ``reason`` the message
    without it.
    """

    def __init__(self, reason: str, lab_path: str | Path | None = None) -> None:
        self.reason = reason
        self.lab_path = Path(lab_path) if lab_path is not None else None
        super().__init__(f"{lab_path}: {reason}" if lab_path is not None else reason)


class DatasetMissing(LabFileError):
    """The lab's dataset is not where the lab says (moved or deleted).

    ``path`` is the absolute path that is missing, ``lab`` the lab as read (everything else in
    it is valid): ask the user where the dataset is now and pass it to ``relocate_dataset``.
    """

    def __init__(self, path: Path, lab: Lab | None, lab_path: str | Path | None = None) -> None:
        self.path = path
        self.lab = lab
        super().__init__(f"the dataset {path} is missing (moved or deleted?); "
                         "say where it is now", lab_path)


@dataclass(frozen=True)
class Lab:
    """A lesson: the dataset, the models, the maps' settings and the probes' positions.

    ``dataset`` says what to load (a catalogue name, or a path: absolute once loaded);
    ``checkpoints`` are paths of ``.safetensors`` checkpoints (absolute once loaded); ``maps`` is
    free-form JSON the GUI owns; ``probes`` maps a map id to the probe's ``[x, y]``. ``version``
    is the format version of the file it was read from.
    """

    dataset: DataSource
    checkpoints: list[str] = field(default_factory=list)
    maps: dict[str, Any] = field(default_factory=dict)
    probes: dict[str, list[float]] = field(default_factory=dict)
    version: int = LAB_VERSION

    @property
    def source(self) -> str:
        return self.dataset.location

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.dataset.options)

    def missing_checkpoints(self) -> list[str]:
        """The checkpoint paths that do not exist (relative ones against the current folder)."""
        return [p for p in self.checkpoints if not os.path.isfile(p)]


# --------------------------------------------------------------------------------- saving


def save_lab(path: str | Path, lab: Lab) -> Path:
    """Write ``lab`` as JSON to ``path``, atomically; return the absolute path written.

    Relative paths in ``lab`` are taken relative to the current folder; paths inside the lab's
    folder are written relative to it. A failed save leaves no partial file and any existing
    file unchanged.
    """
    path = Path(path)
    target = Path(os.path.abspath(path.expanduser()))
    try:
        d = _to_json(lab, target.parent)
        _parse(json.loads(json.dumps(d)), target.parent)  # never write what cannot be read
        text = json.dumps(d, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # a path with undecodable bytes (surrogate escapes)
            data = (json.dumps(d, indent=2, allow_nan=False) + "\n").encode("ascii")
    except LabFileError as exc:
        raise LabFileError(f"not saved: {exc.reason}", path) from None
    except (TypeError, ValueError, RecursionError) as exc:
        raise LabFileError(f"not saved: the lab holds values JSON cannot store ({exc})",
                           path) from None
    try:
        return write_atomic_or_explain(target, data)
    except ValueError as exc:
        raise LabFileError(str(exc), path) from None


def _to_json(lab: Lab, folder: Path) -> dict[str, Any]:
    return {"kind": LAB_KIND, "version": LAB_VERSION, **lab_to_json(lab, folder)}


def lab_to_json(lab: Lab, folder: Path) -> dict[str, Any]:
    """The lab's fields as JSON, paths inside ``folder`` relative to it (a lesson's steps hold
    them too)."""
    if not isinstance(lab, Lab):
        raise LabFileError(f"expected a Lab, got {type(lab).__name__}")
    dataset = lab.dataset
    if not isinstance(dataset, DataSource):
        raise LabFileError(f"the dataset must be a DataSource, not {type(dataset).__name__}")
    source = dataset.location if dataset.is_catalogue else stored_path(dataset.location, folder)
    if not isinstance(lab.checkpoints, list | tuple):
        raise LabFileError("'checkpoints' must be a list of paths")
    for p in lab.checkpoints:
        if not isinstance(p, str | PurePath) or not str(p) or "\0" in str(p):
            raise LabFileError(f"checkpoint paths must be non-empty strings (got {short_repr(p)})")
    return {
        # Where this machine caches downloads is no part of a lesson.
        "dataset": {"source": source, "options": dict(dataset.options)},
        "checkpoints": [stored_path(str(p), folder) for p in lab.checkpoints],
        "maps": lab.maps,
        "probes": {k: list(v) if isinstance(v, list | tuple) else v
                   for k, v in lab.probes.items()} if isinstance(lab.probes, dict) else lab.probes,
    }


def stored_path(p: str, folder: Path) -> str:
    """Relative to ``folder`` (with "/") when ``p`` lies inside it, else absolute."""
    if "\0" in p:
        raise LabFileError(f"paths may not contain NUL characters ({p!r})")
    absolute = os.path.abspath(os.path.expanduser(p))
    try:
        inside = os.path.commonpath([absolute, str(folder)]) == str(folder)
    except ValueError:  # another drive (Windows)
        inside = False
    if inside:
        return Path(os.path.relpath(absolute, folder)).as_posix()
    return absolute


# -------------------------------------------------------------------------------- loading


def load_lab(path: str | Path) -> Lab:
    """Read a lab file; relative paths in it are resolved against its folder.

    Raises LabFileError naming the file for anything malformed, and DatasetMissing when the
    dataset is a path that does not exist (a built-in or catalogue name never is missing).
    Checkpoints are not opened here: ``load_checkpoint`` reports a missing or broken one.
    """
    path = Path(path)
    try:
        d = read_json(path, "a lab", MAX_LAB_BYTES)
    except ValueError as exc:
        raise LabFileError(str(exc), path) from None
    folder = Path(os.path.abspath(path.expanduser())).parent
    try:
        lab = _parse(d, folder)
    except LabFileError as exc:
        raise LabFileError(exc.reason, path) from None
    if not lab.dataset.is_catalogue and not os.path.exists(lab.source):
        raise DatasetMissing(Path(lab.source), lab, path)
    return lab


def relocate_dataset(lab: Lab, new_source: str | Path) -> Lab:
    """The same lab with its dataset at ``new_source`` (a path, or a catalogue name).

    Loader options are kept. Raises DatasetMissing if ``new_source`` is a path that does not
    exist either.
    """
    source = str(new_source)
    if not source or "\0" in source:
        raise LabFileError(f"not a dataset path or name: {source!r}")
    if not DataSource.parse(new_source).is_catalogue:
        source = os.path.abspath(os.path.expanduser(source))
        if not os.path.exists(source):
            raise DatasetMissing(Path(source), lab)
    return replace(lab, dataset=replace(lab.dataset, location=source))


def read_json(path: Path, what: str, limit: int) -> Any:
    """The JSON in a file of ``what`` ("a lab", "a lesson"), at most ``limit`` bytes;
    ValueError says why not."""
    raw = read_bytes_or_explain(path, what, limit)
    try:
        return json.loads(raw.decode("utf-8-sig"), parse_constant=no_json_constants)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"not {what} file (not valid JSON: {exc})") from None


def no_json_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def file_version(d: Any, kind: str, noun: str, latest: int) -> int:
    """The format version of a latentlab file's JSON ``d`` of ``kind`` ("a lab": ``noun`` "lab");
    ValueError says why it cannot be read."""
    if not isinstance(d, dict) or d.get("kind") != kind:
        raise ValueError(f"not a latentlab {noun} file (no \"kind\": \"{kind}\")")
    version = d.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"its version is missing or invalid ({short_repr(version)})")
    if version > latest:
        raise ValueError(f"was written by a newer latentlab ({noun} format {version}; this one "
                         f"reads {latest}); update latentlab to open it")
    return version


def _parse(d: Any, folder: Path) -> Lab:
    """A Lab from the file's JSON, with every path made absolute against ``folder``."""
    try:
        version = file_version(d, LAB_KIND, "lab", LAB_VERSION)
    except ValueError as exc:
        raise LabFileError(str(exc)) from None
    return replace(lab_from_json(d, folder), version=version)


def lab_from_json(d: dict[str, Any], folder: Path) -> Lab:
    """A Lab from its fields' JSON (as ``lab_to_json`` writes them), every path made absolute
    against ``folder``; LabFileError says what is wrong."""
    dataset = d.get("dataset")
    if not isinstance(dataset, dict):
        raise LabFileError("'dataset' must be an object with a 'source'")
    source = dataset.get("source")
    if not isinstance(source, str) or not source or "\0" in source:
        raise LabFileError("'dataset.source' must be a path or a built-in dataset name")
    if not is_catalogue_name(source, folder):
        source = absolute_path(source, folder)
    options = dataset.get("options", {})
    if not isinstance(options, dict):
        raise LabFileError("'dataset.options' must be an object")
    unknown = sorted(set(options) - dataset_options())
    if unknown:
        raise LabFileError(f"'dataset.options' has unknown options: {', '.join(unknown)} "
                           f"(known: {', '.join(sorted(dataset_options()))})")
    for key, value in options.items():
        if not (value is None or isinstance(value, str | int | float | bool)):
            raise LabFileError(f"dataset option {key!r} must be a single value, not "
                               f"{type(value).__name__}")
    checkpoints = d.get("checkpoints", [])
    if not isinstance(checkpoints, list) or not all(
            isinstance(p, str) and p and "\0" not in p for p in checkpoints):
        raise LabFileError("'checkpoints' must be a list of paths")
    maps = d.get("maps", {})
    if not isinstance(maps, dict):
        raise LabFileError("'maps' must be an object")
    probes = d.get("probes", {})
    if not isinstance(probes, dict):
        raise LabFileError("'probes' must map map names to [x, y] positions")
    for name, xy in probes.items():
        if not (isinstance(xy, list) and len(xy) == 2 and all(_finite(v) for v in xy)):
            raise LabFileError(f"probe {short_repr(name)} must be [x, y], two finite numbers "
                               f"(got {short_repr(xy)})")
    try:
        data_source = DataSource.from_dict({**dataset, "source": source})
    except ValueError as exc:
        raise LabFileError(f"'dataset': {exc}") from None
    return Lab(
        dataset=data_source,
        checkpoints=[absolute_path(p, folder) for p in checkpoints],
        maps=maps,
        probes={name: [float(v) for v in xy] for name, xy in probes.items()},
    )


def absolute_path(p: str, folder: Path) -> str:
    return os.path.abspath(os.path.join(folder, os.path.expanduser(p)))


def short_repr(v: Any, limit: int = 60) -> str:
    text = repr(v)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _finite(v: Any) -> bool:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    return abs(v) < 10**300 if isinstance(v, int) else math.isfinite(v)


__all__ = [
    "LAB_KIND",
    "LAB_SUFFIX",
    "LAB_VERSION",
    "DatasetMissing",
    "Lab",
    "LabFileError",
    "dataset_options",
    "lab_from_json",
    "lab_to_json",
    "load_lab",
    "relocate_dataset",
    "save_lab",
]
