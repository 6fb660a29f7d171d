"""The UMAP autoencoder: parametric UMAP with a decoder (Sainburg, McInnes & Gentner 2021).

The encoder's codes are trained with UMAP's cross-entropy on the training items' fuzzy
neighbour graph, the decoder with the reconstruction loss, both at once:

    loss = reconstruction per item + umap_weight · UMAP cross-entropy per sampled edge

umap-learn builds the graph (``fuzzy_simplicial_set``) and fits the curve q(d) = 1 / (1 + a·d^2b)
to ``min_dist``; everything trained is PyTorch. Each step samples edges in proportion to their
membership strength (as UMAP's epochs_per_sample does), pulls their ends together, and pushes
each head away from ``NEGATIVES_PER_EDGE`` tails of other edges (negative sampling). New items
are placed by the encoder; the decoder decodes any point of the map exactly.
"""

from __future__ import annotations

import numpy as np
import torch

from latentlab.config import ModelConfig
from latentlab.core.data.pixels import tensor_images
from latentlab.core.maps.nonlinear import _configure_numba_cache
from latentlab.core.models.autoencoder import Autoencoder

#: Edges sampled per training step (Sainburg et al. train on batches of 1,000 edges).
EDGES_PER_STEP = 1024
#: Negative samples per positive edge (UMAP's negative_sample_rate).
NEGATIVES_PER_EDGE = 5
#: Keeps log q and log (1 − q) finite where q reaches 0 or 1.
_EPS = 1e-4


def curve_parameters(min_dist: float, spread: float = 1.0) -> tuple[float, float]:
    """UMAP's (a, b): q(d) = 1 / (1 + a·d^2b) fitted to 1 below ``min_dist``, exp(−d) beyond."""
    # numba's compiled code goes to the user cache, as for every UMAP here: set before import.
    _configure_numba_cache()
    from umap.umap_ import find_ab_params  # umap imports numba: only when a model trains

    a, b = find_ab_params(spread, min_dist)
    return float(a), float(b)


def fuzzy_graph(x: np.ndarray, n_neighbors: int, seed: int) -> tuple[np.ndarray, np.ndarray,
                                                                     np.ndarray]:
    """(heads, tails, weights) of the symmetrised fuzzy neighbour graph of the rows of ``x``."""
    _configure_numba_cache()
    from umap.umap_ import fuzzy_simplicial_set

    n_neighbors = min(n_neighbors, len(x) - 1)
    graph = fuzzy_simplicial_set(x.reshape(len(x), -1), n_neighbors,
                                 np.random.RandomState(seed), "euclidean")[0].tocoo()
    keep = graph.data > 0
    return graph.row[keep], graph.col[keep], graph.data[keep].astype(np.float32)


def umap_cross_entropy(head: torch.Tensor, tail: torch.Tensor, negative_tail: torch.Tensor,
                       a: float, b: float) -> torch.Tensor:
    """UMAP's cross-entropy per positive edge: −log q(d(head, tail)) for the sampled edges and
    −log(1 − q) for each head against its negative tails (``negative_tail`` holds
    NEGATIVES_PER_EDGE rows per head, in order)."""
    def q(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        d2 = (u - v).pow(2).sum(1)
        return 1.0 / (1.0 + a * d2.clamp_min(1e-12).pow(b))

    attract = -torch.log(q(head, tail).clamp(_EPS, 1.0))
    heads = head.repeat_interleave(len(negative_tail) // len(head), dim=0)
    repel = -torch.log((1.0 - q(heads, negative_tail)).clamp(_EPS, 1.0))
    return attract.mean() + repel.view(len(head), -1).sum(1).mean()


class UmapAutoencoder(Autoencoder):
    """An autoencoder whose 2-D (or any) codes follow UMAP's neighbour graph of the train split.

    ``prepare_training`` builds the graph once; ``losses`` on items alone (the held-out curve)
    is the reconstruction, as held-out items have no place in the training graph.
    """

    loss_terms = ("loss", "recon", "umap")

    def __init__(self, cfg: ModelConfig, input_shape: tuple[int, int, int]) -> None:
        super().__init__(cfg, input_shape)
        # The graph and the curve are training state, not weights: plain attributes stay out of
        # checkpoints (and building the model for a checkpoint never imports umap).
        self._curve: tuple[float, float] | None = None
        self._x_train: torch.Tensor | None = None
        self._edges: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None

    def prepare_training(self, x_train: torch.Tensor, side: torch.Tensor | None = None) -> None:
        if len(x_train) < 3:
            raise ValueError("The UMAP autoencoder needs at least three training items.")
        self._curve = curve_parameters(self.cfg.umap_min_dist)
        seed = int(torch.randint(0, 2**31 - 1, (1,)))  # follows the run's seed
        heads, tails, weights = fuzzy_graph(tensor_images(x_train).cpu().numpy(),
                                            self.cfg.umap_neighbors, seed)
        # On the model's device even when the trainer keeps a large split in host memory.
        device = next(self.parameters()).device
        self._x_train = x_train.to(device)
        self._edges = (torch.from_numpy(heads.astype(np.int64)).to(device),
                       torch.from_numpy(tails.astype(np.int64)).to(device),
                       torch.from_numpy(weights).to(device))

    def losses(self, x: torch.Tensor,
               lengths: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        return {"recon": self.reconstruction(x, lengths).mean()}

    def training_losses(self, x: torch.Tensor,
                        lengths: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        if self._edges is None or self._x_train is None or self._curve is None:
            raise RuntimeError("UmapAutoencoder: prepare_training was not called.")
        heads, tails, weights = self._edges
        n = min(EDGES_PER_STEP, len(weights))
        picked = torch.multinomial(weights, n, replacement=True)
        ends = self.encoder(tensor_images(torch.cat([self._x_train[heads[picked]],
                                                     self._x_train[tails[picked]]])))
        head, tail = ends[:n], ends[n:]
        # Negatives: other edges' tails, drawn at random (Sainburg et al. shuffle the batch).
        negative = tail[torch.randint(0, n, (n * NEGATIVES_PER_EDGE,), device=tail.device)]
        umap = umap_cross_entropy(head, tail, negative, *self._curve)
        recon = self.reconstruction(x, lengths).mean()
        return {"loss": recon + self.cfg.umap_weight * umap, "recon": recon, "umap": umap}
