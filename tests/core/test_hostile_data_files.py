"""CSV files, text corpora and dataset folders built to break the readers.

Each file is generated in tmp_path: FIFOs and devices named like data, lines far longer than a
sniff, quotes left open, UTF-16, terminal escapes in headers, and links that lead out of the
folder or loop. Every refusal is one line that names the file and the reason.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from latentlab.core.data import (
    DatasetError,
    load_image_folder,
    load_pixel_csv,
    load_source,
    load_text_csv,
    load_text_folder,
    sniff_csv,
)
from latentlab.core.files.safe_io import BUDGET_ENV

posix_only = pytest.mark.skipif(os.name != "posix", reason="FIFOs and symlinks as on POSIX")


def finishes(call: Callable[[], Any], seconds: float = 20) -> Any:
    """``call()``'s result or exception, failing (not hanging) when it does not return."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = call()
        except BaseException as exc:  # handed to the test
            out["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "the reader hangs"
    if "error" in out:
        raise out["error"]
    return out.get("value")


def refusal(call: Callable[[], Any], name: str) -> str:
    """The message of the DatasetError that ``call`` raises: one line, naming ``name``."""
    with pytest.raises(DatasetError) as info:
        finishes(call)
    message = str(info.value)
    assert message.startswith(f"{name}: "), message
    assert "\n" not in message and "\x00" not in message and "\x1b" not in message, message
    return message


# ---------------------------------------------------------------------------------------------
# 1. Only regular files, read within the budget


@posix_only
def test_a_fifo_named_csv_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "x.csv"
    os.mkfifo(fifo)
    for read in (sniff_csv, load_pixel_csv, load_text_csv):
        message = refusal(lambda read=read: read(fifo), "x.csv")
        assert "FIFO" in message and "not a regular file" in message


@posix_only
@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_linked_as_a_csv_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "x.csv"
    link.symlink_to("/dev/zero")
    for read in (sniff_csv, load_pixel_csv):
        assert "character device" in refusal(lambda read=read: read(link), "x.csv")


def test_a_csv_over_the_memory_budget_is_refused_before_it_is_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.csv"
    path.write_text("".join(f"{i % 10}," + ",".join(["7"] * 16) + "\n" for i in range(8000)))
    assert load_pixel_csv(path).n == 8000
    monkeypatch.setenv(BUDGET_ENV, "1M")  # the file is 280 kB: about 1.4 MB to parse
    message = refusal(lambda: load_pixel_csv(path), "big.csv")
    assert "reading its pixels would need" in message and "over the loading budget" in message


# ---------------------------------------------------------------------------------------------
# 2. Sniffing judges complete lines, however long


def test_a_row_of_five_million_cells_is_judged_whole(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("0," * 4_999_999 + "0\n")  # 10 MB in one line
    message = refusal(lambda: load_source(path), "wide.csv")
    assert "5,000,000 columns make no square image" in message


def test_a_csv_of_megapixel_images_loads(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2, 1000 * 1000))
    header = ",".join([f"p{i}" for i in range(1000 * 1000)] + ["label"])  # the label last
    rows = [",".join(map(str, image.tolist())) + f",{label}" for image, label in
            zip(images, (3, 5), strict=True)]
    path = tmp_path / "mega.csv"
    path.write_text("\n".join([header, *rows]) + "\n")  # about 3.6 MB a line
    data = load_source(path)
    assert data.x.shape == (2, 1, 1000, 1000) and data.class_names == ("0", "1", "2", "3",
                                                                        "4", "5")
    assert data.labels.tolist() == [3, 5]
    np.testing.assert_allclose(data.images().reshape(2, -1), images / 255, atol=1e-6)


def test_a_pixel_row_longer_than_the_first_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("label,a,b,c,d\ncat,1,2,3,4\ndog,1,2,3,4,5,6\n")
    assert "line 3 has 7 cells, expected 5" in refusal(lambda: load_pixel_csv(path), "long.csv")


# ---------------------------------------------------------------------------------------------
# 3. A quote left open


def test_an_unbalanced_quote_is_refused_naming_its_line(tmp_path: Path) -> None:
    path = tmp_path / "quotes.csv"
    path.write_text('id,text,label\n1,"a fine day out",x\n2,"never closed,y\n'
                    '3,"another text here",z\n')
    message = refusal(lambda: load_source(path), "quotes.csv")
    assert message.startswith("quotes.csv: line 3: a quote opened here is never closed")
    path.write_text('id,text,label\n1,"a fine day out",x\n2,"open to the end,y\n3,more,z\n')
    assert refusal(lambda: load_source(path), "quotes.csv") == (
        "quotes.csv: line 3: a quote opened here is never closed.")
    # A quote opened in a row the sniff does not reach is found by the loader.
    rows = "".join(f'{i},"a quoted document number {i}",x\n' for i in range(80))
    path.write_text("id,text,label\n" + rows + '80,"runs on,y\n81,"and on",z\n')
    assert refusal(lambda: load_source(path), "quotes.csv").startswith(
        "quotes.csv: line 82: a quote opened here is never closed")


def test_a_quoted_cell_may_still_span_lines(tmp_path: Path) -> None:
    path = tmp_path / "poems.csv"
    path.write_text('title,text\nOne,"roses are red\nviolets are blue"\nTwo,"a single line"\n')
    data = load_text_csv(path)
    assert data.documents == ("roses are red\nviolets are blue", "a single line")


# ---------------------------------------------------------------------------------------------
# 4. Encodings and binary files


def test_utf16_csvs_are_decoded(tmp_path: Path) -> None:
    text = "id,text\n1,héllo there world\n2,another fine text\n"
    for codec in ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"):  # -le/-be: no mark
        path = tmp_path / f"{codec}.csv"
        path.write_bytes(text.encode(codec))
        data = load_source(path)
        assert data.documents == ("héllo there world", "another fine text"), codec
    path = tmp_path / "pixels16.csv"
    path.write_bytes("label,a,b,c,d\n1,0,255,0,255\n2,255,0,255,0\n".encode("utf-16"))
    assert load_source(path).x.shape == (2, 1, 2, 2)


def test_a_binary_file_named_csv_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "image.csv"
    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8)).save(path, format="PNG")
    assert "not a text file" in refusal(lambda: load_source(path), "image.csv")
    path.write_bytes(bytes(range(1, 32)) * 100)  # control bytes, no NUL
    assert "not a text file" in refusal(lambda: load_pixel_csv(path), "image.csv")


