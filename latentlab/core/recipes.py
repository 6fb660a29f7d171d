"""The settings the app proposes for a model family and a kind of data: one place, measured.

``recommended_settings`` is what the training form shows (and its Recommended button puts
back) and what ``latentlab train`` starts from before its flags; ``benchmarks/quality.py``
measures them and the README states the figures. Each choice below says why it is there.
"""

from __future__ import annotations

from dataclasses import replace

from latentlab.config import (
    MODEL_FAMILIES,
    ConfigError,
    ModelConfig,
    TrainConfig,
)

DATA_KINDS = ("image", "text")


def recommended_settings(family: str, data_kind: str = "image",
                         input_shape: tuple[int, ...] | None = None
                         ) -> tuple[ModelConfig, TrainConfig]:
    """(model settings, training settings) that train ``family`` well on ``data_kind`` data.

    ``input_shape`` (C, H, W), when known, lets a recipe pick an architecture that fits the
    data. Raises ConfigError naming the field for an unknown family or data kind.
    """
    problems = []
    if family not in MODEL_FAMILIES:
        problems.append(f"Model type: unknown value {family!r}.")
    if data_kind not in DATA_KINDS:
        problems.append(f"Data kind: must be one of {', '.join(DATA_KINDS)} (got {data_kind!r}).")
    if problems:
        raise ConfigError(problems)
    if family in ("gan", "infogan"):
        return _gan(family, input_shape)
    if data_kind == "text":
        return _text(family)
    return _image(family)


def _image(family: str) -> tuple[ModelConfig, TrainConfig]:
    # Measured on 28×28 digits: an MLP with batch norm maps as well as the convolutional
    # net in a quarter of the time, so images of every size start with the MLP. Input dropout
    # (a denoising autoencoder) spreads the classes apart on the map and keeps the held-out
    # loss at the training loss; the cosine schedule settles the weights at the end.
    model = ModelConfig(family=family, architecture="mlp", hidden=(512, 256), latent_dim=2,
                        batch_norm=True, input_dropout=0.2)
    train = TrainConfig(epochs=100, batch_size=64, learning_rate=1e-3, lr_schedule="cosine")
    if family == "umap_ae":
        # Sainburg et al.'s small encoder, no batch norm: each step's batch is a set of graph
        # edges rather than a sample of items. Small batches give the graph more steps per
        # epoch; UMAP's term dominates, the decoder still learns as well as a plain AE's.
        model = replace(model, hidden=(256, 256), batch_norm=False, umap_weight=1000.0)
        train = replace(train, epochs=48, batch_size=32, learning_rate=3e-3)
    return model, train


def _text(family: str) -> tuple[ModelConfig, TrainConfig]:
    # Word dropout and weight decay keep a text model from memorising its documents; early
    # stopping keeps the epoch with the lowest held-out loss.
    model = ModelConfig(family=family, architecture="mlp", hidden=(512, 128), latent_dim=2,
                        likelihood="multinomial", batch_norm=True, input_dropout=0.5)
    train = TrainConfig(epochs=60, batch_size=64, learning_rate=1e-3, weight_decay=0.01,
                        early_stopping=8)
    if family == "umap_ae":
        model = replace(model, batch_norm=False, umap_weight=1000.0)
        train = replace(train, epochs=48, batch_size=32, learning_rate=3e-3, early_stopping=0)
    return model, train


def _gan(family: str, input_shape: tuple[int, ...] | None) -> tuple[ModelConfig, TrainConfig]:
    # Chen et al.'s MNIST set-up (the dataclass defaults): the MLP nets, Adam β₁ = 0.5,
    # 2e-4 for D and 1e-3 for G.
    return ModelConfig(family=family), TrainConfig()


__all__ = ["DATA_KINDS", "recommended_settings"]
