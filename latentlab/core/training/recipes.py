"""The settings the app proposes for a model family and a kind of data: one place, measured.

``recommended_settings`` is what the training form shows (and its Recommended button puts
back) and what ``latentlab train`` starts from before its flags; ``benchmarks/quality.py``
measures them and the README states the figures. Each choice below says why it is there.
"""

from __future__ import annotations

from dataclasses import replace

from latentlab.config import (
    GAN_FAMILIES,
    MODEL_FAMILIES,
    ConfigError,
    ModelConfig,
    TrainConfig,
    dcgan_builds,
)

DATA_KINDS = ("image", "text")
#: 10 minutes on two idle CPU cores for 4,000 28×28 images (10.1 s an epoch).
INFOGAN_DCGAN_EPOCHS = 60


def recommended_settings(family: str, data_kind: str = "image",
                         input_shape: tuple[int, ...] | None = None, latent_dim: int = 2
                         ) -> tuple[ModelConfig, TrainConfig]:
    """(model settings, training settings) that train ``family`` well on ``data_kind`` data,
    with codes of ``latent_dim`` dimensions (2: a map).

    ``input_shape`` (C, H, W), when known, lets a recipe pick an architecture that fits the
    data. Raises ConfigError naming the field for an unknown family or data kind, or text for
    pix2pix (it translates images).
    """
    problems = []
    if family not in MODEL_FAMILIES:
        problems.append(f"Model type: unknown value {family!r}.")
    if data_kind not in DATA_KINDS:
        problems.append(f"Data kind: must be one of {', '.join(DATA_KINDS)} (got {data_kind!r}).")
    if problems:
        raise ConfigError(problems)
    if family == "progan":
        return _progan()
    if family in GAN_FAMILIES:
        return _gan(family, input_shape)
    if family == "pix2pix":
        return _pix2pix(data_kind)
    if family == "cyclegan":
        return _cyclegan(data_kind)
    if data_kind == "text":
        model, train = _text(family)
    else:
        model, train = _image(family, latent_dim)
    return replace(model, latent_dim=latent_dim), train


def _image(family: str, latent_dim: int) -> tuple[ModelConfig, TrainConfig]:
    # Measured on the MNIST sample (held-out 1-NN of the 2-D map). Hinton & Salakhutdinov's
    # widths, 784-1000-500-250, map better than 512-256: the AE 0.742-0.748 over three seeds
    # at 100 epochs against 0.678, and 0.760 at 150 epochs; the convolutional net did no
    # better (0.62 at 40-60 epochs) in four times the time, and ELU or tanh units worse (0.54,
    # 0.63). Batch norm, input dropout 0.2 (a denoising autoencoder: 0.1 gave 0.717) and the
    # cosine schedule as measured before.
    model = ModelConfig(family=family, architecture="mlp", hidden=(1000, 500, 250),
                        latent_dim=2, batch_norm=True, input_dropout=0.2)
    train = TrainConfig(epochs=150, batch_size=64, learning_rate=1e-3, lr_schedule="cosine")
    if family in ("vae", "cvae"):
        # The VAE without batch norm: with 512-256 and 40 epochs it lowered the 1-NN (0.63
        # against 0.67, and dropout 0.62). The wider net needs longer and then overfits: 0.661
        # at 40 epochs, 0.702 at 100, 0.745 at 100 with input dropout 0.2 (β = 0.5: 0.63).
        model = replace(model, batch_norm=False)
    if family == "umap_ae":
        # Each step also encodes both ends of 1,024 graph edges: a smaller encoder, and no batch
        # norm (a batch of edge ends is not a sample of items). Small item batches give the graph
        # more steps per epoch; UMAP's term dominates, and the decoder still reconstructs as
        # well as a plain AE's. Input dropout lifted the held-out 1-NN from 0.72 to 0.81 here:
        # the encoder places unseen items better. The graph wants many edge samples: 60
        # epochs took the held-out 1-NN from 0.809 and 0.744 (30 epochs, seeds 0 and 1) to
        # 0.847 and 0.823.
        model = replace(model, hidden=(256, 256), batch_norm=False, umap_weight=1000.0)
        train = replace(train, epochs=60, batch_size=32, learning_rate=3e-3)
    if family == "ae" and latent_dim > 2:
        # Codes of more than two dimensions are for reconstructing, not for a map: input
        # dropout cost error there and width helped. 30-D codes on the MNIST sample, held-out
        # error against PCA-30's: 0.477 × with the map's settings, 0.450 × without dropout,
        # 0.426–0.431 × (3 seeds) also with layers of 1,024 and 512, at 100 epochs (200
        # overfit the 4,000 images).
        model = replace(model, hidden=(1024, 512), input_dropout=0.0)
        train = replace(train, epochs=100)
    return model, train