# ---------------------------------------------------------------------------------------------
# 5. File content quoted in messages is escaped


def test_terminal_escapes_in_a_header_are_not_echoed(tmp_path: Path) -> None:
    evil = "\x1b]0;pwned\x07\x1b[2J"
    path = tmp_path / "evil.csv"
    path.write_text(f"label,{evil},b,c,d\n1,1,2,3,4\n2,{evil}x,2,3,4\n")
    message = refusal(lambda: load_pixel_csv(path), "evil.csv")
    assert "line 3, column 2 (\\x1b]0;pwned\\x07\\x1b[2J)" in message
    path.write_text(f"{evil},text\n1,some words here\n")
    message = refusal(lambda: load_text_csv(path, text_column="nope"), "evil.csv")
    assert "\\x1b]0;pwned" in message


@posix_only
def test_a_file_name_with_escapes_is_quoted_safely(tmp_path: Path) -> None:
    path = tmp_path / "a\x1b[2Jb.csv"
    path.write_text("1,2,3\n")
    refusal(lambda: load_pixel_csv(path), "a\\x1b[2Jb.csv")


# ---------------------------------------------------------------------------------------------
# 6. Folders: links out of the folder, loops, FIFOs


@posix_only
def test_a_text_folder_does_not_read_links_out_of_it(tmp_path: Path) -> None:
    secret = tmp_path / "passwd"
    secret.write_text("rootsecret topsecret hidden words")
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text("cats and dogs play outside")
    (folder / "b.txt").write_text("dogs chase cats all day")
    (folder / "pw.txt").symlink_to(secret)
    (folder / "same.txt").symlink_to("a.txt")  # stays inside: read
    (folder / "etc").symlink_to(tmp_path, target_is_directory=True)
    data = load_text_folder(folder)
    assert data.n == 3 and not any("secret" in d for d in data.documents)
    assert "rootsecret" not in data.vocabulary
    assert ("pw.txt", "a link to a file outside the folder") in data.skipped
    assert ("etc", "a link to a folder outside the folder") in data.skipped


@posix_only
def test_a_text_folder_skips_fifos_without_hanging(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("cats and dogs play outside")
    os.mkfifo(tmp_path / "pipe.txt")
    data = finishes(lambda: load_text_folder(tmp_path))
    assert data.n == 1
    assert data.skipped == (("pipe.txt", "is a FIFO (named pipe), not a regular file"),)


def test_a_text_folder_over_the_budget_is_refused(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(4):
        (tmp_path / f"{i}.txt").write_text("words of a document " * 5000)  # 100 kB each
    monkeypatch.setenv(BUDGET_ENV, "1M")
    message = refusal(lambda: load_text_folder(tmp_path), str(tmp_path))
    assert "the text of its 4 .txt files would need" in message


@posix_only
def test_an_image_folder_survives_loops_and_lists_them(tmp_path: Path) -> None:
    for cls, value in (("cls", 0), ("other", 255)):
        (tmp_path / cls).mkdir()
        Image.fromarray(np.full((4, 4), value, np.uint8)).save(tmp_path / cls / "a.png")
    (tmp_path / "cls" / "up").symlink_to("..", target_is_directory=True)
    (tmp_path / "loop").symlink_to("loop")
    (tmp_path / "other" / "again").symlink_to("../cls", target_is_directory=True)
    (tmp_path / "other" / "b.png").symlink_to("../cls/a.png")  # stays inside: read
    (tmp_path / "other" / "gone.png").symlink_to("nowhere.png")
    data = finishes(lambda: load_image_folder(tmp_path, size=4))
    assert data.class_names == ("cls", "other") and data.class_counts() == {"cls": 1, "other": 2}
    assert data.skipped == (
        ("cls/up", "a link back to a folder that holds it (it would loop)"),
        ("loop", "a link that loops"),
        ("other/again", "a link to a folder read already"),
        ("other/gone.png", "a link to nothing (its target is missing)"),
    )


@posix_only
def test_a_folder_of_only_outside_links_says_what_it_passed_over(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret words")
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "pw.txt").symlink_to(tmp_path / "secret.txt")
    message = refusal(lambda: load_text_folder(folder), str(folder))
    assert "pw.txt: a link to a file outside the folder" in message
