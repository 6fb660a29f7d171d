"""Embeddings out of the app: a CSV table, or the files TensorFlow's Embedding Projector opens.

Both hold one row per item (the train split, the test split, or both) with its codes and the
metadata that identifies it (index in the dataset, split, label; for an InfoGAN Q's category; for
text the document's first words).

The projector format (https://projector.tensorflow.org, or TensorBoard's Projector tab):

- ``tensors.tsv``: one row per item, the codes separated by tabs, no header;
- ``metadata.tsv``: one row per item; with more than one column a header row names them (the
  projector reads a first line without a tab as a label, not as a header);
- ``sprite.png`` (images only): the items' thumbnails tiled row-major in a square grid of
  ⌈√N⌉ × ⌈√N⌉ cells, first item top left, at most 8192 × 8192 pixels (the projector refuses
  larger sprites; thumbnails shrink to fit);
- ``projector_config.pbtxt``: the ``ProjectorConfig`` protocol buffer as text, which
  TensorBoard reads from its log folder, and ``projector_config.json``, the same in the JSON form
  the standalone projector loads through ``?config=URL`` (paths relative to the folder).

Every file is written to a temporary name beside it and renamed into place, so an interrupted
export never leaves a half-written file under the final name.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentlab.core.data.dataset import Dataset
from latentlab.core.evaluation.model import fit_latent_map, model_codes
from latentlab.core.files.atomic import write_atomic, write_atomic_with
from latentlab.core.files.images import save_png, tile_images
from latentlab.core.models.base import LatentModel

FORMATS = ("csv", "projector")
SPLITS = ("all", "train", "test")
MAX_SPRITE_PX = 8192
CSV_FILE = "embeddings.csv"
TENSORS_FILE = "tensors.tsv"
METADATA_FILE = "metadata.tsv"
SPRITE_FILE = "sprite.png"
PBTXT_FILE = "projector_config.pbtxt"
JSON_FILE = "projector_config.json"
#: Characters of a document kept as its text column.
SNIPPET_CHARS = 80


class ExportError(ValueError):
    """The export cannot be made (say, a GAN with no encoder); the message says why."""


def output_files(fmt: str, data: Dataset) -> tuple[str, ...]:
    """The file names an export in ``fmt`` writes for ``data`` (to check before writing)."""
    if fmt == "csv":
        return (CSV_FILE,)
    if fmt == "projector":
        sprite = (SPRITE_FILE,) if data.kind == "image" else ()
        return (TENSORS_FILE, METADATA_FILE, *sprite, PBTXT_FILE, JSON_FILE)
    raise ValueError(f"Unknown export format {fmt!r}; known: {', '.join(FORMATS)}.")


@dataclass(frozen=True)
class Embeddings:
    """Codes of some of a dataset's items, with the metadata columns that identify them."""

    indices: np.ndarray  # into the dataset
    codes: np.ndarray  # N×d
    map_xy: np.ndarray  # N×2: the 2-D map the GUI shows (the codes, or the PCA of the codes)
    columns: dict[str, list[str]]  # metadata, in order


def _split_indices(data: Dataset, split: str) -> np.ndarray:
    if split == "all":
        return np.arange(data.n)
    if split == "train":
        return data.train_indices
    if split == "test":
        return data.test_indices
    raise ValueError(f"Unknown split {split!r}; known: {', '.join(SPLITS)}.")


def _clean(text: str) -> str:
    """One TSV cell: no tabs or line breaks, never empty (the projector reads '' as missing)."""
    return " ".join(text.split()) or "-"


def compute_embeddings(model: LatentModel, data: Dataset, split: str = "all") -> Embeddings:
    """Codes and metadata for ``split``; raises ExportError for a model without an encoder."""
    if not model.has_encoder:
        raise ExportError("a plain GAN has no encoder: real items have no codes to export "
                          "(an InfoGAN's Q head does).")
    indices = _split_indices(data, split)
    if len(indices) == 0:
        raise ExportError(f"{data.name}: the {split} split is empty.")
    codes, categories = model_codes(model, data, indices)
    train_codes = (codes[np.isin(indices, data.train_indices)] if split == "all"
                   else model_codes(model, data, data.train_indices)[0])
    latent_map = fit_latent_map(model, train_codes if len(train_codes) >= 2 else codes)
    columns: dict[str, list[str]] = {
        "index": [str(i) for i in indices],
        "split": ["test" if data.is_test[i] else "train" for i in indices],
    }
    if data.labels is not None:
        columns["label"] = [_clean(data.class_names[data.labels[i]]) for i in indices]
    if categories is not None:
        columns["q_category"] = [str(int(c)) for c in categories]
    if data.documents is not None:
        columns["text"] = [_clean(data.documents[i][: SNIPPET_CHARS * 2])[:SNIPPET_CHARS]
                           for i in indices]
    return Embeddings(indices, codes.astype(np.float32), latent_map.transform(codes), columns)


# ------------------------------------------------------------------------------ writing files
def _write_text(path: Path, text: str) -> Path:
    return write_atomic(path, text.encode("utf-8"))


def _format_float(value: float) -> str:
    return f"{value:.6g}"


def write_csv(emb: Embeddings, path: Path) -> Path:
    """index, split, label…, z1…zd, map_x, map_y, one row per item."""
    dims = emb.codes.shape[1]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    meta = list(emb.columns)
    writer.writerow([*meta, *(f"z{j + 1}" for j in range(dims)), "map_x", "map_y"])
    for row in range(len(emb.indices)):
        writer.writerow([*(emb.columns[c][row] for c in meta),
                         *map(_format_float, emb.codes[row]), *map(_format_float, emb.map_xy[row])])
    return _write_text(path, buffer.getvalue())


