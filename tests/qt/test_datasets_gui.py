"""Datasets in the app: files and folders through the File menu, the catalogue dialog against a
loopback server, text corpora (LSA map, top words, document hover), and bad input."""

from __future__ import annotations

import gzip
import hashlib
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

import latentlab.core.data.images as images_module
import latentlab.qt.data_actions as data_actions
from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data import catalogue
from latentlab.core.data.catalogue import CATALOGUE, CatalogueFile
from latentlab.core.data.source import DataSource
from latentlab.core.data.text import top_words
from latentlab.lab.map_state import LATENT, PIXELS
from latentlab.qt.widgets.catalogue_dialog import CatalogueDialog
from latentlab.qt.widgets.load_dialogs import ImageOptionsDialog, KeyChoiceDialog

from .conftest import send_mouse, to_viewport, train_to_end

LOAD_MS = 30_000


# --- fixtures written to tmp_path ----------------------------------------------------------------


def write_npz(path: Path, n: int = 60, side: int = 10, **extra: np.ndarray) -> Path:
    rng = np.random.default_rng(0)
    arrays = {"images": rng.integers(0, 256, (n, side, side), dtype=np.uint8),
              "labels": np.arange(n) % 3, **extra}
    np.savez(path, **arrays)
    return path


def write_image_folder(root: Path, per_class: int = 12, side: int = 20) -> Path:
    rng = np.random.default_rng(1)
    for name in ("circle", "square"):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 256, (side, side), dtype=np.uint8)
            Image.fromarray(pixels, "L").save(root / name / f"{i:03d}.png")
    return root


TOPIC_WORDS = {
    "space": "planet orbit rocket launch astronaut moon mars satellite telescope galaxy",
    "cooking": "recipe oven flour butter sugar garlic onion simmer bake dough",
    "money": "market stocks bonds interest inflation bank investor shares dividend",
}
TOPICS = {topic: words.split() for topic, words in TOPIC_WORDS.items()}


def write_corpus(root: Path, per_topic: int = 25) -> Path:
    rng = np.random.default_rng(2)
    for topic, words in TOPICS.items():
        (root / topic).mkdir(parents=True)
        for i in range(per_topic):
            lines = [" ".join(rng.choice(words, 8)).capitalize() + "." for _ in range(5)]
            (root / topic / f"{i:02d}.txt").write_text(f"{topic.title()} note {i}\n"
                                                       + "\n".join(lines))
    return root


class FakeFileDialog:
    """Stands in for QFileDialog's static methods: answers with the paths a test sets."""

    file = ""
    folder = ""
    asked: ClassVar[list[str]] = []

    @classmethod
    def getOpenFileName(cls, *_args, **_kwargs) -> tuple[str, str]:
        cls.asked.append("file")
        return cls.file, ""

    @classmethod
    def getExistingDirectory(cls, *_args, **_kwargs) -> str:
        cls.asked.append("folder")
        return cls.folder


@pytest.fixture
def file_dialog(monkeypatch) -> type[FakeFileDialog]:
    FakeFileDialog.file = FakeFileDialog.folder = ""
    FakeFileDialog.asked = []
    monkeypatch.setattr(data_actions, "QFileDialog", FakeFileDialog)
    return FakeFileDialog


def wait_loaded(qtbot, lab, start) -> object:
    with qtbot.waitSignal(lab.data.load_ended, timeout=LOAD_MS) as blocker:
        start()
    return blocker.args[0]


def wait_drawn(qtbot, window) -> None:
    """Map redraws are throttled: wait until the baseline map shows the state's points."""
    view = window.workspace.maps[PIXELS]
    qtbot.waitUntil(lambda: len(view.scatter) == len(window.lab.maps[PIXELS].coords),
                    timeout=5000)


def message_boxes(window) -> list[QMessageBox]:
    return [box for box in window.findChildren(QMessageBox) if box.isVisible()]


# --- files and folders ---------------------------------------------------------------------------


