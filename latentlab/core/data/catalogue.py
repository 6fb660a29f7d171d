"""The built-in catalogue: the embedded digits and the MNIST family, downloaded once and cached.

The published MD5 of every file lives here, in code; the mirrors to fetch from are configuration
(``resources/mirrors.json``, overridable per dataset through ``$LATENTLAB_MIRRORS`` or the
``mirrors`` argument), so a moved mirror needs no release and no mirror can change the data.
The catalogue's sizes bound each download (see :func:`~latentlab.core.data.download.fetch_files`).

A mirrors file is read as if hostile: a regular file of at most :data:`MIRRORS_LIMIT` bytes, whose
every problem (unreadable, not JSON, nested too deeply, a wrong shape, an address that is not
http(s)) is one line naming the file and the reason.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
import threading
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from latentlab.core.data.builtin import load_builtin
from latentlab.core.data.dataset import Dataset, DatasetError
from latentlab.core.data.download import (
    DEFAULT_TIMEOUT,
    MIN_RATE,
    RATE_WINDOW,
    ProgressCallback,
    RemoteFile,
    fetch_files,
)
from latentlab.core.data.download_cache import all_verified
from latentlab.core.data.idx import load_idx_folder
from latentlab.core.files.safe_io import printable, read_limited
from latentlab.core.files.userdirs import user_cache_folder

MIRRORS_ENV = "LATENTLAB_MIRRORS"
MIRRORS_RESOURCE = "mirrors.json"
#: A mirrors file lists a few addresses per dataset; a megabyte is far more than any needs.
MIRRORS_LIMIT = 1 << 20
IDX_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


@dataclass(frozen=True)
class CatalogueFile:
    filename: str
    md5: str
    size: int


@dataclass(frozen=True)
class CatalogueEntry:
    """One dataset the app offers by name; ``files`` is empty for one that ships embedded."""

    name: str
    title: str
    description: str
    class_names: tuple[str, ...]
    licence: str
    citation: str
    homepage: str
    files: tuple[CatalogueFile, ...] = ()

    @property
    def builtin(self) -> bool:
        return not self.files

    @property
    def download_bytes(self) -> int:
        """Bytes to download (0 for an embedded dataset)."""
        return sum(f.size for f in self.files)

    def remote_files(self, mirrors: Sequence[str]) -> list[RemoteFile]:
        return [RemoteFile(f.filename, f.md5, tuple(_join(base, f.filename) for base in mirrors),
                           f.size)
                for f in self.files]


def _join(base: str, filename: str) -> str:
    return base.rstrip("/") + "/" + filename


def _idx_files(md5s: tuple[str, str, str, str], sizes: tuple[int, int, int, int]
               ) -> tuple[CatalogueFile, ...]:
    return tuple(CatalogueFile(n, m, s) for n, m, s in zip(IDX_FILES, md5s, sizes, strict=True))


_DIGITS = tuple(str(i) for i in range(10))
_MNIST_CREDITS = {
    "licence": "CC BY-SA 3.0 (Yann LeCun and Corinna Cortes)",
    "citation": "Y. LeCun, L. Bottou, Y. Bengio and P. Haffner. Gradient-based learning applied "
                "to document recognition. Proceedings of the IEEE 86(11), 2278–2324, 1998.",
    "homepage": "http://yann.lecun.com/exdb/mnist/",
}

# MD5s as published with each dataset (and listed by torchvision's dataset classes); sizes in bytes.
CATALOGUE: dict[str, CatalogueEntry] = {
    entry.name: entry
    for entry in (
        CatalogueEntry(
            name="digits",
            title="Digits (8×8)",
            description="1,797 handwritten digits, 8×8 pixels, shipped with scikit-learn: "
                        "no download.",
            class_names=_DIGITS,
            licence="CC BY 4.0 (UCI Machine Learning Repository)",
            citation="E. Alpaydin and C. Kaynak. Optical Recognition of Handwritten Digits. "
                     "UCI Machine Learning Repository, 1998. doi:10.24432/C50P49",
            homepage="https://archive.ics.uci.edu/dataset/80",
        ),
        CatalogueEntry(
            name="mnist-5k",
            title="MNIST sample (5,000)",
            description="5,000 MNIST digits, 28×28 pixels (4,000 train, 1,000 test, balanced "
                        "classes), shipped with latentlab: no download.",
            class_names=_DIGITS,
            **_MNIST_CREDITS,
        ),
        CatalogueEntry(
            name="mnist",
            title="MNIST",
            description="70,000 handwritten digits, 28×28 pixels (60,000 train, 10,000 test).",
            class_names=_DIGITS,
            **_MNIST_CREDITS,
            files=_idx_files(
                ("f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
                 "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"),
                (9_912_422, 28_881, 1_648_877, 4_542),
            ),
        ),
        CatalogueEntry(
            name="fashion-mnist",
            title="Fashion-MNIST",
            description="70,000 Zalando article images, 28×28 pixels, 10 kinds of clothing "
                        "(60,000 train, 10,000 test).",
            class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot"),
            licence="MIT (Zalando SE)",
            citation="H. Xiao, K. Rasul and R. Vollgraf. Fashion-MNIST: a Novel Image Dataset "
                     "for Benchmarking Machine Learning Algorithms. arXiv:1708.07747, 2017.",
            homepage="https://github.com/zalandoresearch/fashion-mnist",
            files=_idx_files(
                ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
                 "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"),
                (26_421_880, 29_515, 4_422_102, 5_148),
            ),
        ),
        CatalogueEntry(
            name="kmnist",
            title="Kuzushiji-MNIST",
            description="70,000 cursive Japanese (kuzushiji) characters, 28×28 pixels, "
                        "10 hiragana (60,000 train, 10,000 test).",
            class_names=("お", "き", "す", "つ", "な", "は", "ま", "や", "れ", "を"),
            licence="CC BY-SA 4.0 (KMNIST Dataset, created by CODH, adapted from the Kuzushiji "
                    "Dataset, created by NIJL and others, doi:10.20676/00000341)",
            citation="T. Clanuwat, M. Bober-Irizar, A. Kitamoto, A. Lamb, K. Yamamoto and D. Ha. "
                     "Deep Learning for Classical Japanese Literature. arXiv:1812.01718, 2018.",
            homepage="https://github.com/rois-codh/kmnist",
            files=_idx_files(
                ("bdb82020997e1d708af4cf47b453dcf7", "e144d726b3acfaa3e44228e80efcd344",
                 "5c965bf0a639b31b8f53240b1b52f4d7", "7320c461ea6c1c855c0b718fb2a4b134"),
                (18_165_135, 29_497, 3_041_136, 5_120),
            ),
        ),
    )
}


def entry(name: str) -> CatalogueEntry:
    try:
        return CATALOGUE[name]
    except KeyError:
        known = ", ".join(CATALOGUE)
        raise KeyError(f"Unknown catalogue dataset {name!r}; known: {known}.") from None


# --- mirrors -------------------------------------------------------------------------------------


def _quoted(value: str) -> str:
    """A value from a mirrors file, quoted for a one-line message (escaped, cut short)."""
    return printable(repr(value), 120)


def _is_web_address(url: str) -> bool:
    """An http(s) URL with a host and no white space or control characters."""
    if any(c.isspace() or not c.isprintable() for c in url):
        return False
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:  # an unclosed IPv6 bracket, say
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _parse_mirrors(data: object, source: str) -> dict[str, tuple[str, ...]]:
    """``{"name": ["base URL", ...]}``; keys starting with "_" are comments."""
    if not isinstance(data, dict):
        raise DatasetError(f"{source}: expected a JSON object of dataset name → list of URLs.")
    table: dict[str, tuple[str, ...]] = {}
    for name, urls in data.items():
        if str(name).startswith("_"):
            continue
        if isinstance(urls, str):
            urls = [urls]
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise DatasetError(f"{source}: the mirrors of {_quoted(name)} must be a list of "
                               "URLs.")
        for url in urls:
            if not _is_web_address(url):
                raise DatasetError(f"{source}: {_quoted(url)} is not an http:// or https:// "
                                   "address.")
        table[str(name)] = tuple(urls)
    return table


def _read_mirrors_file(path: str | Path, source: str) -> object:
    """The JSON of a mirrors file; DatasetError naming ``source`` and the reason."""
    try:
        text = read_limited(path, MIRRORS_LIMIT, "mirrors files").decode("utf-8-sig")
        return json.loads(text)
    except OSError as exc:  # a device, a FIFO or an oversized file included
        raise DatasetError(f"{source}: cannot be read ({exc.strerror or exc}).") from None
    except UnicodeDecodeError:
        raise DatasetError(f"{source}: not UTF-8 text, so not a mirrors file.") from None
    except RecursionError:
        raise DatasetError(f"{source}: not a mirrors file (its JSON is nested too deeply)."
                           ) from None
    except ValueError as exc:
        raise DatasetError(f"{source}: not valid JSON ({printable(str(exc))}).") from None


def shipped_mirrors() -> dict[str, tuple[str, ...]]:
    """The mirrors shipped in ``latentlab.resources/mirrors.json``."""
    text = resources.files("latentlab.resources").joinpath(MIRRORS_RESOURCE).read_text("utf-8")
    return _parse_mirrors(json.loads(text), MIRRORS_RESOURCE)


def load_mirrors(override: str | Path | None = None) -> dict[str, tuple[str, ...]]:
    """Shipped mirrors, with the datasets named in ``override`` (default: $LATENTLAB_MIRRORS)
    replaced by that file's lists."""
    table = shipped_mirrors()
    path = override if override is not None else os.environ.get(MIRRORS_ENV, "")
    if path:
        source = printable(f"{MIRRORS_ENV}={path}" if override is None else str(path))
        table.update(_parse_mirrors(_read_mirrors_file(path, source), source))
    return table


