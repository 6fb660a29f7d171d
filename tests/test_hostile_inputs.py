"""Hostile and broken inputs through the command line: one case per kind of attack or mistake.

Each case asserts the exit code, a single error line naming the file (no traceback), that
nothing was written, and for the decompression bombs a bound on the memory the attempt took.
The files are generated here, small; the bombs are cheap to write and would be costly to read.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import stat
import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from tests.cli_helpers import TINY, one_error_line, run

pytestmark = pytest.mark.skipif(os.name != "posix", reason="devices, FIFOs and umask are POSIX")

MB = 1 << 20


def fails(capsys, code: int, *argv: str, names: tuple[str | Path, ...] = ()) -> str:
    got, out, err = run(capsys, *argv)
    assert got == code, err
    assert out == ""
    return one_error_line(err, *names)


def peak_bytes(call) -> int:
    """The peak memory Python and NumPy allocations reached during ``call()``."""
    tracemalloc.start()
    try:
        call()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def rewrite_meta(source: Path, target: Path, change) -> Path:
    """A copy of a checkpoint whose metadata JSON ``change`` edited in place."""
    from safetensors import safe_open

    with safe_open(str(source), "np") as handle:
        meta = json.loads(handle.metadata()["latentlab"])
    change(meta)
    save_file(load_file(source), str(target), metadata={"latentlab": json.dumps(meta)})
    return target


# ------------------------------------------------------------- 1. things that are not files
def test_devices_and_fifos_are_refused_by_name(capsys, tmp_path: Path, trained: Path) -> None:
    line = fails(capsys, 1, "evaluate", "/dev/zero", names=("/dev/zero",))
    assert "character device" in line
    link = tmp_path / "zero.safetensors"
    link.symlink_to("/dev/zero")
    fifo = tmp_path / "pipe.safetensors"
    os.mkfifo(fifo)
    assert "FIFO" in fails(capsys, 1, "evaluate", str(fifo), names=(fifo,))
    assert "character device" in fails(capsys, 1, "open", str(link), names=(link,))
    lab = tmp_path / "pipe.latentlab"
    os.mkfifo(lab)
    assert "FIFO" in fails(capsys, 1, "open", str(lab), names=(lab,))
    zero_lab = tmp_path / "zero.latentlab"
    zero_lab.symlink_to("/dev/zero")
    fails(capsys, 1, "open", str(zero_lab), names=(zero_lab,))
    data = tmp_path / "pipe.csv"
    os.mkfifo(data)
    fails(capsys, 1, "train", "--data", str(data), "--out", str(tmp_path / "o"), names=(data.name,))
    assert not (tmp_path / "o").exists()


# -------------------------------------------------------------------- 2. decompression bombs
def idx_header(shape: tuple[int, ...]) -> bytes:
    return bytes([0, 0, 8, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def gzipped_images(folder: Path, shape: tuple[int, ...], zeros_mib: int) -> Path:
    """train-images-idx3-ubyte.gz: a header for ``shape``, then that many MiB of zeros (which
    gzip packs about 1,000-fold)."""
    folder.mkdir()
    path = folder / "train-images-idx3-ubyte.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(idx_header(shape))
        zeros = bytes(16 * MB)
        for _ in range(zeros_mib // 16):
            f.write(zeros)
    return path


def test_an_idx_bomb_stops_at_what_its_header_promises(capsys, tmp_path: Path) -> None:
    # 1 MB on disk, 1 GiB inside, and a header that promises a single image.
    bomb = gzipped_images(tmp_path / "bomb", (1, 28, 28), 1024)
    assert bomb.stat().st_size < 2 * MB
    argv = ("train", "--data", str(bomb.parent), "--out", str(tmp_path / "o"))
    peak = peak_bytes(lambda: fails(capsys, 1, *argv, names=("train-images-idx3-ubyte.gz",)))
    assert peak < 64 * MB
    assert not (tmp_path / "o").exists()


def test_an_honest_header_over_the_budget_is_refused_before_decompressing(
        capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LATENTLAB_MEMORY_BUDGET", "256M")
    folder = tmp_path / "big"
    folder.mkdir()
    with gzip.open(folder / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(idx_header((5_000_000, 28, 28)) + bytes(1000))
    line = fails(capsys, 1, "train", "--data", str(folder), "--out", str(tmp_path / "o"))
    assert "train-images-idx3-ubyte.gz" in line and "budget" in line


def test_a_bomb_with_an_honest_header_is_refused_by_its_inflation(capsys, tmp_path: Path,
                                                                  monkeypatch) -> None:
    monkeypatch.setenv("LATENTLAB_MEMORY_BUDGET", "64G")  # as on a machine with 256 GB
    bomb = gzipped_images(tmp_path / "honest", (5_000_000, 28, 28), 256)
    argv = ("train", "--data", str(bomb.parent), "--out", str(tmp_path / "o"))
    peak = peak_bytes(lambda: fails(capsys, 1, *argv, names=("train-images-idx3-ubyte.gz",)))
    assert peak < 160 * MB


def test_npz_and_npy_bombs(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LATENTLAB_MEMORY_BUDGET", "512M")
    bomb = tmp_path / "bomb.npz"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive, \
            archive.open("x.npy", "w", force_zip64=True) as member:
        np.lib.format.write_array_header_1_0(
            member, {"descr": "|u1", "fortran_order": False, "shape": (1 << 20, 32, 32)})
        zeros = bytes(16 * MB)
        for _ in range(64):
            member.write(zeros)
    argv = ("train", "--data", str(bomb), "--out", str(tmp_path / "o"))
    peak = peak_bytes(lambda: fails(capsys, 1, *argv, names=("bomb.npz",)))
    assert peak < 64 * MB

    liar = tmp_path / "liar.npy"  # 228 bytes claiming a trillion
    with liar.open("wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "|u1", "fortran_order": False, "shape": (10**6, 1000, 1000)})
        f.write(bytes(100))
    line = fails(capsys, 1, "train", "--data", str(liar), "--out", str(tmp_path / "o"),
                 names=("liar.npy",))
    assert "declares shape (1000000, 1000, 1000)" in line


def png_claiming(width: int, height: int, bit_depth: int = 16) -> bytes:
    """A PNG whose header claims ``width``×``height`` grey pixels (its data is a stub)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(1024))) + chunk(b"IEND", b""))