def test_npz_opens_from_the_file_menu(qtbot, window, tmp_path, file_dialog) -> None:
    lab = window.lab
    file_dialog.file = str(write_npz(tmp_path / "shapes.npz"))
    messages: list[str] = []
    lab.notes.message.connect(messages.append)
    outcome = wait_loaded(qtbot, lab, window.workspace.data_actions.open_file_action.trigger)
    assert file_dialog.asked == ["file"] and outcome.error is None
    data = lab.data.dataset
    assert data is outcome.dataset and data.name == "shapes" and data.input_shape == (1, 10, 10)
    wait_drawn(qtbot, window)
    assert len(window.workspace.maps[PIXELS].scatter) == 60
    assert window.workspace.maps[PIXELS].title.text().startswith("PCA of pixels")
    assert messages[-1].startswith("Loaded shapes · 60 images")
    assert not window.workspace.load_status.isVisible() and not lab.data.loading
    panel = window.workspace.dataset_panel
    assert panel.name.text() == "shapes" and panel.shape_label.text() == "10×10, grey"
    assert panel.split_label.text() == "48 train · 12 test"
    assert [panel.classes.item(r, 1).text() for r in range(3)] == ["20", "20", "20"]
    assert panel.thumbnails.array is not None and panel.thumbnails.isVisibleTo(panel)
    # The baseline was fitted on the loader thread, on the training items.
    x = data.images(data.train_indices).reshape(len(data.train_indices), -1)
    np.testing.assert_allclose(lab.data.baseline.mean_, x.mean(0), atol=1e-5)


def test_ambiguous_npz_keys_are_asked_then_loaded(qtbot, window, tmp_path) -> None:
    lab = window.lab
    rng = np.random.default_rng(3)
    other = rng.random((60, 12, 12)).astype(np.float32)
    path = tmp_path / "two.npz"  # two arrays of images, two of labels, none named as such
    np.savez(path, a=rng.random((60, 8, 8)), b=other, y=np.arange(60) % 2, z=np.arange(60) % 5)
    outcome = wait_loaded(qtbot, lab, lambda: lab.data.load(DataSource.parse(path)))
    assert outcome.ambiguous is not None and lab.data.dataset.name == "tiny digits"
    assert not message_boxes(window)  # a question, not an error
    dialog = window.findChild(KeyChoiceDialog)
    assert dialog is not None and dialog.isVisible()
    assert [dialog.images.itemText(i) for i in range(dialog.images.count())] == ["a", "b"]
    dialog.images.setCurrentIndex(1)
    dialog.labels.setCurrentIndex(dialog.labels.findText("z"))
    with qtbot.waitSignal(lab.data.load_ended, timeout=LOAD_MS) as blocker:
        dialog.accept()
    data = blocker.args[0].dataset
    assert data is lab.data.dataset and data.input_shape == (1, 12, 12)
    np.testing.assert_allclose(data.x[:, 0], other, atol=1e-6)
    assert data.class_names == ("0", "1", "2", "3", "4")


def test_image_folder_asks_the_size_and_summarises_skipped_files(qtbot, window, tmp_path,
                                                                 file_dialog) -> None:
    lab = window.lab
    root = write_image_folder(tmp_path / "shapes")
    (root / "circle" / "broken.png").write_bytes(b"not a png")
    (root / "square" / "empty.png").write_bytes(b"")
    file_dialog.folder = str(root)
    window.workspace.data_actions.open_folder_action.trigger()
    dialog = window.findChild(ImageOptionsDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.size.currentData() == 28
    dialog.size.setCurrentIndex(dialog.size.findData(16))
    notices: list[tuple[str, str, str]] = []
    lab.notes.notice.connect(lambda *args: notices.append(args))
    with qtbot.waitSignal(lab.data.load_ended, timeout=LOAD_MS):
        dialog.accept()
    data = lab.data.dataset
    assert data.name == "shapes" and data.input_shape == (1, 16, 16) and data.n == 24
    assert data.class_names == ("circle", "square")
    # One summary for all unreadable files, naming each in the details.
    assert len(notices) == 1
    _title, text, details = notices[0]
    assert "2 files in shapes could not be read" in text and "24 items were loaded" in text
    assert "circle/broken.png: not a readable image" in details and "square/empty.png" in details
    qtbot.waitUntil(lambda: len(message_boxes(window)) == 1)
    box = message_boxes(window)[0]
    assert box.text() == text and box.detailedText() == details
    assert "2 skipped" in window.workspace.dataset_label.text()
    assert window.workspace.dataset_panel.skipped_label.text() == "2 unreadable files skipped"
    box.close()


def test_a_failed_load_keeps_the_current_dataset_and_names_the_file(qtbot, window,
                                                                    tmp_path) -> None:
    lab = window.lab
    train_to_end(qtbot, window)
    before, model, coords = lab.data.dataset, lab.model.live_model, lab.maps[LATENT].coords.copy()
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"PK\x03\x04 this is not a zip archive")
    with qtbot.waitSignal(lab.notes.error, timeout=LOAD_MS) as blocker:
        lab.data.load(DataSource.parse(bad))
    title, message, details = blocker.args
    assert title == "Could not load broken.npz"
    assert message.startswith("broken.npz: ") and "tiny digits is still loaded" in message
    assert details == "" and "Traceback" not in message
    qtbot.waitUntil(lambda: not lab.data.loading)
    assert lab.data.dataset is before and lab.model.live_model is model
    np.testing.assert_array_equal(lab.maps[LATENT].coords, coords)
    qtbot.waitUntil(lambda: len(message_boxes(window)) == 1)
    message_boxes(window)[0].close()


