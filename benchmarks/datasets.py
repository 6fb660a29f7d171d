"""Figures for the dataset loaders, printed as JSON (not timed assertions).

    python benchmarks/datasets.py [--data DIR] [--idx-images N] [--png-images N] [--repeats N]
        [--million-images N] [--cache-images N] [--only idx|png|csv|million|cache ...]

- idx: the MNIST sample tiled into an N-image (default 70,000) gzipped IDX set; load_idx_folder
  wall time (median of the repeats) and its tracemalloc peak beside the raw float32 size.
- png: N (default 10,000) 28×28 PNGs in class subfolders; load_image_folder images/s, with the
  default thread pool and with one thread.
- csv: the same images as a 10,000-row Kaggle-layout CSV; load_pixel_csv wall time.
- million: N (default 1,000,000) 28×28 images as a gzipped IDX set (the sample tiled, each
  copy shifted by a pixel or two), loaded with load_source and mapped with prepare_data (the
  app's own load job) in a fresh process: its peak RSS beside the float32 size.
- cache: N (default 100,000) 28×28 PNGs; the first open (decoded into the image cache) and
  reopening (memory-mapped from the cache), in a fresh cache folder.

Uses ../shared/data/mnist-5k when present (the MNIST sample), else the embedded 8×8 digits
scaled up to 28×28, so it runs anywhere.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import statistics
import struct
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from latentlab.core.data import (
    load_builtin,
    load_idx_folder,
    load_image_folder,
    load_pixel_csv,
    read_idx,
)

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-5k"


def sample_digits(folder: Path) -> tuple[np.ndarray, np.ndarray, str]:
    """uint8 N×28×28 images and their labels: the MNIST sample, or the scaled-up digits."""
    images = folder / "train-images-idx3-ubyte.gz"
    if images.is_file():
        x = read_idx(images).astype(np.uint8)
        y = read_idx(folder / "train-labels-idx1-ubyte.gz").astype(np.int64)
        return x, y, str(folder)
    digits = load_builtin("digits")
    x = np.stack([np.asarray(Image.fromarray((img[0] * 255).astype(np.uint8)).resize((28, 28)))
                  for img in digits.x])
    return x, digits.labels, "embedded digits scaled to 28×28"


def idx_file(array: np.ndarray) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.tobytes(), compresslevel=6)


def median_seconds(run: Callable[[], object], repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), [round(t, 3) for t in times]


def bench_idx(x: np.ndarray, y: np.ndarray, n: int, repeats: int, tmp: Path) -> dict:
    folder = tmp / "idx"
    folder.mkdir()
    tiled, labels = np.resize(x, (n, 28, 28)), np.resize(y, n).astype(np.uint8)
    n_test = min(10_000, n // 7)
    for prefix, part in (("train", slice(0, n - n_test)), ("t10k", slice(n - n_test, n))):
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(idx_file(tiled[part]))
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(idx_file(labels[part]))
    gz_bytes = sum(p.stat().st_size for p in folder.iterdir())
    load_idx_folder(folder)  # warm the page cache and the imports
    median, times = median_seconds(lambda: load_idx_folder(folder), repeats)
    tracemalloc.start()
    data = load_idx_folder(folder)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    raw_float32 = n * 28 * 28 * 4
    return {"images": data.n, "gzip_bytes": gz_bytes, "seconds_median": round(median, 3),
            "seconds": times, "peak_bytes": peak, "raw_float32_bytes": raw_float32,
            "peak_over_raw": round(peak / raw_float32, 3)}


def bench_png(x: np.ndarray, y: np.ndarray, n: int, repeats: int, tmp: Path) -> dict:
    folder = tmp / "png"
    tiled, labels = np.resize(x, (n, 28, 28)), np.resize(y, n)
    for label in np.unique(labels):
        (folder / str(label)).mkdir(parents=True)
    for i, (image, label) in enumerate(zip(tiled, labels, strict=True)):
        Image.fromarray(image).save(folder / str(label) / f"{i:05d}.png")
    load_image_folder(folder, workers=1)  # warm the page cache
    report: dict = {"images": n}
    for label, workers in (("pool", None), ("one_thread", 1)):
        median, times = median_seconds(lambda w=workers: load_image_folder(folder, workers=w),
                                       repeats)
        report[label] = {"seconds_median": round(median, 3), "seconds": times,
                         "images_per_s": round(n / median)}
    return report


def bench_csv(x: np.ndarray, y: np.ndarray, n: int, repeats: int, tmp: Path) -> dict:
    path = tmp / "pixels.csv"
    tiled, labels = np.resize(x, (n, 28 * 28)), np.resize(y, n)
    lines = ["label," + ",".join(f"pixel{i}" for i in range(784))]
    lines += [f"{lab}," + ",".join(map(str, row)) for lab, row in
              zip(labels.tolist(), tiled.tolist(), strict=True)]
    path.write_text("\n".join(lines) + "\n")
    median, times = median_seconds(lambda: load_pixel_csv(path), repeats)
    return {"rows": n, "bytes": path.stat().st_size, "seconds_median": round(median, 3),
            "seconds": times}


_MILLION_CHILD = """
import json, resource, sys, time
from latentlab.core.data import load_source
from latentlab.lab.data_session import prepare_data
def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
before = rss()
start = time.perf_counter()
data = load_source(sys.argv[1])
loaded = time.perf_counter()
prepared = prepare_data(data)
done = time.perf_counter()
print(json.dumps({"images": data.n, "dtype": str(data.x.dtype), "load_s": loaded - start,
                  "prepare_s": done - loaded, "rss_after_imports": before, "peak_rss": rss(),
                  "map_points": len(prepared.map_indices)}))