def _text(family: str) -> tuple[ModelConfig, TrainConfig]:
    # Word dropout (half the words of each document, a new half every time) and weight decay
    # keep a text model from memorising its documents: without them the held-out loss ended
    # well above the training loss. The cosine schedule settles the map; early stopping is a
    # safeguard that keeps the best epoch when the held-out loss climbs for 15 epochs.
    model = ModelConfig(family=family, architecture="mlp", hidden=(512, 128), latent_dim=2,
                        likelihood="multinomial", batch_norm=True, input_dropout=0.5)
    train = TrainConfig(epochs=60, batch_size=64, learning_rate=1e-3, lr_schedule="cosine",
                        weight_decay=0.01, early_stopping=15)
    if family == "umap_ae":
        model = replace(model, batch_norm=False, umap_weight=1000.0)
        train = replace(train, epochs=30, batch_size=32, learning_rate=3e-3, early_stopping=0)
    return model, train


def _gan(family: str, input_shape: tuple[int, ...] | None) -> tuple[ModelConfig, TrainConfig]:
    # Chen et al.'s MNIST set-up (the dataclass defaults): Adam β₁ = 0.5, 2e-4 for D and 1e-3
    # for G, MLP nets where the DCGAN cannot build the images.
    if family == "infogan" and input_shape is not None and dcgan_builds(input_shape):
        return _infogan_dcgan()
    # An MLP InfoGAN's category keeps aligning with the classes long after its information
    # term has saturated (held-out accuracy on the MNIST sample: 0.35 after 40 epochs, 0.56
    # after 200, no better by 300), and an MLP epoch is short.
    epochs = 200 if family == "infogan" else TrainConfig().epochs
    return ModelConfig(family=family), TrainConfig(epochs=epochs)


def _infogan_dcgan() -> tuple[ModelConfig, TrainConfig]:
    # Measured on the MNIST sample (Hungarian-matched held-out accuracy of Q's category, one
    # CPU thread). The MLP's samples read as digits by category (a label classifier agreed on
    # 63-70 % of them) while Q read real digits at only 0.31-0.42: Q keyed on the MLP's own
    # pixels. With the paper's convolutional nets Q reads real digits as it reads samples
    # (0.57 after 12 epochs). Smaller noise (ClusterGAN's: the one-hot code is not drowned by
    # 62 noise dimensions) makes the category the digit: at 0.3 of its scale 0.63 by epoch 12,
    # with λ = 2 0.68 by epoch 20; at 0.1 with λ = 2, 0.81 by epoch 24 and 0.93 by epoch 40.
    # Q on D's body trained by the information term too (the paper's sharing) and random
    # shifts of what D sees (DiffAugment) did worse: 0.20-0.29 and 0.63 by epoch 20-24.
    return (ModelConfig(family="infogan", architecture="conv", info_weight=2.0,
                        noise_scale=0.1),
            TrainConfig(epochs=INFOGAN_DCGAN_EPOCHS))


def _progan() -> tuple[ModelConfig, TrainConfig]:
    # Measured on the MNIST sample (7 → 14 → 28, seed 0, one busy CPU thread, Fréchet distance
    # of 5,000 samples, floor 5.5): after 12 epochs the GAN defaults (non-saturating, G 1e-3,
    # D 2e-4) reached 191; G at 2e-4, 107; least squares, 103; both, 69 — least squares with
    # 1e-3 for both nets collapsed onto one class (3,176), and batches of 32 gave 184. 20
    # epochs of the chosen settings (about 4 minutes) reached 39, all 10 classes; 30, 41.
    # The switches earn their place: without minibatch std 74, without pixel norm 2,173.
    return (ModelConfig(family="progan", architecture="conv", gan_loss="least_squares"),
            TrainConfig(epochs=20, batch_size=64, learning_rate=2e-4, d_learning_rate=2e-4))


def _pix2pix(data_kind: str) -> tuple[ModelConfig, TrainConfig]:
    if data_kind == "text":
        raise ConfigError(["Data kind: pix2pix translates images, not text."])
    # The paper's settings (the dataclass defaults): λ = 100, the non-saturating loss, Adam at
    # 2e-4 with β₁ = 0.5 for both nets. It trains with batches of 1 to 10; 16 keeps the
    # epochs short on a CPU. Measured on one busy CPU thread: an epoch of 4,000 28×28 images
    # takes about 15 s (250 steps), so 20 epochs take about 5 minutes, less with more threads;
    # on the digits scaled to 28×28 (edges) the held-out L1 per pixel is 0.038 after 10 of
    # them, a tenth of the edge maps' own.
    model = ModelConfig(family="pix2pix")
    return model, TrainConfig(epochs=20, batch_size=16, learning_rate=2e-4,
                              d_learning_rate=2e-4)


def _cyclegan(data_kind: str) -> tuple[ModelConfig, TrainConfig]:
    if data_kind == "text":
        raise ConfigError(["Data kind: CycleGAN translates images, not text."])
    # The paper's settings: least squares, λ = 10, identity at 0.5·λ, Adam at 2e-4 with
    # β₁ = 0.5 for all four nets; it trains with batches of 1, 16 keeps the epochs short here.
    return (ModelConfig(family="cyclegan", gan_loss="least_squares"),
            TrainConfig(epochs=10, batch_size=16, learning_rate=2e-4, d_learning_rate=2e-4))


__all__ = ["DATA_KINDS", "recommended_settings"]
