"""Hostile and broken inputs through the command line, each in its own process: prints JSON with
the exit code, the wall time, the peak resident memory and whether a traceback or a hang
happened, per input, and a summary.

    python benchmarks/hostile.py [--timeout S] [--only NAME ...]

The inputs are generated in a temporary folder: devices and FIFOs named as files, decompression
bombs (IDX gzip, npz, PNG), lying headers, metadata that costs time, a checkpoint that points at
/etc, escape sequences, settings beyond their bounds. Peak memory comes from ``os.wait4``'s
rusage of that one child (Linux and macOS).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

MB = 1 << 20


def idx_header(shape: tuple[int, ...]) -> bytes:
    return bytes([0, 0, 8, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def gzip_zeros(path: Path, header: bytes, mib: int) -> None:
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(header)
        zeros = bytes(16 * MB)
        for _ in range(mib // 16):
            f.write(zeros)


def png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16,
                                                             0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(1024))) + chunk(b"IEND", b""))


def build_inputs(root: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    """name → (latentlab arguments, extra environment)."""
    import numpy as np
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    out = str(root / "out")
    cases: dict[str, tuple[list[str], dict[str, str]]] = {}

    def add(name: str, *argv: str, **env: str) -> None:
        cases[name] = (list(argv), env)

    add("evaluate /dev/zero", "evaluate", "/dev/zero")
    fifo = root / "pipe.safetensors"
    os.mkfifo(fifo)
    add("evaluate FIFO", "evaluate", str(fifo))
    lab_fifo = root / "pipe.latentlab"
    os.mkfifo(lab_fifo)
    add("open FIFO lab", "open", str(lab_fifo))
    (root / "zero.latentlab").symlink_to("/dev/zero")
    add("open lab -> /dev/zero", "open", str(root / "zero.latentlab"))
    add("mirrors /dev/zero", "train", "--data", "mnist", "--out", out,
        LATENTLAB_MIRRORS="/dev/zero")
    mirrors_fifo = root / "mirrors.json"
    os.mkfifo(mirrors_fifo)
    add("mirrors FIFO", "train", "--data", "mnist", "--out", out,
        LATENTLAB_MIRRORS=str(mirrors_fifo))
    (root / "nested.json").write_text("[" * 100_000)
    add("mirrors nested JSON", "train", "--data", "mnist", "--out", out,
        LATENTLAB_MIRRORS=str(root / "nested.json"))

    bomb = root / "idx-bomb"
    bomb.mkdir()
    gzip_zeros(bomb / "train-images-idx3-ubyte.gz", idx_header((1, 28, 28)), 1024)
    add("IDX gz 1 GiB, header one image", "train", "--data", str(bomb), "--out", out)
    honest = root / "idx-honest"
    honest.mkdir()
    gzip_zeros(honest / "train-images-idx3-ubyte.gz", idx_header((5_000_000, 28, 28)), 1024)
    add("IDX gz 1 GiB, honest header", "train", "--data", str(honest), "--out", out)
    add("IDX gz 1 GiB, honest header, budget 64G", "train", "--data", str(honest), "--out", out,
        LATENTLAB_MEMORY_BUDGET="64G")
    npz = root / "bomb.npz"
    with zipfile.ZipFile(npz, "w", zipfile.ZIP_DEFLATED) as archive, \
            archive.open("x.npy", "w", force_zip64=True) as member:
        np.lib.format.write_array_header_1_0(
            member, {"descr": "|u1", "fortran_order": False, "shape": (1 << 20, 32, 32)})
        for _ in range(64):
            member.write(bytes(16 * MB))
    add("npz member 1 GiB", "train", "--data", str(npz), "--out", out)
    liar = root / "liar.npy"
    with liar.open("wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "|u1", "fortran_order": False, "shape": (10**6, 1000, 1000)})
    add("npy header claiming 1 TB", "train", "--data", str(liar), "--out", out)
    images = root / "giant-png"
    images.mkdir()
    (images / "giant.png").write_bytes(png_claiming(13_000, 13_000))
    (images / "small.png").write_bytes(png_claiming(8, 8))
    add("PNG 13,000² 16-bit", "train", "--data", str(images), "--out", out, "--epochs", "1")

    trained = root / "ae"
    subprocess.run([sys.executable, "-m", "latentlab", "train", "--data", "digits", "--epochs",
                    "1", "--hidden", "32", "--out", str(trained), "-q"], check=True,
                   stdout=subprocess.DEVNULL)
    checkpoint = trained / "checkpoint.safetensors"

    def hostile_meta(name: str, change: Callable[[dict], None]) -> Path:
        with safe_open(str(checkpoint), "np") as handle:
            meta = json.loads(handle.metadata()["latentlab"])
        change(meta)
        path = root / name
        save_file(load_file(checkpoint), str(path), metadata={"latentlab": json.dumps(meta)})
        return path

    deep = hostile_meta("deep.safetensors",
                        lambda m: m["model"].update(hidden=[8] * 100_000))
    add("checkpoint with 100,000 layers", "evaluate", str(deep), "--data", "digits")
    etc = hostile_meta("etc.safetensors",
                       lambda m: m["data"].update(source="../../../../../../etc"))
    add("checkpoint source ../../etc", "evaluate", str(etc))
    add("checkpoint options wrong type", "evaluate",
        str(hostile_meta("opts.safetensors", lambda m: m["data"].update(options="size=5"))))
    text = root / "texts"
    (text / "a").mkdir(parents=True)
    (text / "a" / "doc.txt").write_text("words about a thing " * 5)
    (text / "a" / "pw.txt").symlink_to("/etc/passwd")
    add("text folder with link to /etc/passwd", "train", "--data", str(text), "--out", out,
        "--epochs", "1")
    escape = root / "escape.csv"
    escape.write_text("label,\x1b]0;pwned\x07\x1b[2J,b,c\n1,2,x,4\n")
    add("escape sequences in a CSV header", "train", "--data", str(escape), "--out", out)
    for flag, value in (("--latent-dim", "1000000000"), ("--hidden", "100000,100000"),
                        ("--noise-dim", "1000000000"), ("--seed", str(2**70))):
        add(f"train {flag} {value}", "train", "--data", "digits", "--out", out, "--model", "gan",
            flag, value)
    add("evaluate --samples 1e9", "evaluate", str(checkpoint), "--samples", "1000000000")
    return cases


def run_case(argv: list[str], env: dict[str, str], timeout: float) -> dict[str, object]:
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "latentlab", *argv],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, **env}, start_new_session=True)
    deadline = start + timeout
    hung = False
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            hung = True
            os.killpg(process.pid, signal.SIGKILL)
            _, status, usage = os.wait4(process.pid, 0)
            break
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    stderr = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return {
        "exit": os.waitstatus_to_exitcode(status),
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(usage.ru_maxrss * scale / MB, 1),
        "hung": hung,
        "traceback": "Traceback" in stderr,
        "stderr": stderr.strip().splitlines()[-1][:200] if stderr.strip() else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--only", nargs="*", help="substrings of the case names to run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="latentlab-hostile-") as folder:
        cases = build_inputs(Path(folder))
        results = {name: run_case(argv, env, args.timeout) for name, (argv, env) in cases.items()
                   if not args.only or any(o in name for o in args.only)}
    print(json.dumps({
        "cases": results,
        "summary": {"inputs": len(results),
                    "tracebacks": sum(bool(r["traceback"]) for r in results.values()),
                    "hangs": sum(bool(r["hung"]) for r in results.values()),
                    "max_peak_rss_mb": max(float(r["peak_rss_mb"]) for r in results.values()),
                    "max_seconds": max(float(r["seconds"]) for r in results.values())},
    }, indent=2))


if __name__ == "__main__":
    main()
