"""The image GAN form's objective and stabiliser fields, with tooltips saying what each does."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox, QWidget

from latentlab.config import ModelConfig
from latentlab.core.models.gan_objectives import WGAN_GP_WEIGHT

GAN_LOSS_TIP = (
    "Non-saturating: minimise −log D(G(z)), the flipped-target heuristic with strong\n"
    "early gradients. Saturating: minimise log(1 − D(G(z))), the minimax objective\n"
    "itself, whose gradient vanishes while D rejects the samples.\n"
    "Least squares (Mao et al.): D regresses real → 1, fake → 0; G pulls D(G(z)) to 1.\n"
    "Hinge: D minimises max(0, 1 − D(x)) + max(0, 1 + D(G(z))); G minimises −D(G(z)).\n"
    "WGAN-GP (Gulrajani et al.): D is a critic of the Wasserstein distance, its\n"
    f"gradient held near norm 1 on interpolates (λ = {WGAN_GP_WEIGHT:g})."
)


class GanRemedyFields:
    """The stabilisers' fields (R1 γ, instance noise σ, minibatch features, unrolled D steps),
    shown from and read into a ModelConfig; negative values stay enterable so the form can
    name them as problems."""

    def __init__(self, m: ModelConfig) -> None:
        self.r1 = QDoubleSpinBox(minimum=-1.0, maximum=100_000.0, decimals=2, singleStep=1.0)
        self.r1.setToolTip("R1 γ (Mescheder et al.): penalise γ/2·‖∇D‖² at real images, so D\n"
                           "stays smooth where the data is and training converges. 0 = off.")
        self.instance_noise = QDoubleSpinBox(minimum=-1.0, maximum=1000.0, decimals=2,
                                             singleStep=0.05)
        self.instance_noise.setToolTip(
            "Instance noise σ: Gaussian noise on every image D sees (real and generated, in\n"
            "[−1, 1]), so the two overlap and D cannot separate them perfectly. σ falls\n"
            "linearly to 0 over the run. 0 = off.")
        self.minibatch_features = QSpinBox(minimum=-1, maximum=100_000)
        self.minibatch_features.setToolTip(
            "Minibatch discrimination (Salimans et al.): D also sees how close each image is\n"
            "to the rest of its batch, so a collapsed batch of samples gives itself away.\n"
            "Number of such features; 0 = off.")
        self.unrolled = QSpinBox(minimum=-1, maximum=1000)
        self.unrolled.setToolTip(
            "Unrolled D (Metz et al.): G's loss is taken against D after k more steps of\n"
            "D's optimiser on the batch, back-propagated through them, so G cannot chase\n"
            "one mode that D would reject next. Each step costs about two D steps. 0 = off.")
        self.show(m)

    def rows(self) -> list[tuple[str, QWidget]]:
        return [("R1 penalty γ", self.r1), ("Instance noise σ", self.instance_noise),
                ("Minibatch features", self.minibatch_features),
                ("Unrolled D steps k", self.unrolled)]

    def show(self, m: ModelConfig) -> None:
        self.r1.setValue(m.r1)
        self.instance_noise.setValue(m.instance_noise)
        self.minibatch_features.setValue(m.minibatch_features)
        self.unrolled.setValue(m.unrolled)

    def values(self) -> dict[str, float | int]:
        return {"r1": self.r1.value(), "instance_noise": self.instance_noise.value(),
                "minibatch_features": self.minibatch_features.value(),
                "unrolled": self.unrolled.value()}