def test_cancelling_an_image_folder_load_keeps_the_current_dataset(qtbot, window, tmp_path,
                                                                   monkeypatch) -> None:
    lab = window.lab
    root = write_image_folder(tmp_path / "many", per_class=150, side=8)
    decode = images_module.decode_image

    def slow_decode(*args, **kwargs):
        time.sleep(0.004)  # 300 files take over a second: time to cancel
        return decode(*args, **kwargs)

    monkeypatch.setattr(images_module, "decode_image", slow_decode)
    before = lab.data.dataset
    with qtbot.waitSignal(lab.data.loading_changed):
        lab.data.load(DataSource.parse(root, size=8, workers=2))
    assert window.workspace.load_status.isVisible()
    status = window.workspace.load_status
    qtbot.waitUntil(lambda: "Reading many" in status.label.text(), timeout=LOAD_MS)
    started = time.monotonic()
    with qtbot.waitSignal(lab.data.load_ended, timeout=LOAD_MS) as blocker:
        window.workspace.load_status.cancel_button.click()
    assert blocker.args[0].cancelled and time.monotonic() - started < 2
    wait_drawn(qtbot, window)
    assert lab.data.dataset is before and len(window.workspace.maps[PIXELS].scatter) == before.n
    assert not window.workspace.load_status.isVisible()
    assert "cancelled; tiny digits is still loaded" in window.statusBar().currentMessage()


def test_a_new_dataset_stops_training_and_resets_the_maps(qtbot, window, tmp_path) -> None:
    lab = window.lab
    lab.model.start_training(ModelConfig(hidden=(16,)), TrainConfig(epochs=10_000))
    qtbot.waitSignal(lab.model.progress, timeout=10_000).wait()
    lab.selection.select(np.arange(5))
    path = write_npz(tmp_path / "next.npz")
    outcome = wait_loaded(qtbot, lab, lambda: lab.data.load(DataSource.parse(path)))
    assert outcome.dataset is lab.data.dataset and not lab.model.training
    assert lab.model.live_model is None and lab.maps[LATENT].coords is None
    assert len(lab.selection.items) == 0
    qtbot.waitUntil(window.workspace.maps[LATENT].placeholder.isVisible, timeout=5000)


def test_one_load_at_a_time_and_the_next_may_start_as_one_ends(qtbot, window, tmp_path) -> None:
    lab = window.lab
    first, second = write_npz(tmp_path / "first.npz"), write_npz(tmp_path / "second.npz", n=30)
    messages: list[str] = []
    lab.notes.message.connect(messages.append)
    ended: list[object] = []

    def chain(outcome) -> None:  # a slot that starts the next load at once
        ended.append(outcome)
        if len(ended) == 1:
            assert lab.data.load(DataSource.parse(second))

    lab.data.load_ended.connect(chain)
    assert lab.data.load(DataSource.parse(first))
    assert not lab.data.load(DataSource.parse(second))  # busy: refused, said why
    assert messages[-1] == "Still loading first.npz: cancel it first."
    qtbot.waitUntil(lambda: len(ended) == 2, timeout=LOAD_MS)
    assert [o.dataset.name for o in ended] == ["first", "second"]
    assert lab.data.dataset.name == "second" and not lab.data.loading


# --- text corpora --------------------------------------------------------------------------------


