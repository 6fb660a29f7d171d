"""Folders of image files (PNG, JPEG, BMP, GIF, TIFF, WebP), labelled by their class subfolders.

Every image is converted to grey or RGB, with any transparency laid over black (MNIST-like
data draws light on dark), and resized to ``size``×``size`` (non-square images are stretched,
not cropped). Decoding runs on a thread pool: Pillow releases the GIL while it decodes, which
pays for large images; tiny ones cost about the same on one thread or several.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from latentlab.core.data.arrays import Progress, check_cancel
from latentlab.core.data.dataset import Dataset, DatasetError, LoadCancelled, random_split
from latentlab.core.data.layout import scan_folder
from latentlab.core.files.safe_io import check_budget, open_regular

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
                 stop: threading.Event) -> None:
        self.files = files
        self.size = size
        self.colour = colour
        self.stop = stop
        shape = (len(files), size, size, 3) if colour else (len(files), size, size)
        self.pixels = np.zeros(shape, dtype=np.uint8)
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
    """Images under ``folder`` (layout rules in ``latentlab.core.data.layout``) as a Dataset.

    ``mode``: "gray", "rgb", or "auto" (RGB when any image has colour). Damaged files are
    skipped and listed in ``Dataset.skipped``; ``progress(done, total)`` is called on this
    thread; setting ``cancel`` raises LoadCancelled. Without train/ and test/ folders a seeded
    ``test_fraction`` is held out.
    """
    check_image_options(mode, size)
    folder = Path(folder)
    check_cancel(cancel)
    layout = scan_folder(folder, IMAGE_SUFFIXES, "image")
    # The uint8 buffer and the float32 dataset made from it, in colour at worst.
    check_budget(len(layout.files) * size * size * 3 * 5, folder.name,
                 f"{len(layout.files):,} images of {size}×{size}")
    workers = workers or min(4, os.cpu_count() or 1)
    decoder = ImageDecoder(layout.files, size, mode != "gray", threading.Event())
    decode_all(decoder, workers, progress, cancel)

    def rel(path: Path) -> str:
        return path.relative_to(folder).as_posix()

    skipped = [(rel(layout.files[i]), reason) for i, reason in sorted(decoder.errors.items())]
    skipped += [(rel(p), reason) for p, reason in layout.skipped]
    ok = decoder.ok
    if not ok.any():
        example = f" (e.g. {skipped[0][0]}: {skipped[0][1]})" if skipped else ""
        raise DatasetError(
            f"{folder}: none of its {len(layout.files):,} image files could be read{example}."
        )
    pixels = decoder.pixels[ok] if not ok.all() else decoder.pixels
    if mode == "auto" and not decoder.has_colour[ok].any():
        pixels = pixels[..., 0]
    x = to_float_images(pixels)
    labels = layout.labels[ok] if layout.labels is not None else None
    is_test = (layout.is_test[ok] if layout.is_test is not None
               else random_split(len(x), test_fraction, seed))
    return Dataset(name or folder.name, x, labels, layout.class_names, is_test,
                   skipped=tuple(skipped))