def mirrors_for(name: str, mirrors: Sequence[str] | None = None) -> tuple[str, ...]:
    """The base URLs to try for ``name``: ``mirrors`` if given, else the configured ones."""
    if mirrors is not None:
        return (mirrors,) if isinstance(mirrors, str) else tuple(mirrors)
    return load_mirrors().get(name, ())


def download_urls(name: str, mirrors: Sequence[str] | None = None) -> list[str]:
    """Every URL a download of ``name`` may ask (for :func:`download.appears_offline`)."""
    return [url for f in entry(name).remote_files(mirrors_for(name, mirrors)) for url in f.urls]


# --- cache ---------------------------------------------------------------------------------------


@functools.cache
def _default_cache_root() -> Path:
    # Cached: the folder (or the stand-in for an unusable one) stays the same for the session.
    return user_cache_folder().path / "datasets"


def dataset_folder(name: str, cache_dir: str | Path | None = None) -> Path:
    """Where ``name`` is (or would be) cached: ``<cache_dir>/<name>``."""
    entry(name)
    root = Path(cache_dir) if cache_dir is not None else _default_cache_root()
    return root / name


def is_cached(name: str, cache_dir: str | Path | None = None) -> bool:
    """True when ``name`` can load without the network (always, for an embedded dataset)."""
    item = entry(name)
    if item.builtin:
        return True
    folder = dataset_folder(name, cache_dir)
    return folder.is_dir() and all_verified(item.remote_files(()), folder)


