"""Image panels: what the probes decode to, and held-out reconstructions.

For a text dataset both show words instead of images: the top words of a decoded distribution.
"""

from __future__ import annotations

import html
import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from latentlab.core.data.text import top_words
from latentlab.core.maps.methods import METHOD_NAMES
from latentlab.lab.latent_lab import LatentLab
from latentlab.lab.map_state import LATENT, PIXELS, THIRD
from latentlab.qt.widgets.elided_label import ElidedLabel
from latentlab.qt.widgets.image_tile import ImageTile
from latentlab.qt.widgets.word_list import WordList

#: Words shown for a decoded distribution, and per held-out document in the strip.
TOP_WORDS = 10
STRIP_WORDS = 5
TITLES = {
    "image": {PIXELS: "PCA: mean + coords · components", LATENT: "Decoder at the probe",
              THIRD: "Third map at the probe"},
    "text": {PIXELS: "LSA: top words at the probe", LATENT: "Decoder: top words at the probe",
             THIRD: "Third map: top words"},
}


def coordinate(value: float) -> str:
    """A probe's coordinate to two decimals; far out (a diverged model's codes) or NaN, short:
    "+1.2e+19", "NaN", "+inf" rather than twenty digits."""
    if math.isnan(value):
        return "NaN"
    return f"{value:+.2f}" if abs(value) < 1e4 else f"{value:+.2g}"