def test_text_corpus_maps_with_lsa_decodes_words_and_hovers_documents(qtbot, window,
                                                                      tmp_path) -> None:
    lab = window.lab
    root = write_corpus(tmp_path / "notes")
    wait_loaded(qtbot, lab, lambda: lab.data.load(DataSource.parse(root)))
    data = lab.data.dataset
    assert data.kind == "text" and data.n == 75
    wait_drawn(qtbot, window)
    pixels = window.workspace.maps[PIXELS]
    assert pixels.title.text().startswith("LSA of TF-IDF · ")
    assert pixels.plot.getAxis("bottom").labelText == "LSA 1"
    # The LSA probe decodes to a word distribution, shown as its top words.
    lab.maps.set_probe(PIXELS, lab.maps[PIXELS].coords[0])
    lab.maps.decode_now()
    probe = window.workspace.probe_panel
    assert probe.stacks[PIXELS].currentWidget() is probe.words[PIXELS]
    expected = top_words(lab.maps[PIXELS].image, data.vocabulary, 10)
    assert probe.words[PIXELS].words == expected and len(expected) == 10
    assert expected[0][0] in TOPICS[data.class_names[data.labels[0]]]
    assert probe.titles[PIXELS].text() == "LSA: top words at the probe"
    # The autoencoder trains on the word vectors, its decoder a softmax over the vocabulary (the
    # form picks that likelihood for text); its probe decodes to words too.
    form_model, _ = window.workspace.training_panel.configs()
    assert form_model.likelihood == "multinomial"
    assert window.workspace.training_panel.text_note.isVisibleTo(window.workspace.training_panel)
    train_to_end(qtbot, window, replace(form_model, hidden=(16,)), TrainConfig(epochs=2))
    lab.maps.set_probe(LATENT, lab.maps[LATENT].coords[3])
    lab.maps.decode_now()
    assert len(probe.words[LATENT].words) == 10
    assert all(word in data.vocabulary for word, _ in probe.words[LATENT].words)
    assert window.workspace.recon_strip.word_table.isVisible()
    assert "→" in window.workspace.recon_strip.word_table.text()
    # Hovering a point shows the document's first lines, not an image.
    view = pixels
    x, y = lab.maps[PIXELS].coords[7]
    item = int(lab.data.map_indices[7])
    send_mouse(view.plot.viewport(), QEvent.Type.MouseMove, to_viewport(view, x, y),
               Qt.MouseButton.NoButton)
    qtbot.waitUntil(view.hover_caption.isVisible, timeout=2000)
    assert not view.hover_tile.isVisible()
    shown = view.hover_caption.text()
    hits = np.flatnonzero(np.all(np.isclose(lab.maps[PIXELS].coords, (x, y)), axis=1))
    firsts = [data.documents[int(lab.data.map_indices[h])].splitlines()[0] for h in hits]
    assert any(first in shown for first in firsts)
    assert f"#{item}" in shown or len(hits) > 1
    # The dataset panel shows the vocabulary and document snippets; conv is refused.
    panel = window.workspace.dataset_panel
    assert panel.shape_row_label.text() == "Vocabulary" and panel.snippets.isVisibleTo(panel)
    assert "Cooking note 0" in panel.snippets.text()
    form = window.workspace.training_panel
    form.architecture.setCurrentIndex(form.architecture.findData("conv"))
    assert not form.train_button.isEnabled() and "Architecture" in form.problems.text()


# --- the catalogue -------------------------------------------------------------------------------