def test_a_giant_image_is_skipped_and_listed(capsys, tmp_path: Path) -> None:
    from PIL import Image

    folder = tmp_path / "images"
    folder.mkdir()
    (folder / "giant.png").write_bytes(png_claiming(13_000, 13_000))
    for i in range(4):
        Image.fromarray(np.full((8, 8), 40 * i, np.uint8)).save(folder / f"ok{i}.png")
    out = tmp_path / "o"
    code, _, err = run(capsys, "train", "--data", str(folder), "--epochs", "1", *TINY,
                       "--image-size", "8", "--out", str(out), "--quiet")
    assert code == 0, err
    assert "skipped 1 item" in err and "giant.png: 13,000×13,000 pixels" in err
    assert "Traceback" not in err


# ------------------------------------------------------------------ 3. metadata that costs time
def test_a_checkpoint_listing_a_million_layers_is_refused_at_once(capsys, tmp_path: Path,
                                                                   trained: Path) -> None:
    def deep(meta: dict) -> None:
        meta["model"]["hidden"] = [8] * 100_000

    hostile = rewrite_meta(trained, tmp_path / "deep.safetensors", deep)
    start = time.perf_counter()
    line = fails(capsys, 1, "evaluate", str(hostile), "--data", "digits", names=(hostile,))
    assert "at most 32 layers" in line
    assert time.perf_counter() - start < 30  # a bound that only a hang or a build would break


