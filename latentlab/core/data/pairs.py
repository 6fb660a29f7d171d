"""Paired images, A → B, for pix2pix on a user's own pairs: a Dataset whose ``x`` holds the A
images and whose ``targets`` hold their B partners.

- A folder with subfolders ``A/`` and ``B/`` whose image files have matching names (relative
  paths, subfolders included): each side is read as an image folder is (``images``: same size
  and colour mode for both, bounded reads, regular files only). A name on one side only, a
  pair whose two images differ in size, and an image that cannot be read are skipped, all
  listed in ``Dataset.skipped`` as one summary; fewer than MIN_PAIRS pairs left is an error.
- A ``.npz`` with arrays ``A`` and ``B`` of the same shape (any image layout ``numpy_files``
  reads).

Pairs are only loaded when asked for (``load_source(..., pairs=True)``): an A/ and B/ folder
is otherwise an ordinary image folder of two classes.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from PIL import Image

from latentlab.core.data.arrays import Progress, check_cancel
from latentlab.core.data.dataset import Dataset, DatasetError, random_split
from latentlab.core.data.images import (
    IMAGE_SUFFIXES,
    ImageDecoder,
    check_image_options,
    decode_all,
    decode_failure,
    to_float_images,
)
from latentlab.core.data.layout import natural_key, scan_folder
from latentlab.core.data.numpy_files import inspect_npz, load_arrays, to_images
from latentlab.core.data.pixels import as_float
from latentlab.core.files.safe_io import check_budget, open_regular, printable

#: A train and a test pair at the least.
MIN_PAIRS = 2
SIDES = ("A", "B")
NO_PARTNER = "no partner of the same name in {other}/"


def _side_files(folder: Path, side: str,
                skipped: list[tuple[str, str]]) -> dict[str, Path]:
    """Relative name → file of one side's images; what its scan passed over goes to
    ``skipped``."""
    root = folder / side
    if not root.is_dir():
        raise DatasetError(f"{printable(str(folder))}: a folder of pairs holds subfolders A/ "
                           f"and B/ of images with matching names; {side}/ is missing.")
    layout = scan_folder(root, IMAGE_SUFFIXES, "image")
    skipped += [(f"{side}/{p.relative_to(root).as_posix()}", why) for p, why in layout.skipped]
    return {p.relative_to(root).as_posix(): p for p in layout.files}


def _pixel_size(path: Path) -> tuple[int, int]:
    """An image's width and height from its header alone (no decoding)."""
    with open_regular(path) as handle, Image.open(handle) as im:
        return im.size


def _same_sized(names: list[str], a: dict[str, Path], b: dict[str, Path],
                skipped: list[tuple[str, str]]) -> list[str]:
    """The names whose A and B images have the same size; the others go to ``skipped``."""
    kept = []
    for name in names:
        sizes = []
        for side, files in (("A", a), ("B", b)):
            try:
                sizes.append(_pixel_size(files[name]))
            except MemoryError:
                raise
            except Exception as exc:  # Pillow raises many types for damaged files
                skipped.append((f"{side}/{name}", decode_failure(exc, files[name])))
                break
        if len(sizes) < 2:
            continue
        size_a, size_b = sizes
        if size_a != size_b:
            skipped.append((f"A/{name}", f"{size_a[0]}×{size_a[1]}, but B/{name} is "
                                         f"{size_b[0]}×{size_b[1]}: a pair must be one size"))
        else:
            kept.append(name)
    return kept


