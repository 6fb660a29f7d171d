"""The GAN half of the lab state: the generator code the user steers, colours by category,
and the sample and traversal grids. Mixed into LabState, whose signals and probes it uses."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from latentlab.core.files.images import tile_images
from latentlab.core.maps.linear import LatentMap
from latentlab.core.models import GAN, InfoGAN, LatentModel
from latentlab.core.models.generator_codes import CODE_RANGE, GeneratorCode, traversal_inputs
from latentlab.qt.map_ids import LATENT


class GanStateMixin:
    # Kept by LabState; listed here for the reader.
    live_model: LatentModel | None
    latent_map: LatentMap | None
    gen_code: GeneratorCode | None
    lock_noise: bool
    samples: np.ndarray | None
    samples_grid: tuple[int, int]
    map_categories: np.ndarray | None
    colour_by: str

    @property
    def gan(self) -> GAN | None:
        """The live model when it is a GAN or InfoGAN."""
        return self.live_model if isinstance(self.live_model, GAN) else None

    def _prepare_generator_map(self, model: GAN) -> None:
        """A new GAN's map, sample grid and generator code (an InfoGAN's codes start at 0)."""
        dim = model.code_dim
        _, rows, cols = model.grid_inputs(self.train_cfg.seed)
        self.samples_grid = (rows, cols)
        self.latent_map = LatentMap(dim)
        code = GeneratorCode.from_prior(model, self._sample_rng)
        if isinstance(model, InfoGAN):
            code = replace(code, continuous=np.zeros(dim, np.float32))
            self.map_method[LATENT] = "InfoGAN · real images through Q: continuous codes" + (
                "" if dim <= 2 else f" · PCA of {dim}-D")
        else:
            # No encoder: the map is an empty slice of the noise space for the probe alone.
            self.coords[LATENT] = np.zeros((0, 2), np.float32)
            self.map_method[LATENT] = (
                "GAN noise space · slice through z₁, z₂ (the rest held) — no encoder")
        self._set_gen_code(code)

    # -------------------------------------------------------- generator code
    def set_category(self, category: int) -> None:
        if self.gen_code is not None and category != self.gen_code.category:
            self._set_gen_code(self._maybe_new_noise(replace(self.gen_code, category=category)))

    def set_continuous_code(self, index: int, value: float) -> None:
        if self.gen_code is None:
            return
        continuous = np.array(self.gen_code.continuous, np.float32)
        continuous[index] = value
        self._set_gen_code(self._maybe_new_noise(replace(self.gen_code, continuous=continuous)))

    def new_noise(self) -> None:
        gan = self.gan
        if gan is not None and self.gen_code is not None:
            self._set_gen_code(replace(self.gen_code, noise=self._fresh_noise(gan)))

    def set_lock_noise(self, locked: bool) -> None:
        self.lock_noise = locked

    def _fresh_noise(self, gan: GAN) -> np.ndarray:
        return gan.sample_noise(1, self._sample_rng)[0].numpy()

    def _maybe_new_noise(self, code: GeneratorCode) -> GeneratorCode:
        """Unlocked noise is redrawn with every change of the codes."""
        gan = self.gan
        if self.lock_noise or gan is None:
            return code
        return replace(code, noise=self._fresh_noise(gan))

    def _set_gen_code(self, code: GeneratorCode, move_probe: bool = True) -> None:
        gan = self.gan
        assert gan is not None and self.latent_map is not None
        self.gen_code = code
        self.code_changed.emit()
        if move_probe and self.coords[LATENT] is not None:
            self._move_probe(LATENT, self.latent_map.transform(code.map_code(gan)[None])[0])
        else:  # before Q's first codes the map (and its PCA, above 2-D) does not exist yet
            self._dirty_probes.add(LATENT)
            self._decode_timer.start()

    def sample_grid_image(self) -> np.ndarray | None:
        """The live samples tiled into one image, one row per grid row."""
        if self.samples is None:
            return None
        rows, cols = self.samples_grid
        return tile_images(self.samples, rows, cols)

    def traversal_grid(self, code_index: int, columns: int) -> np.ndarray | None:
        """InfoGAN: categories × continuous code ``code_index`` swept over the slider range."""
        gan = self.gan
        if not isinstance(gan, InfoGAN) or self.gen_code is None:
            return None
        values = np.linspace(*CODE_RANGE, columns, dtype=np.float32)
        inputs, rows, cols = traversal_inputs(gan, self.gen_code, code_index, values)
        with torch.inference_mode():
            images = gan.decode(inputs).numpy()
        return tile_images(images, rows, cols)