def test_a_header_claiming_gigabytes_is_refused_unread(capsys, tmp_path: Path) -> None:
    hostile = tmp_path / "header.safetensors"
    with hostile.open("wb") as f:  # sparse: the file is as large as its header claims
        f.write(struct.pack("<Q", 1 << 30) + b"{")
        f.truncate(8 + (1 << 30))
    line = fails(capsys, 1, "evaluate", str(hostile), "--data", "digits", names=(hostile,))
    assert "header is read up to" in line


# --------------------------------------------------------- 4. a checkpoint decides what is read
def test_a_recorded_path_is_a_hint_not_an_order(capsys, tmp_path: Path, trained: Path) -> None:
    def etc(meta: dict) -> None:
        meta["data"]["source"] = "../../../../../../etc"

    hostile = rewrite_meta(trained, tmp_path / "etc.safetensors", etc)
    line = fails(capsys, 2, "evaluate", str(hostile), names=(hostile, "--trust-source"))
    assert "/etc" in line
    # A built-in name is safe to follow; so is the folder train --out wrote.
    code, _, err = run(capsys, "evaluate", str(trained.parent), "--json")
    assert code == 0, err


def test_train_out_folder_opens_its_checkpoint(capsys, monkeypatch, trained: Path) -> None:
    opened: list[Path] = []
    monkeypatch.setattr("latentlab.qt.app.run_gui",
                        lambda **kw: opened.append(kw["open_path"]) or 0)
    assert run(capsys, "open", str(trained.parent))[0] == 0
    assert opened == [trained]


# -------------------------------------------------------------------- 6. terminal escapes
def test_escape_sequences_in_a_file_are_not_echoed(capsys, tmp_path: Path) -> None:
    csv = tmp_path / "escape.csv"
    csv.write_text("label,\x1b]0;pwned\x07\x1b[2J,b,c\n1,2,x,4\n")
    code, _, err = run(capsys, "train", "--data", str(csv), "--out", str(tmp_path / "o"))
    assert code == 1
    one_error_line(err, "escape.csv")


def test_numeric_warnings_do_not_precede_the_error_line(capsys, tmp_path: Path) -> None:
    csv = tmp_path / "huge.csv"  # 1e300 overflows float32: NumPy warns, then the check fails
    csv.write_text("label,a,b,c,d\n1,1e300,2,3,4\n2,1,2,3,4\n")
    assert "line 2 holds NaN or infinity" in fails(
        capsys, 1, "train", "--data", str(csv), "--out", str(tmp_path / "o"), names=(csv.name,))


# ------------------------------------------------------------- 7. one line, never a traceback
@pytest.mark.parametrize("argv, field", [
    (["--latent-dim", "1000000000"], "Latent size"),
    (["--hidden", "100000,100000"], "Hidden sizes"),
    (["--model", "gan", "--noise-dim", "1000000000"], "Noise size"),
    (["--seed", str(2**70)], "Seed"),
    (["--split-seed", str(2**70)], "--split-seed"),
    (["--hidden", "16000,16000,16000", "--batch-size", "1000000"], "Model size"),
])
def test_settings_beyond_bounds_name_the_field(capsys, tmp_path: Path, argv: list[str],
                                               field: str) -> None:
    fails(capsys, 2, "train", "--data", "digits", "--out", str(tmp_path / "o"), *argv,
          names=(field,))
    assert not (tmp_path / "o").exists()


def test_evaluate_bounds_and_recorded_options(capsys, tmp_path: Path, trained: Path) -> None:
    fails(capsys, 2, "evaluate", str(trained), "--samples", "1000000000", names=("--samples",))
    data = tmp_path / "eights.npz"
    np.savez(data, x=np.zeros((20, 8, 8), np.uint8))
    for options in ({"size": "abc"}, "size=5"):
        def bad(meta: dict, options=options) -> None:
            meta["data"].update(source=str(data), options=options)

        hostile = rewrite_meta(trained, tmp_path / "options.safetensors", bad)
        line = fails(capsys, 1, "evaluate", str(hostile), "--data", str(data))
        assert "option" in line and ("size" in line or "options" in line)


