"""Folders of image files (PNG, JPEG, BMP, GIF, TIFF, WebP), labelled by their class subfolders.

Every image is converted to grey or RGB, with any transparency laid over black (MNIST-like
data draws light on dark), and resized to ``size``×``size`` (non-square images are stretched,
not cropped). Decoding runs on a thread pool: Pillow releases the GIL while it decodes, which
pays for large images; tiny ones cost about the same on one thread or several.
"""

from __future__ import annotations

import os
import shutil
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from latentlab.core.data.arrays import Progress, check_cancel
from latentlab.core.data.dataset import Dataset, DatasetError, LoadCancelled, random_split
from latentlab.core.data.image_cache import (
    CachedImages,
    EntryWriter,
    cache_root,
    evict,
    folder_key,
    open_entry,
)
from latentlab.core.data.layout import scan_folder
from latentlab.core.files.safe_io import open_regular, size_text

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
MODES = ("auto", "gray", "rgb")
# A grey photograph saved as JPEG in RGB carries a little chroma noise: not colour.
_GREY_TOLERANCE = 3
_CHUNK = 128
#: Images above this many pixels are skipped (a 16-bit PNG of 13,000² pixels is 330 KB on
#: disk and gigabytes decoded). 64 megapixels is an 8,000×8,000 scan.
MAX_IMAGE_PIXELS = 64_000_000
_LARGE_IMAGE_PIXELS = 4_000_000
_ONE_LARGE_IMAGE = threading.Lock()
# Pillow warns of images between its own limit and twice it; ours is lower and is reported
# as a skipped file with the reason, so its warning would only repeat that, less clearly.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


def _to_l_or_rgb(im: Image.Image, sixteen_bit: bool = False) -> Image.Image:
    """The image in mode "L" or "RGB": 16-bit and float scaled to 8 bits, alpha over black.

    ``sixteen_bit``: the "I" image holds 16-bit values (widened to be resized).
    """
    mode = im.mode
    if mode in ("L", "RGB"):
        return im
    if mode == "1":
        return im.convert("L")
    if mode.startswith("I") or mode == "F":
        a = np.asarray(im, dtype=np.float64)
        lo, hi = float(a.min()), float(a.max())
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ValueError("the pixel values include NaN or infinite numbers")
        if mode.startswith("I;16") or sixteen_bit:
            a = a / 257.0
        elif lo < 0 or hi > 255:
            a = (a - lo) * (255.0 / max(hi - lo, 1e-12))
        return Image.fromarray(np.rint(a).clip(0, 255).astype(np.uint8), "L")
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif mode in ("LA", "La", "PA"):
        im = im.convert("RGBA")
    elif mode not in ("RGBA", "RGBa"):
        im = im.convert("RGB")
    if im.mode in ("RGBA", "RGBa"):
        a = np.asarray(im.convert("RGBA"), dtype=np.uint16)
        rgb = (a[..., :3] * a[..., 3:] + 127) // 255
        return Image.fromarray(rgb.astype(np.uint8), "RGB")
    return im


def decode_image(path: Path, size: int, colour: bool) -> tuple[np.ndarray, bool]:
    """One image as size×size (grey) or size×size×3 (``colour``) uint8, and whether it has colour.

    Raises ValueError for an image over the pixel limit, OSError for a file that is not a
    regular file, and whatever Pillow raises for a file it cannot read.
    """
    with open_regular(path) as handle, Image.open(handle) as im:
        # JPEG decodes at a reduced scale that still covers the target size: much faster.
        im.draft("RGB" if colour else "L", (size, size))
        pixels = im.width * im.height
        if pixels > MAX_IMAGE_PIXELS:
            raise ValueError(f"{im.width:,}×{im.height:,} pixels, over the limit of "
                             f"{MAX_IMAGE_PIXELS / 1e6:.0f} megapixels for one image")
        if pixels <= _LARGE_IMAGE_PIXELS:
            return _decode(im, size, colour)
        with _ONE_LARGE_IMAGE:  # so that memory holds one large image, not one per worker
            return _decode(im, size, colour)