def tensors_tsv(codes: np.ndarray) -> str:
    """Rows of tab-separated numbers, no header. The projector needs at least two dimensions,
    so a 1-D code gets a zero second column."""
    if codes.shape[1] == 1:
        codes = np.hstack([codes, np.zeros_like(codes)])
    return "".join("\t".join(map(_format_float, row)) + "\n" for row in codes)


def metadata_tsv(columns: dict[str, list[str]]) -> str:
    """One row per item; a header row only with more than one column (the projector's rule)."""
    names = list(columns)
    rows = zip(*(columns[name] for name in names), strict=True)
    lines = ["\t".join(map(_clean, row)) for row in rows]
    if len(names) > 1:
        lines.insert(0, "\t".join(names))
    return "".join(line + "\n" for line in lines)


def sprite_layout(n: int, height: int, width: int,
                  max_px: int = MAX_SPRITE_PX) -> tuple[int, int, int]:
    """(cells per side, thumbnail height, thumbnail width) for ``n`` items: a square grid of
    ⌈√n⌉ cells per side, the thumbnails shrunk (keeping their aspect) to fit ``max_px``."""
    side = max(1, math.ceil(math.sqrt(n)))
    scale = min(1.0, max_px / (side * height), max_px / (side * width))
    thumb_h, thumb_w = max(1, int(height * scale)), max(1, int(width * scale))
    if side * max(thumb_h, thumb_w) > max_px:
        raise ExportError(f"{n:,} items do not fit a {max_px}×{max_px} sprite even at one pixel "
                          "each; export fewer (--split, or a smaller dataset).")
    return side, thumb_h, thumb_w


def make_sprite(images: np.ndarray, max_px: int = MAX_SPRITE_PX) -> tuple[np.ndarray, int, int]:
    """N×C×H×W images in [0, 1] → (C×S×S sprite, thumbnail width, thumbnail height)."""
    import torch
    import torch.nn.functional as F

    n, _, h, w = images.shape
    side, thumb_h, thumb_w = sprite_layout(n, h, w, max_px)
    if (thumb_h, thumb_w) != (h, w):
        thumbs = torch.from_numpy(np.ascontiguousarray(images))
        images = F.interpolate(thumbs, size=(thumb_h, thumb_w), mode="area").numpy()
    sprite = tile_images(images, side, side, pad=0, background=0.0)
    return sprite, thumb_w, thumb_h


def projector_config(n: int, dims: int, tensor_name: str, sprite: tuple[int, int] | None
                     ) -> tuple[str, str]:
    """(pbtxt, json) configs naming the files; ``sprite`` is (thumb width, thumb height)."""
    name = tensor_name.replace("\\", "\\\\").replace('"', '\\"')
    lines = ["embeddings {", f'  tensor_name: "{name}"', f"  tensor_shape: {n}",
             f"  tensor_shape: {dims}", f'  tensor_path: "{TENSORS_FILE}"',
             f'  metadata_path: "{METADATA_FILE}"']
    info: dict[str, object] = {"tensorName": tensor_name, "tensorShape": [n, dims],
                               "tensorPath": TENSORS_FILE, "metadataPath": METADATA_FILE}
    if sprite is not None:
        lines += ["  sprite {", f'    image_path: "{SPRITE_FILE}"',
                  f"    single_image_dim: {sprite[0]}", f"    single_image_dim: {sprite[1]}",
                  "  }"]
        info["sprite"] = {"imagePath": SPRITE_FILE, "singleImageDim": list(sprite)}
    lines.append("}")
    return "\n".join(lines) + "\n", json.dumps({"embeddings": [info]}, indent=2) + "\n"


def export_csv(model: LatentModel, data: Dataset, out_dir: str | Path,
               split: str = "all") -> list[Path]:
    emb = compute_embeddings(model, data, split)
    return [write_csv(emb, Path(out_dir) / CSV_FILE)]


def export_projector(model: LatentModel, data: Dataset, out_dir: str | Path, split: str = "all",
                     tensor_name: str | None = None) -> list[Path]:
    """Write the projector's files (module docstring) into ``out_dir``; returns their paths."""
    out = Path(out_dir)
    emb = compute_embeddings(model, data, split)
    sprite = None
    if data.kind == "image":  # build the sprite first: it is the step that can refuse
        sprite = make_sprite(data.images(emb.indices))
    dims = max(2, emb.codes.shape[1])
    pbtxt, config_json = projector_config(
        len(emb.indices), dims, tensor_name or f"{model.cfg.family} codes of {data.name}",
        None if sprite is None else (sprite[1], sprite[2]))
    written = [_write_text(out / TENSORS_FILE, tensors_tsv(emb.codes)),
               _write_text(out / METADATA_FILE, metadata_tsv(emb.columns))]
    if sprite is not None:
        written.append(write_atomic_with(out / SPRITE_FILE, lambda h: save_png(sprite[0], h)))
    written += [_write_text(out / PBTXT_FILE, pbtxt), _write_text(out / JSON_FILE, config_json)]
    return written


def export(model: LatentModel, data: Dataset, fmt: str, out_dir: str | Path,
           split: str = "all") -> list[Path]:
    if fmt == "csv":
        return export_csv(model, data, out_dir, split)
    if fmt == "projector":
        return export_projector(model, data, out_dir, split)
    raise ValueError(f"Unknown export format {fmt!r}; known: {', '.join(FORMATS)}.")


__all__ = [
    "FORMATS",
    "MAX_SPRITE_PX",
    "SPLITS",
    "Embeddings",
    "ExportError",
    "compute_embeddings",
    "export",
    "export_csv",
    "export_projector",
    "make_sprite",
    "metadata_tsv",
    "output_files",
    "projector_config",
    "sprite_layout",
    "tensors_tsv",
]