class ProbePanel(QWidget):
    """Linear vs nonlinear, side by side: PCA's reconstruction and the decoder's output."""

    def __init__(self, lab: LatentLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.tiles = {
            PIXELS: ImageTile("Drag the probe on the PCA map"),
            LATENT: ImageTile("Train a model, then drag the probe on its map"),
            THIRD: ImageTile("Drag the probe on the third map"),
        }
        self.words = {
            PIXELS: WordList("Drag the probe on the LSA map"),
            LATENT: WordList("Train a model, then drag the probe on its map"),
            THIRD: WordList("Drag the probe on the third map"),
        }
        self.stacks: dict[str, QStackedWidget] = {}
        self.columns: dict[str, QWidget] = {}
        # Titles and captions say how each map decodes; cut to fit, the whole in the tooltip.
        self.captions = {PIXELS: ElidedLabel(), LATENT: ElidedLabel(), THIRD: ElidedLabel()}
        self.titles: dict[str, ElidedLabel] = {}
        self.random_button = QPushButton("Random sample")
        self.random_button.setToolTip(
            "Decode a random code: from the prior N(0, I) for a VAE, from a Gaussian fitted to "
            "the codes for an autoencoder (R)"
        )
        self.random_button.clicked.connect(lab.maps.sample_random)

        columns = QHBoxLayout()
        for map_id in (PIXELS, LATENT, THIRD):
            column = QWidget()
            col = QVBoxLayout(column)
            col.setContentsMargins(0, 0, 0, 0)
            title = ElidedLabel(TITLES["image"][map_id])
            title.setObjectName("panelTitle")
            self.titles[map_id] = title
            col.addWidget(title)
            stack = QStackedWidget()
            stack.addWidget(self.tiles[map_id])
            stack.addWidget(self.words[map_id])
            self.stacks[map_id] = stack
            col.addWidget(stack, 1)
            self.captions[map_id].setObjectName("caption")
            # A caption that changes with every probe move must never re-lay out the window.
            self.captions[map_id].setSizePolicy(QSizePolicy.Policy.Ignored,
                                                QSizePolicy.Policy.Preferred)
            col.addWidget(self.captions[map_id])
            columns.addWidget(column)
            self.columns[map_id] = column
        self.columns[THIRD].hide()  # shown with the third map
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(columns, 1)
        layout.addWidget(self.random_button)
        lab.model.changed.connect(self._on_model_changed)
        lab.data.changed.connect(self._on_dataset_changed)
        for map_id in (PIXELS, LATENT, THIRD):
            state = lab.maps[map_id]
            state.decoded.connect(lambda m=map_id: self._on_decoded(m))
            state.probe_moved.connect(lambda m=map_id: self._on_probe_moved(m))
            state.changed.connect(lambda m=map_id: self._update_title(m))

    @property
    def text_mode(self) -> bool:
        return self.lab.data.dataset is not None and self.lab.data.dataset.kind == "text"

    def _on_dataset_changed(self) -> None:
        kind = "text" if self.text_mode else "image"
        for map_id in (PIXELS, LATENT, THIRD):
            self.stacks[map_id].setCurrentIndex(1 if kind == "text" else 0)
            self.tiles[map_id].set_image(None)
            self.words[map_id].set_words([])
        self._on_model_changed()

    def _update_title(self, map_id: str) -> None:
        """Built-in maps say how they decode; a chosen projection says what it is."""
        kind = "text" if self.text_mode else "image"
        fit = self.lab.maps[map_id].fit
        if fit is not None:
            spec = fit.projection.spec
            method = METHOD_NAMES.get(spec.method, spec.method)
            what = spec.source.capitalize() if spec.method == "codes" else (
                f"{method} of {spec.source}")
            title = f"{what}: top words" if kind == "text" else f"{what} at the probe"
        elif map_id == LATENT and self.lab.model.gan is not None:
            title = "Generator at the probe"
        else:
            title = TITLES[kind][map_id]
        self.titles[map_id].setText(title)

    def set_third_visible(self, shown: bool) -> None:
        self.columns[THIRD].setVisible(shown)

    def _on_decoded(self, map_id: str) -> None:
        decoded = self.lab.maps[map_id].image
        dataset = self.lab.data.dataset
        if self.text_mode and dataset is not None and dataset.vocabulary is not None:
            words = [] if decoded is None else top_words(decoded, dataset.vocabulary, TOP_WORDS)
            self.words[map_id].set_words(words)
        else:
            self.tiles[map_id].set_image(decoded)

    def _on_probe_moved(self, map_id: str) -> None:
        x, y = self.lab.maps[map_id].probe
        text = f"at ({coordinate(x)}, {coordinate(y)})"
        code = self.lab.generator.code
        if map_id == LATENT and self.lab.model.model_cfg.family == "infogan" and code is not None:
            text += f" · k={code.category}"
        if self.lab.maps[map_id].fit is not None or map_id == THIRD:
            how = self.lab.maps.decode_status(map_id)
            text += f" · {how}" if how else ""
        self.captions[map_id].setText(text)

    def _on_model_changed(self) -> None:
        for map_id in self.titles:
            self._update_title(map_id)
        if self.lab.maps[LATENT].image is None:
            self.tiles[LATENT].set_image(None)
            self.words[LATENT].set_words([])
            self.captions[LATENT].setText("")


class ReconstructionStrip(QWidget):
    """A few held-out images (top row) and the model's reconstructions (bottom row), live."""

    def __init__(self, lab: LatentLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.grid = QGridLayout()
        self.grid.setSpacing(2)
        self.title = ElidedLabel("Held-out images and their reconstructions")
        self.title.setObjectName("panelTitle")
        # Text: each held-out document's top words, and those of its reconstruction.
        self.word_table = QLabel()
        self.word_table.setTextFormat(Qt.TextFormat.RichText)
        self.word_table.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.word_table.setWordWrap(True)
        self.word_table.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addLayout(self.grid, 1)
        layout.addWidget(self.word_table, 1)
        self.originals: list[ImageTile] = []
        self.recons: list[ImageTile] = []
        lab.data.changed.connect(self._on_dataset_changed)
        lab.model.recon_changed.connect(self._on_recon_changed)

    @property
    def text_mode(self) -> bool:
        return self.lab.data.dataset is not None and self.lab.data.dataset.kind == "text"

    def _on_dataset_changed(self) -> None:
        for tile in self.originals + self.recons:
            self.grid.removeWidget(tile)
            tile.deleteLater()
        self.originals, self.recons = [], []
        dataset = self.lab.data.dataset
        text = self.text_mode
        self.word_table.setVisible(text)
        self.title.setText("Held-out documents: top words, and their reconstruction's"
                           if text else "Held-out images and their reconstructions")
        if dataset is None:
            return
        if text:
            self._show_words(None)
            return
        for col, item in enumerate(self.lab.data.strip_indices):
            original, recon = ImageTile(min_side=28), ImageTile("…", min_side=28)
            original.set_image(dataset.images(item))
            self.grid.addWidget(original, 0, col)
            self.grid.addWidget(recon, 1, col)
            self.originals.append(original)
            self.recons.append(recon)

    def _on_recon_changed(self) -> None:
        recon = self.lab.model.strip_recon
        if self.text_mode:
            self._show_words(recon)
            return
        for i, tile in enumerate(self.recons):
            tile.set_image(None if recon is None else recon[i])

    def _show_words(self, recon: np.ndarray | None) -> None:
        dataset = self.lab.data.dataset
        assert dataset is not None and dataset.vocabulary is not None
        rows = []
        for i, item in enumerate(self.lab.data.strip_indices):
            original = self._words(dataset.x[item], dataset.vocabulary)
            rebuilt = "…" if recon is None else self._words(recon[i], dataset.vocabulary)
            rows.append(f"<tr><td style='color:#777'>#{item}</td><td>{original}</td>"
                        f"<td style='color:#777'>→</td><td><i>{rebuilt}</i></td></tr>")
        self.word_table.setText("<table cellspacing='0' cellpadding='1'>" + "".join(rows)
                                + "</table>")

    @staticmethod
    def _words(vector: np.ndarray, vocabulary: tuple[str, ...]) -> str:
        words = top_words(vector, vocabulary, STRIP_WORDS)
        return html.escape(" ".join(w for w, _ in words)) if words else "(no known words)"
