"""Reading the text files that datasets come in (CSV, .txt), as if they might be hostile.

- Only regular files are opened (``latentlab.core.files.safe_io``); a whole file is read only
  after its size, times what parsing it needs, fits the loading memory budget.
- The encoding comes from a byte-order mark (UTF-8, UTF-16, UTF-32) or, without one, from where
  NUL bytes fall (UTF-16 or UTF-32 without a mark); everything else is read as UTF-8 with
  undecodable bytes replaced. A file with NUL bytes in no such pattern, or mostly control
  characters and undecodable bytes, is refused as "not a text file" (:class:`NotText`).
- Lines end at "\\n", "\\r\\n" or "\\r" only (a form feed in a cell does not split its row).
"""

from __future__ import annotations

import codecs
import math
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from latentlab.core.files.safe_io import check_budget, memory_budget, open_regular

# UTF-32 first: its little-endian mark begins with UTF-16's.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))
_SAMPLE = 1 << 16  # what the encoding and the "is it text" tests look at
_CHUNK = 1 << 20
# Text has tabs, line ends and the odd form feed; binary data has many other control bytes.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffd]")
_MAX_CONTROL_SHARE = 0.1
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


class NotText(ValueError):
    """The bytes are no text in an encoding this reader knows; the message says why."""


def encoding_of(head: bytes) -> tuple[str, int]:
    """(codec, length of its byte-order mark) for a file that begins with ``head``."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec, len(bom)
    sample = head[:_SAMPLE]
    if b"\0" not in sample:
        return "utf-8", 0
    # Without a mark, ASCII characters put NULs in the same places of every character: one
    # byte in two for UTF-16, three in four for UTF-32.
    shares = [sample[i::4].count(0) / max(len(sample[i::4]), 1) for i in range(4)]
    for codec, nul_at in (("utf-32-le", (1, 2, 3)), ("utf-32-be", (0, 1, 2)),
                          ("utf-16-le", (1, 3)), ("utf-16-be", (0, 2))):
        if all(shares[i] > 0.3 for i in nul_at) and all(
                shares[i] < 0.02 for i in range(4) if i not in nul_at):
            return codec, 0
    raise NotText("not a text file (it holds NUL bytes)")


def check_text(sample: str) -> None:
    """NotText when ``sample`` (the start of a decoded file) reads as binary data."""
    if "\0" in sample:
        raise NotText("not a text file (it holds NUL characters)")
    if len(_CONTROL.findall(sample[:_SAMPLE])) > _MAX_CONTROL_SHARE * min(len(sample), _SAMPLE):
        raise NotText("not a text file (it is mostly control characters or bytes that are "
                      "not UTF-8)")


def decode(data: bytes) -> str:
    """The text of a whole file's bytes (module docstring); NotText for binary data."""
    codec, skip = encoding_of(data[:_SAMPLE])
    # A memoryview decodes without first copying the bytes past the mark.
    text = str(memoryview(data)[skip:], codec, "replace")
    check_text(text[:_SAMPLE])
    return text


def text_pieces(data: bytes) -> Iterator[str]:
    """The text of a whole file's bytes in pieces of about a MiB, each ending at a line end
    (where there is one); NotText for binary data. No string of the whole file is made: its
    width (one, two or four bytes a character) would be set for all of it by its widest
    character."""
    codec, skip = encoding_of(data[:_SAMPLE])
    decoder = codecs.getincrementaldecoder(codec)("replace")
    view = memoryview(data)
    carry: list[str] = []  # the start of a line longer than a piece
    for start in range(skip, max(len(data), skip + 1), _CHUNK):
        piece = decoder.decode(view[start:start + _CHUNK], final=start + _CHUNK >= len(data))
        if start == skip:
            check_text(piece[:_SAMPLE])
        # A final "\r" may be the first half of a "\r\n": it waits for the next piece.
        cut = max(piece.rfind("\n"), piece.rfind("\r", 0, len(piece) - 1))
        if cut < 0:
            carry.append(piece)
            continue
        yield "".join([*carry, piece[: cut + 1]])
        carry = [piece[cut + 1:]]
    rest = "".join(carry)
    if rest:
        yield rest


def text_lines(data: bytes) -> Iterator[str]:
    """The lines of a whole file's bytes, each with its end (:func:`text_pieces`)."""
    for piece in text_pieces(data):
        yield from iter_lines(piece)


def _read_rest(handle: BinaryIO, data: bytes, limit: int) -> tuple[bytes, bool]:
    """``data`` and what follows it in ``handle``, up to ``limit`` bytes; whether it all fit."""
    chunks = [data]
    total = len(data)
    while total <= limit:
        chunk = handle.read(min(_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)[: limit + 1], False


def read_all(path: Path, factor: float, name: str, what: str, already: int = 0) -> bytes:
    """The bytes of regular file ``path``, when ``already`` + their count, times ``factor``
    (the memory that parsing needs a byte), fits the loading budget; the budget's DatasetError
    (naming ``name`` and ``what``) otherwise. OSError when it cannot be read or is no regular
    file.
    """
    limit = max(int(memory_budget() / factor) - already, 0)
    with open_regular(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            check_budget(math.ceil((already + size) * factor), name, what)
        # One read of the stated size; a file that says 0 (as /proc's) or grows is read on.
        data, whole = _read_rest(handle, handle.read(size + 1) if size else b"", limit)
    if not whole:
        check_budget(math.ceil((already + len(data)) * factor), name, what)
    return data


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` without their ends (an empty last line is dropped)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    return lines


def iter_lines(text: str) -> Iterator[str]:
    """The lines of ``text``, each with its end, one at a time (no list)."""
    if "\r" in text:
        yield from (match.group() for match in _LINE.finditer(text))
        return
    start = 0
    while start < len(text):  # str.find is far faster than a regular expression
        end = text.find("\n", start) + 1 or len(text)
        yield text[start:end]
        start = end


class TextHead:
    """The start of a text file, read in growing chunks and decoded as they come.

    ``text`` holds what was read and decoded so far; :meth:`more` reads on, up to ``limit``
    bytes. Used to judge a file by its first complete lines, however long they are.
    """

    def __init__(self, path: Path, limit: int) -> None:
        self.limit = limit
        self.handle = open_regular(path)
        try:
            self.size = os.fstat(self.handle.fileno()).st_size
            first = self.handle.read(min(_CHUNK, limit + 1))
            codec, skip = encoding_of(first)
            self._decoder = codecs.getincrementaldecoder(codec)("replace")
            self.read = len(first)
            self.eof = len(first) < min(_CHUNK, limit + 1)
            self.text = self._decoder.decode(first[skip:], final=self.eof)
            check_text(self.text[:_SAMPLE])
        except BaseException:
            self.handle.close()
            raise

    def __enter__(self) -> TextHead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()

    def more(self) -> bool:
        """Read about as much again as was read so far; False at the end or past ``limit``."""
        if self.eof or self.read > self.limit:
            return False
        want = min(max(_CHUNK, self.read), self.limit + 1 - self.read)
        chunk = self.handle.read(want)
        self.read += len(chunk)
        self.eof = len(chunk) < want
        self.text += self._decoder.decode(chunk, final=self.eof)
        return True

    def complete(self) -> str:
        """The text up to its last line end (all of it at the end of the file)."""
        if self.eof:
            return self.text
        text = self.text
        # A final "\r" may be the first half of a "\r\n" not read yet.
        end = max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1))
        return text[: end + 1]
