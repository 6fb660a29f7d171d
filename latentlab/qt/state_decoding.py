"""Decoding at a probe on a chosen projection: exactly through a linear map's inverse, else
by interpolating the codes of the nearest map points. Mixed into LabState (with the maps)."""

from __future__ import annotations

import numpy as np
import torch

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


class DecodingStateMixin:
    """What the probe of a map showing a projection decodes to, and how."""

    def _decode_projection(self, map_id: str, xy: np.ndarray) -> np.ndarray | None:
        """What the probe of a map showing a projection decodes to (None: nothing to show)."""
        fit = self.map_fits.get(map_id)
        if fit is None or self.dataset is None:
            return None
        setup, fitted, _codes = fit
        if fitted.exact_inverse:
            values = np.asarray(fitted.inverse(xy), np.float32)
            if setup.source == "inputs":
                return values.reshape(self.dataset.input_shape)
            code = values.reshape(1, -1)
        else:
            knn = self._knn_for(map_id)
            if knn is None:
                return None
            code = np.asarray(knn(xy[0]), np.float32).reshape(1, -1)
        if self.live_model is None or self.gan is not None:
            return None
        with torch.inference_mode():
            return self.live_model.decode(torch.from_numpy(code))[0].numpy()

    def _knn_for(self, map_id: str):
        """The kNN inverse of a UMAP/t-SNE map: the codes it was fitted on, or the live codes."""
        from latentlab.core.maps.inverse import KNNInverse
        _setup, fitted, codes = self.map_fits[map_id]
        if codes is None:
            codes = self.codes
        if codes is None or self.gan is not None or len(codes) != len(fitted.coords):
            return None
        cached = self._knn_cache.get(map_id)
        if cached is not None and cached[0] == id(codes):
            return cached[1]
        if cached is not None:
            # New codes (a map of the inputs while a model trains): the map and its KD-tree stay.
            knn = cached[1]
            knn.codes = np.asarray(codes, np.float32).reshape(len(codes), -1)
            self._knn_cache[map_id] = (id(codes), knn)
            return knn
        knn = KNNInverse(np.asarray(fitted.coords), np.asarray(codes), k=KNN_K)
        self._knn_cache[map_id] = (id(codes), knn)
        return knn

    def decode_status(self, map_id: str) -> str:
        """A short line saying how this map's probe decodes (or why it does not)."""
        fit = self.map_fits.get(map_id)
        if fit is None:
            return ""
        setup, fitted, _ = fit
        if fitted.exact_inverse:
            return "exact inverse" if setup.source == "inputs" else "decoder at the code"
        if self.gan is not None:
            return "a GAN's codes cannot be interpolated here"
        if self._knn_for(map_id) is None:
            return "needs a model: train one to decode here"
        return f"decoder at the IDW mean of the {KNN_K} nearest codes"