# -------------------------------------------------------------- 8. wrong results, silently
def test_split_seed_is_the_split_seed(capsys, tmp_path: Path) -> None:
    from latentlab.core.files.checkpoint import read_meta

    data = tmp_path / "d.npz"
    rng = np.random.default_rng(0)
    np.savez(data, x=rng.random((40, 8, 8), dtype=np.float32), y=np.arange(40) % 4)
    code, out, err = run(capsys, "train", "--data", str(data), "--split-seed", "7", "--seed",
                         "1", "--epochs", "1", *TINY, "--out", str(tmp_path / "o"), "--quiet")
    assert code == 0, err
    assert read_meta(out.strip()).data["options"] == {"seed": 7}


def test_labels_of_the_wrong_count_are_refused(capsys, tmp_path: Path) -> None:
    data = tmp_path / "miscount.npz"
    np.savez(data, x=np.zeros((20, 8, 8), np.uint8), labels=np.arange(19))
    line = fails(capsys, 1, "train", "--data", str(data), "--out", str(tmp_path / "o"),
                 names=("miscount.npz",))
    assert "19 labels for the 20 images" in line


# ------------------------------------------------------------ 9. messages and side effects
def test_nan_weights_and_idx_label_shapes_are_named(capsys, tmp_path: Path,
                                                    trained: Path) -> None:
    tensors = load_file(trained)
    name = sorted(tensors)[0]
    tensors[name] = np.full_like(tensors[name], np.nan)
    from safetensors import safe_open

    with safe_open(str(trained), "np") as handle:
        meta = json.loads(handle.metadata()["latentlab"])
    del meta["weights_sha256"]  # as a file written by other code would have it
    nan = tmp_path / "nan.safetensors"
    save_file(tensors, str(nan), metadata={"latentlab": json.dumps(meta)})
    assert "NaN" in fails(capsys, 1, "evaluate", str(nan), "--data", "digits", names=(nan,))

    folder = tmp_path / "idx"
    folder.mkdir()
    (folder / "train-images-idx3-ubyte").write_bytes(idx_header((100, 8, 8)) + bytes(6400))
    (folder / "train-labels-idx1-ubyte").write_bytes(idx_header((100, 1, 1)) + bytes(100))
    line = fails(capsys, 1, "train", "--data", str(folder), "--out", str(tmp_path / "o"),
                 names=("train-labels-idx1-ubyte",))
    assert "shape (100, 1, 1)" in line


def test_exports_honour_the_umask_and_name_a_clashing_folder(capsys, tmp_path: Path,
                                                             trained: Path) -> None:
    out = tmp_path / "exp"
    old = os.umask(0o022)
    try:
        assert run(capsys, "export", str(trained), "--format", "csv", "--out", str(out))[0] == 0
        csv = out / "embeddings.csv"
        assert stat.S_IMODE(csv.stat().st_mode) == 0o644
        csv.chmod(0o640)
        assert run(capsys, "export", str(trained), "--format", "csv", "--out", str(out),
                   "--force")[0] == 0
        assert stat.S_IMODE(csv.stat().st_mode) == 0o640  # a replaced file keeps its mode
    finally:
        os.umask(old)
    clash = tmp_path / "clash"
    (clash / "embeddings.csv").mkdir(parents=True)
    line = fails(capsys, 1, "export", str(trained), "--format", "csv", "--out", str(clash),
                 "--force", names=("embeddings.csv",))
    assert ".part" not in line and ".tmp" not in line


def test_sigterm_leaves_no_empty_out_folder(tmp_path: Path) -> None:
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "latentlab", "train", "--data", "digits", "--epochs", "100000",
         *TINY, "--out", str(out)], stderr=subprocess.PIPE, text=True, env=env)
    assert process.stderr is not None
    for line in process.stderr:  # wait until it trains: the folder exists by then
        if "epoch" in line:
            break
    assert out.is_dir()
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert "terminated; nothing written" in err and "Traceback" not in err
    assert not out.exists()
