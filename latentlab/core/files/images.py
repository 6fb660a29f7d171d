"""Image grids, PNG export and animated GIFs of paths, shared by the GUI's panels and the
command line."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np

from latentlab.core.maps.interpolation import forth_and_back


def tile_images(images: np.ndarray, rows: int, cols: int, pad: int = 1,
                background: float = 1.0) -> np.ndarray:
    """N×C×H×W images (N ≤ rows·cols, row-major) → one C×H'×W' grid with ``pad`` pixel gaps."""
    n, c, h, w = images.shape
    if n > rows * cols:
        raise ValueError(f"{n} images do not fit a {rows}×{cols} grid.")
    grid = np.full((c, rows * (h + pad) - pad, cols * (w + pad) - pad), background, np.float32)
    for i in range(n):
        r, k = divmod(i, cols)
        grid[:, r * (h + pad) : r * (h + pad) + h, k * (w + pad) : k * (w + pad) + w] = images[i]
    return grid


def to_uint8(image: np.ndarray) -> np.ndarray:
    """C×H×W floats in [0, 1] → H×W (grey) or H×W×3 uint8."""
    arr = (np.clip(np.nan_to_num(image), 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
    return arr[0] if arr.shape[0] == 1 else arr[:3].transpose(1, 2, 0)


def save_png(image: np.ndarray, path: str | Path | BinaryIO, scale: int = 1
             ) -> Path | BinaryIO:
    """Write a C×H×W image in [0, 1] as PNG (to a path or an open binary file), optionally
    enlarged with crisp pixels."""
    from PIL import Image  # only when exporting

    path = Path(path) if isinstance(path, str) else path
    picture = Image.fromarray(to_uint8(image))
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale),
                                 Image.Resampling.NEAREST)
    try:
        picture.save(path, format="PNG")
    except OSError as exc:
        raise OSError(f"{path}: cannot be written ({exc.strerror or exc}).") from None
    return path


#: Exports are enlarged so that small digits stay visible: at least this many pixels high.
EXPORT_MIN_PX = 128
GIF_FRAME_MS = 120
GIF_BAR_PX = 4


def export_scale(height: int) -> int:
    """How many times to enlarge an exported picture ``height`` pixels high."""
    return max(1, -(-EXPORT_MIN_PX // max(1, height)))


def save_path_gif(images: np.ndarray, target: str | Path, frame_ms: int = GIF_FRAME_MS) -> Path:
    """An animated GIF along a path of decoded images (rows × steps × C×H×W), forth and back,
    looping for ever; each frame shows every row's image at that step. A bar along the bottom
    shows how far along the path each frame is (it also keeps two alike frames from being
    merged)."""
    from PIL import Image, ImageDraw

    rows, n = images.shape[:2]
    h = images.shape[-2]
    scale = export_scale(h)
    frames = []
    for i in forth_and_back(n):
        picture = Image.fromarray(to_uint8(tile_images(images[:, i], 1, rows, pad=1)))
        picture = picture.convert("RGB").resize((picture.width * scale, picture.height * scale),
                                                Image.Resampling.NEAREST)
        frame = Image.new("RGB", (picture.width, picture.height + GIF_BAR_PX), (255, 255, 255))
        frame.paste(picture, (0, 0))
        end = round(i / (n - 1) * (frame.width - 1))
        ImageDraw.Draw(frame).rectangle((0, picture.height + 1, end, frame.height - 1),
                                        fill=(70, 130, 220))
        frames.append(frame)
    target = Path(target)
    try:
        frames[0].save(target, format="GIF", save_all=True, append_images=frames[1:],
                       duration=frame_ms, loop=0, disposal=1)
    except OSError as exc:
        raise OSError(f"{target}: cannot be written ({exc.strerror or exc}).") from None
    return target