def load_pair_folder(folder: str | Path, *, size: int = 28, mode: str = "auto",
                     name: str | None = None, test_fraction: float = 0.2, seed: int = 0,
                     progress: Progress | None = None, cancel: threading.Event | None = None,
                     workers: int | None = None) -> Dataset:
    """The pairs of ``folder``/A and ``folder``/B (module docstring), resized to
    ``size``×``size``, grey or RGB by ``mode`` as for an image folder."""
    check_image_options(mode, size)
    folder = Path(folder)
    check_cancel(cancel)
    skipped: list[tuple[str, str]] = []
    a_files, b_files = (_side_files(folder, side, skipped) for side in SIDES)
    for side, mine, other in (("A", a_files, b_files), ("B", b_files, a_files)):
        skipped += [(f"{side}/{n}", NO_PARTNER.format(other="B" if side == "A" else "A"))
                    for n in mine if n not in other]
    names = _same_sized(sorted(set(a_files) & set(b_files), key=natural_key), a_files,
                        b_files, skipped)
    check_budget(2 * len(names) * size * size * 3 * 5, folder.name,
                 f"{len(names):,} pairs of {size}×{size} images")
    decoders = []
    for side, files in zip(SIDES, (a_files, b_files), strict=True):
        decoder = ImageDecoder([files[n] for n in names], size, mode != "gray", threading.Event())
        decode_all(decoder, workers or min(4, os.cpu_count() or 1), progress, cancel)
        skipped += [(f"{side}/{names[i]}", why) for i, why in sorted(decoder.errors.items())]
        decoders.append(decoder)
    ok = decoders[0].ok & decoders[1].ok
    skipped.sort(key=lambda item: natural_key(item[0]))
    if ok.sum() < MIN_PAIRS:
        example = f" (e.g. {printable(skipped[0][0])}: {skipped[0][1]})" if skipped else ""
        raise DatasetError(f"{printable(str(folder))}: {int(ok.sum())} complete A/ and B/ "
                           f"pair(s), and pix2pix needs at least {MIN_PAIRS}{example}.")
    # One colour mode for both sides: RGB when either has colour, as one image folder would.
    grey = mode == "auto" and not any(d.has_colour[ok].any() for d in decoders)
    x, targets = (to_float_images(d.pixels[ok][..., 0] if grey else d.pixels[ok])
                  for d in decoders)
    return Dataset(name or folder.name, x, None, (), random_split(len(x), test_fraction, seed),
                   skipped=tuple(skipped), targets=targets)


def load_pair_numpy(path: str | Path, *, name: str | None = None, test_fraction: float = 0.2,
                    seed: int = 0) -> Dataset:
    """The pairs of a .npz's arrays ``A`` and ``B`` (the same shape, any image layout)."""
    path = Path(path)
    contents = inspect_npz(path)
    keys = {a.key for a in contents.arrays}
    if not set(SIDES) <= keys:
        raise DatasetError(f"{path.name}: pairs are read from two arrays named A and B; it "
                           f"holds {', '.join(sorted(keys, key=natural_key)) or 'none'}.")
    a, b = (contents.info(side) for side in SIDES)
    if a.shape != b.shape:
        raise DatasetError(f"{path.name}: A {a.shape} and B {b.shape} must have the same "
                           f"shape: one B image for each A image.")
    for info in (a, b):
        if not info.looks_like_images:
            raise DatasetError(f"{path.name}: {info.key} of shape {info.shape} and type "
                               f"{info.dtype} is not a stack of images.")
    arrays = load_arrays(path, contents, list(SIDES), 2)
    # Pairs stay float32: a pair's two sides are converted and compared together.
    x, targets = (as_float(to_images(part, path.name)) for part in (arrays[:1], arrays[1:]))
    if len(x) < MIN_PAIRS:
        raise DatasetError(f"{path.name}: {len(x)} pair(s), and pix2pix needs at least "
                           f"{MIN_PAIRS}.")
    return Dataset(name or path.stem, x, None, (), random_split(len(x), test_fraction, seed),
                   targets=targets)


def load_pairs(path: Path, options: dict[str, object]) -> Dataset:
    """The pairs at ``path``: a folder with A/ and B/, or a .npz; ``options`` are the
    image-folder ones (the others are ignored, as ``load_source`` does)."""
    common = {k: v for k, v in options.items() if k in ("name", "test_fraction", "seed")}
    if path.is_dir():
        extra = {k: v for k, v in options.items()
                 if k in ("size", "mode", "progress", "cancel", "workers")}
        return load_pair_folder(path, **common, **extra)  # type: ignore[arg-type]
    if path.suffix.lower() == ".npz":
        return load_pair_numpy(path, **common)  # type: ignore[arg-type]
    raise DatasetError(f"{printable(path.name)}: pairs are read from a folder with subfolders "
                       f"A/ and B/ of images, or from a .npz with arrays A and B.")


__all__ = ["MIN_PAIRS", "load_pair_folder", "load_pair_numpy", "load_pairs"]