def idx_gz(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        server = self.server
        server.log.append(self.path)
        body = server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for i in range(0, len(body), 2048):
                if server.slow and server.stop.wait(0.01):
                    return
                self.wfile.write(body[i:i + 2048])
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client cancelled


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the handlers


@pytest.fixture
def mirror(tmp_path, monkeypatch, window) -> Iterator[_Server]:
    """A loopback server holding a tiny MNIST that the catalogue's "mnist" expects."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    rng = np.random.default_rng(0)
    files = {"train-images-idx3-ubyte.gz": idx_gz(rng.integers(0, 256, (40, 28, 28))),
             "train-labels-idx1-ubyte.gz": idx_gz(np.arange(40) % 10),
             "t10k-images-idx3-ubyte.gz": idx_gz(rng.integers(0, 256, (10, 28, 28))),
             "t10k-labels-idx1-ubyte.gz": idx_gz(np.arange(10))}
    expected = tuple(CatalogueFile(n, hashlib.md5(b, usedforsecurity=False).hexdigest(), len(b))
                     for n, b in files.items())
    monkeypatch.setitem(CATALOGUE, "mnist", replace(CATALOGUE["mnist"], files=expected))
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.files = {f"/mnist/{n}": b for n, b in files.items()}
    httpd.log, httpd.slow, httpd.stop = [], False, threading.Event()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/mnist/"
    mirrors = tmp_path / "mirrors.json"
    mirrors.write_text(json.dumps({"mnist": [base]}))
    monkeypatch.setenv(catalogue.MIRRORS_ENV, str(mirrors))
    window.lab.data.catalogue_cache_dir = str(tmp_path / "cache")
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield httpd
    finally:
        httpd.stop.set()
        window.lab.shutdown()  # no download left talking to the server
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def open_catalogue(window, name: str) -> CatalogueDialog:
    window.workspace.data_actions.catalogue_action.trigger()
    dialog = window.workspace.data_actions.catalogue
    assert dialog is not None and dialog.isVisible()
    dialog.select(name)
    return dialog


def test_catalogue_downloads_once_then_loads_from_the_cache(qtbot, window, mirror) -> None:
    lab = window.lab
    dialog = open_catalogue(window, "mnist")
    assert [dialog.entries.item(i).text() for i in range(5)] == [
        "Digits (8×8)", "MNIST sample (5,000)", "MNIST", "Fashion-MNIST", "Kuzushiji-MNIST"]
    assert "Not downloaded yet" in dialog.details.text()
    assert "CC BY-SA 3.0" in dialog.details.text() and "MB" in dialog.details.text()
    assert dialog.load_button.text() == "Download and load"
    reports = []
    lab.data.load_progress.connect(reports.append)
    with qtbot.waitSignal(lab.data.load_ended, timeout=LOAD_MS) as blocker:
        dialog.load_button.click()
    data = blocker.args[0].dataset
    assert data is lab.data.dataset and data.name == "MNIST" and data.n == 50
    assert data.is_test.sum() == 10 and data.class_names == tuple("0123456789")
    downloads = [r for r in reports if r.text.startswith("Downloading MNIST")]
    assert downloads and downloads[-1].total == sum(f.size for f in CATALOGUE["mnist"].files)
    assert len(mirror.log) == 4
    assert "Cached on this computer" in dialog.details.text()
    assert dialog.load_button.text() == "Load" and dialog.entries.item(2).text() == "MNIST  ✓"
    assert dialog.status.text().startswith("Loaded MNIST")
    assert not dialog.isVisible()  # loaded: its work is done
    mirror.log.clear()
    dialog = open_catalogue(window, "mnist")
    with qtbot.waitSignal(lab.data.load_ended, timeout=LOAD_MS) as blocker:
        dialog.load_button.click()
    assert blocker.args[0].dataset.n == 50 and mirror.log == []  # never downloaded twice
    dialog = open_catalogue(window, "digits")
    with qtbot.waitSignal(lab.data.load_ended, timeout=LOAD_MS):
        dialog.load_button.click()
    assert lab.data.dataset.name == "digits" and mirror.log == [] and not dialog.isVisible()


def test_catalogue_download_can_be_cancelled(qtbot, window, mirror) -> None:
    lab = window.lab
    mirror.slow = True
    dialog = open_catalogue(window, "mnist")
    dialog.load_button.click()
    assert not dialog.load_button.isEnabled() and dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Downloading MNIST"), timeout=LOAD_MS)
    assert dialog.bar.isVisible()
    with qtbot.waitSignal(lab.data.load_ended, timeout=LOAD_MS) as blocker:
        dialog.cancel_button.click()
    assert blocker.args[0].cancelled and lab.data.dataset.name == "tiny digits"
    assert dialog.status.text().startswith("Cancelled.") and dialog.load_button.isEnabled()
    assert dialog.isVisible()  # not loaded: it stays, for another try
    assert list(Path(lab.data.catalogue_cache_dir, "mnist").glob("*.part"))  # kept to resume
    dialog.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_offline_says_so_and_offers_local_files(qtbot, window, tmp_path, monkeypatch,
                                                file_dialog) -> None:
    lab = window.lab
    mirrors = tmp_path / "mirrors.json"
    mirrors.write_text(json.dumps({"kmnist": [f"http://127.0.0.1:{_closed_port()}/k/"]}))
    monkeypatch.setenv(catalogue.MIRRORS_ENV, str(mirrors))
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    lab.data.catalogue_cache_dir = str(tmp_path / "cache")
    errors: list[tuple] = []
    lab.notes.error.connect(lambda *args: errors.append(args))
    dialog = open_catalogue(window, "kmnist")
    with qtbot.waitSignal(lab.data.load_ended, timeout=LOAD_MS) as blocker:
        dialog.load_button.click()
    assert blocker.args[0].offline and lab.data.dataset.name == "tiny digits" and not errors
    box = dialog.findChild(QMessageBox, "offlineBox")
    assert box is not None and box.isVisible()
    assert box.text() == ("You appear to be offline: Kuzushiji-MNIST needs a download. "
                          "Open local files instead?")
    assert "refused" in box.detailedText()
    assert "You appear to be offline" in dialog.status.text() and dialog.isVisible()
    folder_button = next(b for b in box.findChildren(QPushButton) if b.text() == "Open folder…")
    folder_button.click()
    QApplication.processEvents()
    assert file_dialog.asked == ["folder"] and not dialog.isVisible()
