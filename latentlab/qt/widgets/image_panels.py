"""Image panels: what the probes decode to, and held-out reconstructions."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from latentlab.qt.state import LATENT, PIXELS, LabState
from latentlab.qt.widgets.image_tile import ImageTile


class ProbePanel(QWidget):
    """Linear vs nonlinear, side by side: PCA's reconstruction and the decoder's output."""

    def __init__(self, state: LabState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.tiles = {
            PIXELS: ImageTile("Drag the probe on the PCA map"),
            LATENT: ImageTile("Train a model, then drag the probe on its map"),
        }
        self.captions = {PIXELS: QLabel(), LATENT: QLabel()}
        titles = {PIXELS: "PCA: mean + coords · components", LATENT: "Decoder at the probe"}
        self.titles: dict[str, QLabel] = {}
        self.random_button = QPushButton("Random sample")
        self.random_button.setToolTip(
            "Decode a random code: from the prior N(0, I) for a VAE, from a Gaussian fitted to "
            "the codes for an autoencoder (R)"
        )
        self.random_button.clicked.connect(state.sample_random)

        columns = QHBoxLayout()
        for map_id in (PIXELS, LATENT):
            col = QVBoxLayout()
            title = QLabel(titles[map_id])
            title.setObjectName("panelTitle")
            self.titles[map_id] = title
            col.addWidget(title)
            col.addWidget(self.tiles[map_id], 1)
            self.captions[map_id].setObjectName("caption")
            col.addWidget(self.captions[map_id])
            columns.addLayout(col)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(columns, 1)
        layout.addWidget(self.random_button)
        state.decoded.connect(self._on_decoded)
        state.model_changed.connect(self._on_model_changed)
        state.probe_moved.connect(self._on_probe_moved)

    def _on_decoded(self, map_id: str) -> None:
        self.tiles[map_id].set_image(self.state.decoded_images[map_id])

    def _on_probe_moved(self, map_id: str) -> None:
        x, y = self.state.probes[map_id]
        text = f"at ({x:+.2f}, {y:+.2f})"
        code = self.state.gen_code
        if map_id == LATENT and self.state.model_cfg.family == "infogan" and code is not None:
            text += f" · category {code.category}"
        self.captions[map_id].setText(text)

    def _on_model_changed(self) -> None:
        gan = self.state.gan is not None
        self.titles[LATENT].setText("Generator at the probe" if gan else "Decoder at the probe")
        if self.state.decoded_images[LATENT] is None:
            self.tiles[LATENT].set_image(None)
            self.captions[LATENT].setText("")


class ReconstructionStrip(QWidget):
    """A few held-out images (top row) and the model's reconstructions (bottom row), live."""

    def __init__(self, state: LabState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.grid = QGridLayout()
        self.grid.setSpacing(2)
        title = QLabel("Held-out images and their reconstructions")
        title.setObjectName("panelTitle")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(title)
        layout.addLayout(self.grid, 1)
        self.originals: list[ImageTile] = []
        self.recons: list[ImageTile] = []
        state.dataset_changed.connect(self._on_dataset_changed)
        state.recon_changed.connect(self._on_recon_changed)

    def _on_dataset_changed(self) -> None:
        for tile in self.originals + self.recons:
            self.grid.removeWidget(tile)
            tile.deleteLater()
        self.originals, self.recons = [], []
        dataset = self.state.dataset
        if dataset is None:
            return
        for col, item in enumerate(self.state.strip_indices):
            original, recon = ImageTile(min_side=28), ImageTile("…", min_side=28)
            original.set_image(dataset.x[item])
            self.grid.addWidget(original, 0, col)
            self.grid.addWidget(recon, 1, col)
            self.originals.append(original)
            self.recons.append(recon)

    def _on_recon_changed(self) -> None:
        recon = self.state.strip_recon
        for i, tile in enumerate(self.recons):
            tile.set_image(None if recon is None else recon[i])
