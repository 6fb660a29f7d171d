"""What a map's probe decodes to, and how.

Linear maps have an exact inverse: PCA of the inputs decodes as ``mean + coords · components``; a
map of the codes decodes the code at the probe (through the codes' PCA above 2-D). UMAP and t-SNE
have none: the probe's code is interpolated from the codes of the nearest map points
(inverse-distance weights, KD-tree) and decoded. A GAN's map decodes its generator code.
"""

from __future__ import annotations

import numpy as np

from latentlab.core.maps import projection as proj
from latentlab.core.maps.inverse import KNNInverse
from latentlab.core.maps.linear import LatentMap
from latentlab.core.maps.spatial import PointIndex
from latentlab.core.training.device import training_cpu_threads
from latentlab.lab.data_session import DataSession
from latentlab.lab.generator import GeneratorCodes
from latentlab.lab.jobs import JobControl
from latentlab.lab.map_state import PIXELS, MapState
from latentlab.lab.model_session import ModelSession

KNN_K = 8
DECODE_ANYWHERE_HELP = (
    "<b>Decoding anywhere on a map.</b><p>Linear maps have an exact inverse: PCA of the pixels "
    "decodes as <i>mean + coords · components</i>; a map of the codes decodes the code at the "
    "probe (through the inverse of the codes' PCA when the code has more than two dimensions).</p>"
    f"<p>UMAP and t-SNE have no inverse. There the probe's code is interpolated from the codes of "
    f"the {KNN_K} map points nearest to it (found with a KD-tree), weighted by one over their "
    "distance on the map (an item's own point gives exactly its code), and the decoder draws "
    "that code. A UMAP or t-SNE map of the raw inputs decodes the same way once a model exists, "
    "interpolating the codes of its nearest items; before that it needs a model.</p>"
)


class ProbeDecoder:
    """Decodes probes; keeps each nonlinear map's KD-tree so that no drag waits for one."""

    def __init__(self, data: DataSession, model: ModelSession, generator: GeneratorCodes) -> None:
        self._data = data
        self._model = model
        self._generator = generator
        #: Per map id: the codes a kNN inverse interpolates (by identity) and the inverse.
        self._knn: dict[str, tuple[int, KNNInverse]] = {}

    def keep_knn(self, map_id: str, knn: KNNInverse | None, codes: np.ndarray | None) -> None:
        """A projection's kNN inverse (built on its thread), or none: forget the old one."""
        self._knn.pop(map_id, None)
        if knn is not None and codes is not None:
            self._knn[map_id] = (id(codes), knn)

    def forget_codes(self, map_id: str) -> None:
        """A map of the inputs keeps its KD-tree but interpolates a new model's codes."""
        self._knn.pop(map_id, None)

    def decode(self, state: MapState, latent_map: LatentMap | None) -> np.ndarray | None:
        dataset = self._data.dataset
        if dataset is None:
            return None
        xy = state.probe[None, :]
        if state.fit is not None or not state.built_in:
            return self._decode_projection(state, xy)
        if state.id == PIXELS:
            baseline = self._data.baseline
            assert baseline is not None
            return baseline.inverse_transform(xy).reshape(dataset.input_shape)
        if self._model.gan is not None:
            return self._generator.decode()
        if self._model.live_model is None or latent_map is None or state.coords is None:
            return None
        return self.decode_code(latent_map.inverse_transform(xy))

    def decode_code(self, code: np.ndarray) -> np.ndarray | None:
        """The live decoder's image of a 1×latent code (a conditional VAE's as the class picked
        in the code panel)."""
        model = self._model.live_model
        if model is None or self._model.gan is not None:
            return None
        import torch  # loaded with the model: the window opens before torch

        from latentlab.core.models import ConditionalVAE

        z = torch.from_numpy(np.asarray(code, np.float32).reshape(1, -1))
        with torch.inference_mode():
            if isinstance(model, ConditionalVAE):
                z = model.decoder_input(z, torch.tensor([self._generator.decode_class]))
            return model.decode(z)[0].numpy()

    def _decode_projection(self, state: MapState, xy: np.ndarray) -> np.ndarray | None:
        fit, dataset = state.fit, self._data.dataset
        if fit is None or dataset is None:
            return None
        if fit.projection.exact_inverse:
            values = np.asarray(fit.projection.inverse(xy), np.float32)
            if fit.setup.source == "inputs":
                return values.reshape(dataset.input_shape)
            return self.decode_code(values.reshape(1, -1))
        knn = self.knn_for(state)
        if knn is None:
            return None
        return self.decode_code(np.asarray(knn(xy[0]), np.float32).reshape(1, -1))

    def knn_for(self, state: MapState) -> KNNInverse | None:
        """The kNN inverse of a UMAP/t-SNE map: over the codes it was fitted on, or the live
        codes for a map of the inputs."""
        fit = state.fit
        if fit is None:
            return None
        codes = fit.codes if fit.codes is not None else self._model.codes
        coords = fit.projection.coords
        if codes is None or self._model.gan is not None or len(codes) != len(coords):
            return None
        cached = self._knn.get(state.id)
        if cached is not None and cached[0] == id(codes):
            return cached[1]
        if cached is not None:
            # New codes (a map of the inputs while a model trains): the map and its KD-tree stay.
            knn = cached[1]
            knn.use_codes(codes)
        else:
            index = state.index
            assert index is not None  # a fitted projection has points
            knn = KNNInverse(index, np.asarray(codes), k=KNN_K)
        self._knn[state.id] = (id(codes), knn)
        return knn

    def status(self, state: MapState) -> str:
        """A short line saying how this map's probe decodes (or why it does not)."""
        fit = state.fit
        if fit is None:
            return ""
        if fit.projection.exact_inverse:
            return "exact inverse" if fit.setup.source == "inputs" else "decoder at the code"
        if self._model.gan is not None:
            return "a GAN's codes cannot be interpolated here"
        if self.knn_for(state) is None:
            return "needs a model: train one to decode here"
        return f"decoder at the IDW mean of the {KNN_K} nearest codes"


def fit_job(spec: proj.ProjectionSpec, x: np.ndarray, seed: int, codes: np.ndarray | None,
            control: JobControl) -> tuple[proj.FittedProjection, PointIndex, KNNInverse | None]:
    """A projection's job: the fit, its points' spatial index and the kNN decoder on it (so
    that no hover, lasso or drag waits for them)."""
    from threadpoolctl import threadpool_limits

    # Leave a core to the GUI; BLAS/OpenMP threads beyond the free cores make t-SNE and UMAP
    # many times slower (30× measured on 2 cores).
    with threadpool_limits(limits=training_cpu_threads()):
        fitted = proj.fit_projection(spec, x, seed=seed, cancel=control.cancel_event,
                                     progress=control.report)
    index = PointIndex(fitted.coords)
    knn = None if fitted.exact_inverse or codes is None else KNNInverse(index, codes, k=KNN_K)
    return fitted, index, knn