def _decode(im: Image.Image, size: int, colour: bool) -> tuple[np.ndarray, bool]:
    if im.format == "JPEG":  # cameras record their orientation instead of rotating pixels
        im = ImageOps.exif_transpose(im)
    # Resize first and convert the small result: conversions at full size cost several
    # copies of a large image. Pillow resamples neither 16-bit nor palette images.
    sixteen_bit = im.mode.startswith("I;16")
    if sixteen_bit:
        im = im.convert("I")
    elif im.mode in ("P", "PA", "1"):
        im = im.convert("L" if im.mode == "1" else "RGBA" if im.mode == "PA"
                        or "transparency" in im.info else "RGB")
    if im.size != (size, size):
        im = im.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    im = _to_l_or_rgb(im, sixteen_bit)
    if im.mode == "L":
        grey = np.asarray(im)
        return (np.repeat(grey[..., None], 3, axis=2) if colour else grey), False
    rgb = np.asarray(im)
    spread = rgb.max(axis=2).astype(np.int16) - rgb.min(axis=2)
    has_colour = bool(spread.max() > _GREY_TOLERANCE)
    return (rgb if colour else np.asarray(im.convert("L"))), has_colour


def decode_failure(exc: BaseException, path: Path) -> str:
    if isinstance(exc, UnidentifiedImageError):
        return "not a readable image"
    text = str(exc).replace(str(path), path.name).strip()
    return text or type(exc).__name__


class ImageDecoder:
    """Decodes chunks of files into a shared buffer (each worker writes its own rows)."""

    def __init__(self, files: Sequence[Path], size: int, colour: bool,
                 stop: threading.Event,
                 buffer: Callable[[tuple[int, ...]], np.ndarray] | None = None) -> None:
        self.files = files
        self.size = size
        self.colour = colour
        self.stop = stop
        shape = (len(files), size, size, 3) if colour else (len(files), size, size)
        # ``buffer`` may put the pixels on disk (the image cache's scratch file).
        self.pixels = np.zeros(shape, dtype=np.uint8) if buffer is None else buffer(shape)
        self.ok = np.zeros(len(files), dtype=bool)
        self.has_colour = np.zeros(len(files), dtype=bool)
        self.errors: dict[int, str] = {}

    def run(self, start: int, stop: int) -> int:
        for i in range(start, stop):
            if self.stop.is_set():
                break
            path = self.files[i]
            try:
                self.pixels[i], self.has_colour[i] = decode_image(path, self.size, self.colour)
            except MemoryError:
                raise
            except Exception as exc:  # Pillow raises many types for damaged files: skip it.
                self.errors[i] = decode_failure(exc, path)
            else:
                self.ok[i] = True
        return stop - start


def decode_all(decoder: ImageDecoder, workers: int, progress: Progress | None,
                cancel: threading.Event | None) -> None:
    total = len(decoder.files)
    if progress is not None:
        progress(0, total)
    done = 0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="image-load") as pool:
        pending: set[Future[int]] = {
            pool.submit(decoder.run, start, min(start + _CHUNK, total))
            for start in range(0, total, _CHUNK)
        }
        try:
            while pending:
                finished, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                for future in finished:
                    done += future.result()
                if cancel is not None and cancel.is_set():
                    raise LoadCancelled("The load was cancelled.")
                if finished and progress is not None:
                    progress(done, total)
        except BaseException:
            decoder.stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def to_float_images(pixels: np.ndarray) -> np.ndarray:
    """N×H×W (grey) or N×H×W×3 uint8 pixels as N×C×H×W float32 in [0, 1]: one float32
    allocation, filled straight from the uint8 buffer."""
    if pixels.ndim == 4:
        x = np.empty((len(pixels), 3, *pixels.shape[1:3]), dtype=np.float32)
        x[...] = pixels.transpose(0, 3, 1, 2)
    else:
        x = np.empty((len(pixels), 1, *pixels.shape[1:3]), dtype=np.float32)
        x[:, 0] = pixels
    np.divide(x, np.float32(255), out=x)
    return x