def discard(name: str, cache_dir: str | Path | None = None) -> None:
    """Delete the cached (or partly downloaded) files of ``name``."""
    if not entry(name).builtin:
        shutil.rmtree(dataset_folder(name, cache_dir), ignore_errors=True)


def download(name: str, progress: ProgressCallback | None = None,
             cancel: threading.Event | None = None, cache_dir: str | Path | None = None,
             mirrors: Sequence[str] | None = None, timeout: float = DEFAULT_TIMEOUT, *,
             min_rate: float = MIN_RATE, rate_window: float = RATE_WINDOW,
             deadline: float | None = None) -> Path:
    """Fetch ``name`` into the cache unless it is there already; returns its folder.

    ``mirrors`` (base URLs) replaces the configured ones for this call; ``timeout``,
    ``min_rate``, ``rate_window`` and ``deadline`` limit each transfer as in
    :func:`~latentlab.core.data.download.fetch_files`. Raises DownloadError, DownloadCancelled
    or, for an embedded dataset, DatasetError.
    """
    item = entry(name)
    if item.builtin:
        raise DatasetError(f"{name}: ships with the app and needs no download.")
    folder = dataset_folder(name, cache_dir)
    files = item.remote_files(mirrors_for(name, mirrors))
    return fetch_files(files, folder, progress=progress, cancel=cancel, timeout=timeout,
                       min_rate=min_rate, rate_window=rate_window, deadline=deadline)


def load_catalogue_dataset(name: str, progress: ProgressCallback | None = None,
                           cancel: threading.Event | None = None,
                           cache_dir: str | Path | None = None,
                           mirrors: Sequence[str] | None = None,
                           timeout: float = DEFAULT_TIMEOUT, *, min_rate: float = MIN_RATE,
                           rate_window: float = RATE_WINDOW,
                           deadline: float | None = None) -> Dataset:
    """The dataset ``name``, downloaded first if needed (limits as in :func:`download`), with
    its split and class names."""
    item = entry(name)
    if item.builtin:
        return load_builtin(name)
    folder = download(name, progress, cancel, cache_dir, mirrors, timeout, min_rate=min_rate,
                      rate_window=rate_window, deadline=deadline)
    data = load_idx_folder(folder, name=item.title)
    return dataclasses.replace(data, class_names=item.class_names)


__all__ = [
    "CATALOGUE",
    "IDX_FILES",
    "MIRRORS_ENV",
    "MIRRORS_LIMIT",
    "CatalogueEntry",
    "CatalogueFile",
    "dataset_folder",
    "discard",
    "download",
    "download_urls",
    "entry",
    "is_cached",
    "load_catalogue_dataset",
    "load_mirrors",
    "mirrors_for",
    "shipped_mirrors",
]
