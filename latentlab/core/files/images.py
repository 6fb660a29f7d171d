"""Image grids and PNG export, shared by the GUI's panels and the command line."""

from __future__ import annotations

from pathlib import Path

import numpy as np


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


def save_png(image: np.ndarray, path: str | Path, scale: int = 1) -> Path:
    """Write a C×H×W image in [0, 1] as PNG, optionally enlarged with crisp pixels."""
    from PIL import Image  # only when exporting

    path = Path(path)
    picture = Image.fromarray(to_uint8(image))
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale),
                                 Image.Resampling.NEAREST)
    try:
        picture.save(path, format="PNG")
    except OSError as exc:
        raise OSError(f"{path}: cannot be written ({exc.strerror or exc}).") from None
    return path