def check_image_options(mode: str, size: int) -> None:
    """ValueError for a colour mode or an image size no image loader takes."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}.")
    if not 1 <= size <= 1024:
        raise ValueError(f"size must lie in 1…1024, not {size}.")


def load_image_folder(folder: str | Path, *, size: int = 28, mode: str = "auto",
                      name: str | None = None, test_fraction: float = 0.2, seed: int = 0,
                      progress: Progress | None = None, cancel: threading.Event | None = None,
                      workers: int | None = None) -> Dataset:
    """Images under ``folder`` (layout rules in ``latentlab.core.data.layout``) as a Dataset
    of uint8 pixels, memory-mapped from the image cache (``core.data.image_cache``): decoded
    the first time, and again only when a file changed.

    ``mode``: "gray", "rgb", or "auto" (RGB when any image has colour). Damaged files are
    skipped and listed in ``Dataset.skipped``; ``progress(done, total)`` is called on this
    thread; setting ``cancel`` raises LoadCancelled. Without train/ and test/ folders a seeded
    ``test_fraction`` is held out.
    """
    check_image_options(mode, size)
    folder = Path(folder)
    check_cancel(cancel)
    layout = scan_folder(folder, IMAGE_SUFFIXES, "image")
    root = cache_root()
    entry = root / folder_key(folder, layout.files, size, mode)
    cached = open_entry(entry, len(layout.files))
    if cached is None:
        cached = _decode_into_cache(folder, layout.files, size, mode, root, entry.name,
                                    progress, cancel, workers)
    elif progress is not None:
        progress(len(layout.files), len(layout.files))

    def rel(path: Path) -> str:
        return path.relative_to(folder).as_posix()

    skipped = [(rel(layout.files[i]), reason) for i, reason in sorted(cached.errors.items())]
    skipped += [(rel(p), reason) for p, reason in layout.skipped]
    ok = np.ones(len(layout.files), dtype=bool)
    ok[list(cached.errors)] = False
    x = cached.pixels
    labels = layout.labels[ok] if layout.labels is not None else None
    is_test = (layout.is_test[ok] if layout.is_test is not None
               else random_split(len(x), test_fraction, seed))
    return Dataset(name or folder.name, x, labels, layout.class_names, is_test,
                   skipped=tuple(skipped))


def _decode_into_cache(folder: Path, files: Sequence[Path], size: int, mode: str, root: Path,
                       key: str, progress: Progress | None, cancel: threading.Event | None,
                       workers: int | None) -> CachedImages:
    """Decode ``files`` into a new cache entry; nothing is left of it on any failure."""
    channels = 1 if mode == "gray" else 3
    needed = 2 * len(files) * size * size * channels  # the scratch file and the entry
    writer = EntryWriter(root, key)
    try:
        free = shutil.disk_usage(writer.folder).free
        if needed > free:
            raise DatasetError(f"{folder}: {len(files):,} images of {size}×{size} need "
                               f"{size_text(needed)} in the image cache ({root}), which has "
                               f"{size_text(free)} free.")
        decoder = ImageDecoder(files, size, mode != "gray", threading.Event(), writer.buffer)
        decode_all(decoder, workers or min(4, os.cpu_count() or 1), progress, cancel)
        rows = np.flatnonzero(decoder.ok)
        if not len(rows):
            example = next(iter(sorted(decoder.errors.items())), None)
            detail = (f" (e.g. {files[example[0]].relative_to(folder).as_posix()}: "
                      f"{example[1]})" if example else "")
            raise DatasetError(
                f"{folder}: none of its {len(files):,} image files could be read{detail}.")
        grey = mode == "gray" or (mode == "auto" and not decoder.has_colour[rows].any())
        shape = (len(rows), 1 if grey else 3, size, size)
        entry = writer.commit(_channels_first(decoder.pixels, rows, grey, cancel), shape,
                              decoder.errors)
    except BaseException:
        writer.discard()
        raise
    evict(root, keep=entry)
    cached = open_entry(entry, len(files), verify=False)  # its CRC was taken as it was written
    if cached is None:
        raise DatasetError(f"{folder}: the decoded images could not be kept in the image "
                           f"cache ({root}).")
    return cached


def _channels_first(pixels: np.ndarray, rows: np.ndarray, grey: bool,
                    cancel: threading.Event | None) -> Iterator[np.ndarray]:
    """The decoded ``rows`` as N×C×H×W uint8, a few thousand at a time."""
    for start in range(0, len(rows), 4096):
        check_cancel(cancel)
        part = pixels[rows[start : start + 4096]]
        if part.ndim == 3:
            yield part[:, None]
        elif grey:
            yield part[:, None, :, :, 0]
        else:
            yield part.transpose(0, 3, 1, 2)
