"""The code a GAN generates from, as the user steers it: noise, a category, continuous codes.

It is the one truth for what the latent probe shows on a GAN's map: the map's probe is placed at
this code, and dragging the probe changes the code (``set_map_code``), never the other way round.
For a conditional VAE it holds the class its decoder is given at every probe (``decode_class``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from psygnal import Signal

from latentlab.core.files.images import tile_images
from latentlab.core.models.form_values import CODE_RANGE
from latentlab.lab.model_kinds import is_conditional_vae, is_infogan
from latentlab.lab.model_session import ModelSession

if TYPE_CHECKING:  # torch loads with the first model, not with the window
    import torch

    from latentlab.core.models import GAN
    from latentlab.core.models.generator_codes import GeneratorCode


class GeneratorCodes:
    changed = Signal()

    def __init__(self, model: ModelSession) -> None:
        self._model = model
        self.code: GeneratorCode | None = None
        #: The class a conditional VAE's decoder draws every probe's code as.
        self.decode_class = 0
        #: Locked, only the codes change; unlocked, every change also draws new noise.
        self.lock_noise = True
        self._generator: torch.Generator | None = None
        model.changed.connect(self._on_model_changed)

    @property
    def _rng(self) -> torch.Generator:
        """The noise's random stream, made when a GAN first needs it (torch is loaded then)."""
        if self._generator is None:
            import torch

            self._generator = torch.Generator().manual_seed(1234)
        return self._generator

    def _on_model_changed(self) -> None:
        gan = self._model.gan
        self.decode_class = 0
        code = None
        if gan is not None:
            from latentlab.core.models.generator_codes import GeneratorCode

            code = GeneratorCode.from_prior(gan, self._rng)
            if is_infogan(gan):  # an InfoGAN's continuous codes start at 0
                code = replace(code, continuous=np.zeros(gan.code_dim, np.float32))
        self._set(code)

    def _set(self, code: GeneratorCode | None) -> None:
        self.code = code
        self.changed.emit()

    def _steer(self, code: GeneratorCode) -> None:
        """A change by the user: unlocked noise is drawn again with it."""
        gan = self._model.gan
        if not self.lock_noise and gan is not None:
            code = replace(code, noise=self._fresh_noise(gan))
        self._set(code)

    def _fresh_noise(self, gan: GAN) -> np.ndarray:
        return gan.sample_noise(1, self._rng)[0].numpy()

    def set_category(self, category: int) -> None:
        """A GAN's category or class; a conditional VAE's class for every probe."""
        if is_conditional_vae(self._model.live_model):
            if category != self.decode_class:
                self.decode_class = int(category)
                self.changed.emit()
            return
        if self.code is not None and category != self.code.category:
            self._steer(replace(self.code, category=category))

    def set_continuous_code(self, index: int, value: float) -> None:
        if self.code is None:
            return
        continuous = np.array(self.code.continuous, np.float32)
        continuous[index] = value
        self._steer(replace(self.code, continuous=continuous))

    def set_map_code(self, values: np.ndarray) -> None:
        """The probe was dragged on the map: the code the map shows takes these values."""
        gan = self._model.gan
        if gan is not None and self.code is not None:
            self._steer(self.code.with_map_code(gan, values))

    def new_noise(self) -> None:
        gan = self._model.gan
        if gan is not None and self.code is not None:
            self._set(replace(self.code, noise=self._fresh_noise(gan)))

    def sample_prior(self) -> None:
        gan = self._model.gan
        if gan is not None:
            from latentlab.core.models.generator_codes import GeneratorCode

            self._set(GeneratorCode.from_prior(gan, self._rng))

    def set_lock_noise(self, locked: bool) -> None:
        self.lock_noise = bool(locked)

    def restore(self, noise: object, category: object, continuous: object) -> None:
        """A saved code (a lab file); ValueError when it does not fit the model."""
        gan = self._model.gan
        if gan is None or self.code is None:
            raise ValueError("the model is not a GAN")
        from latentlab.core.models.generator_codes import GeneratorCode

        code = GeneratorCode(np.asarray(noise, np.float32), int(category),  # type: ignore[arg-type]
                             np.asarray(continuous, np.float32))
        if code.noise.shape != self.code.noise.shape or (
                code.continuous.shape != self.code.continuous.shape):
            raise ValueError("its sizes differ from the model's")
        self._set(code)

    def to_json(self) -> dict[str, object] | None:
        if self.code is None:
            return None
        return {"noise": self.code.noise.tolist(), "category": self.code.category,
                "continuous": self.code.continuous.tolist()}

    def decode(self) -> np.ndarray | None:
        """What the generator makes of the code."""
        gan = self._model.gan
        if gan is None or self.code is None:
            return None
        import torch

        with torch.inference_mode():
            return gan.decode(self.code.inputs(gan))[0].numpy()

    def traversal_grid(self, code_index: int, columns: int) -> np.ndarray | None:
        """InfoGAN: categories × continuous code ``code_index`` swept over the slider range."""
        gan = self._model.gan
        if not is_infogan(gan) or self.code is None:
            return None
        import torch

        from latentlab.core.models.generator_codes import traversal_inputs

        values = np.linspace(*CODE_RANGE, columns, dtype=np.float32)
        inputs, rows, cols = traversal_inputs(gan, self.code, code_index, values)
        with torch.inference_mode():
            images = gan.decode(inputs).numpy()
        return tile_images(images, rows, cols)