"""


def write_tiled_idx(path: Path, x: np.ndarray, n: int, chunk: int = 50_000) -> None:
    """N images of the sample, copy k rolled by (k mod 3, k // 3 mod 3) pixels, streamed."""
    with gzip.open(path, "wb", compresslevel=1) as handle:
        handle.write(struct.pack(">BBBB3I", 0, 0, 0x08, 3, n, 28, 28))
        for start in range(0, n, chunk):
            rows = np.arange(start, min(start + chunk, n))
            copy = rows // len(x)
            part = x[rows % len(x)]
            for k in np.unique(copy):
                mine = copy == k
                part[mine] = np.roll(part[mine], (int(k % 3), int(k // 3 % 3)), axis=(1, 2))
            handle.write(part.tobytes())


def bench_million(x: np.ndarray, y: np.ndarray, n: int, tmp: Path) -> dict:
    import subprocess
    import sys

    folder = tmp / "million"
    folder.mkdir()
    n_test = 10_000
    write_tiled_idx(folder / "train-images-idx3-ubyte.gz", x, n - n_test)
    write_tiled_idx(folder / "t10k-images-idx3-ubyte.gz", x[::-1].copy(), n_test)
    for prefix, count in (("train", n - n_test), ("t10k", n_test)):
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(
            idx_file(np.resize(y, count).astype(np.uint8)))
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", _MILLION_CHILD, str(folder)], cwd=root,
                         capture_output=True, text=True, check=True)
    figures = json.loads(out.stdout)
    mb = 1 << 20
    return {"images": figures["images"], "dtype": figures["dtype"],
            "gzip_bytes": sum(p.stat().st_size for p in folder.iterdir()),
            "load_s": round(figures["load_s"], 2), "prepare_s": round(figures["prepare_s"], 2),
            "rss_after_imports_mb": round(figures["rss_after_imports"] / mb),
            "peak_rss_mb": round(figures["peak_rss"] / mb),
            "uint8_pixels_mb": round(n * 784 / mb), "float32_pixels_mb": round(n * 784 * 4 / mb),
            "map_points": figures["map_points"]}


def bench_cache(x: np.ndarray, y: np.ndarray, n: int, repeats: int, tmp: Path) -> dict:
    from latentlab.core.data.image_cache import CACHE_ENV

    folder = tmp / "png-cache"
    tiled, labels = np.resize(x, (n, 28, 28)), np.resize(y, n)
    for label in np.unique(labels):
        (folder / str(label)).mkdir(parents=True)
    start = time.perf_counter()
    for i, (image, label) in enumerate(zip(tiled, labels, strict=True)):
        Image.fromarray(image).save(folder / str(label) / f"{i:06d}.png")
    written = time.perf_counter() - start
    os.environ[CACHE_ENV] = str(tmp / "image-cache")
    start = time.perf_counter()
    first = load_image_folder(folder)
    first_s = time.perf_counter() - start
    median, times = median_seconds(lambda: load_image_folder(folder), repeats)
    again = load_image_folder(folder)
    return {"images": n, "write_pngs_s": round(written, 1), "first_open_s": round(first_s, 2),
            "reopen_s_median": round(median, 3), "reopen_s": times,
            "reopened_as": type(again.x).__name__, "same_pixels": bool(
                np.array_equal(first.x, again.x)),
            "cache_bytes": sum(p.stat().st_size for p in (tmp / "image-cache").rglob("*")
                               if p.is_file())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--idx-images", type=int, default=70_000)
    parser.add_argument("--png-images", type=int, default=10_000)
    parser.add_argument("--csv-rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--million-images", type=int, default=1_000_000)
    parser.add_argument("--cache-images", type=int, default=100_000)
    parser.add_argument("--only", choices=("idx", "png", "csv", "million", "cache"),
                        action="append", help="run only these parts (repeatable)")
    args = parser.parse_args()
    x, y, source = sample_digits(args.data)
    report = {"python": platform.python_version(), "numpy": np.__version__,
              "cpus": os.cpu_count(), "source": source}
    parts = {
        "idx": lambda tmp: bench_idx(x, y, args.idx_images, args.repeats, tmp),
        "png": lambda tmp: bench_png(x, y, args.png_images, args.repeats, tmp),
        "csv": lambda tmp: bench_csv(x, y, args.csv_rows, args.repeats, tmp),
        "million": lambda tmp: bench_million(x, y, args.million_images, tmp),
        "cache": lambda tmp: bench_cache(x, y, args.cache_images, args.repeats, tmp),
    }
    with tempfile.TemporaryDirectory(prefix="latentlab-bench-") as tmp:
        for part, run in parts.items():
            if args.only is None or part in args.only:
                report[part] = run(Path(tmp))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
