"""The image GAN form's objective and stabiliser fields, with tooltips saying what each does."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox

from latentlab.config import ModelConfig
from latentlab.core.models.gan_objectives import INSTANCE_NOISE_STEPS, WGAN_GP_WEIGHT

GAN_LOSS_TIP = (
    "Non-saturating: minimise −log D(G(z)), the flipped-target heuristic with strong\n"
    "early gradients. Saturating: minimise log(1 − D(G(z))), the minimax objective\n"
    "itself, whose gradient vanishes while D rejects the samples.\n"
    "Least squares (Mao et al.): D regresses real → 1, fake → 0; G pulls D(G(z)) to 1.\n"
    "Hinge: D minimises max(0, 1 − D(x)) + max(0, 1 + D(G(z))); G minimises −D(G(z)).\n"
    "WGAN-GP (Gulrajani et al.): D is a critic of the Wasserstein distance, its\n"
    f"gradient held near norm 1 on interpolates (λ = {WGAN_GP_WEIGHT:g})."
)


def remedy_widgets(m: ModelConfig) -> tuple[QDoubleSpinBox, QDoubleSpinBox, QSpinBox]:
    """(R1 γ, instance noise σ, minibatch features); negative values stay enterable so the
    form can name them as problems."""
    r1 = QDoubleSpinBox(minimum=-1.0, maximum=100_000.0, value=m.r1, decimals=2, singleStep=1.0)
    r1.setToolTip("R1 γ (Mescheder et al.): penalise γ/2·‖∇D‖² at real images, so D\n"
                  "stays smooth where the data is and training converges. 0 = off.")
    noise = QDoubleSpinBox(minimum=-1.0, maximum=1000.0, value=m.instance_noise, decimals=2,
                           singleStep=0.05)
    noise.setToolTip(
        "Instance noise σ: Gaussian noise on every image D sees (real and generated, in\n"
        "[−1, 1]), so the two overlap and D cannot separate them perfectly. σ falls\n"
        f"linearly to 0 over the first {INSTANCE_NOISE_STEPS:,} D steps. 0 = off.")
    minibatch = QSpinBox(minimum=-1, maximum=100_000, value=m.minibatch_features)
    minibatch.setToolTip(
        "Minibatch discrimination (Salimans et al.): D also sees how close each image is\n"
        "to the rest of its batch, so a collapsed batch of samples gives itself away.\n"
        "Number of such features; 0 = off.")
    return r1, noise, minibatch
