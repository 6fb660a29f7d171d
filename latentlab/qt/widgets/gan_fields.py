"""The image GAN form's objective and stabiliser fields, and progressive growing's group, with
tooltips saying what each does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from latentlab.config import ConfigError, ModelConfig, parse_int_list
from latentlab.config_progan import stages_text
from latentlab.core.models.form_values import WGAN_GP_WEIGHT

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


class InfoCodeFields:
    """InfoGAN's code fields (categories K, continuous codes, λ, the noise's scale), shown from
    and read into a ModelConfig; out-of-range values stay enterable for the form to name."""

    def __init__(self, m: ModelConfig) -> None:
        self.categories = QSpinBox(minimum=0, maximum=100)
        self.categories.setToolTip("K classes of the categorical code (the paper: 10 for MNIST).")
        self.continuous = QSpinBox(minimum=0, maximum=16)
        self.continuous.setToolTip("Continuous codes, uniform on [−1, 1] in training.")
        self.info_weight = QDoubleSpinBox(minimum=-100.0, maximum=100.0, decimals=2,
                                          singleStep=0.1)
        self.info_weight.setToolTip("λ: weight of the mutual-information term.")
        self.noise_scale = QDoubleSpinBox(minimum=-10.0, maximum=100.0, decimals=2,
                                          singleStep=0.1)
        self.noise_scale.setToolTip(
            "The noise's scale beside the codes in G's input. Below 1 the one-hot category is\n"
            "not drowned by the noise's many dimensions, so G must use it to reach the data's\n"
            "classes (ClusterGAN's small noise): the category becomes the digit sooner.")
        self.show(m)

    def rows(self) -> list[tuple[str, QWidget]]:
        return [("Categories K", self.categories), ("Continuous codes", self.continuous),
                ("Information weight λ", self.info_weight), ("Noise scale", self.noise_scale)]

    def show(self, m: ModelConfig) -> None:
        self.categories.setValue(m.n_categories)
        self.continuous.setValue(m.n_continuous)
        self.info_weight.setValue(m.info_weight)
        self.noise_scale.setValue(m.noise_scale)

    def values(self) -> dict[str, float | int]:
        return {"n_categories": self.categories.value(),
                "n_continuous": self.continuous.value(),
                "info_weight": self.info_weight.value(),
                "noise_scale": self.noise_scale.value()}


class ProganFields:
    """Progressive growing's group: the stages (empty: the data's default ladder) and its two
    switches, shown from and read into a ModelConfig; ``on_change`` follows every edit."""

    def __init__(self, m: ModelConfig, on_change: Callable[[], Any]) -> None:
        self.stages = QLineEdit()
        self.stages.setPlaceholderText("empty: the data's default")
        self.stages.setToolTip(
            "The sides G and D grow through, each double the last, ending at the data's side,\n"
            "e.g. 7, 14, 28 for 28×28 images or 4, 8, 16, 32 for 32×32. Empty: halve the\n"
            "data's side while it stays even and at least 4. The run's steps are split evenly\n"
            "among the stages; each new stage fades its layers in over its first half.")
        self.minibatch_std = QCheckBox("Minibatch standard deviation")
        self.minibatch_std.setToolTip(
            "D's last block also sees one feature map: the batch's standard deviation of each\n"
            "feature at each pixel, averaged. A collapsed batch of samples has little spread.")
        self.pixel_norm = QCheckBox("Pixel-wise feature normalisation")
        self.pixel_norm.setToolTip(
            "G divides each pixel's feature vector by its root mean square after every hidden\n"
            "layer, so its signals cannot escalate while G and D compete.")
        self.box = QGroupBox("Progressive growing")
        form = QFormLayout(self.box)
        form.addRow("Stages", self.stages)
        form.addRow(self.minibatch_std)
        form.addRow(self.pixel_norm)
        self.show(m)
        self.stages.textChanged.connect(on_change)
        self.minibatch_std.toggled.connect(on_change)
        self.pixel_norm.toggled.connect(on_change)

    def show(self, m: ModelConfig) -> None:
        self.stages.setText(stages_text(m.stages))
        self.minibatch_std.setChecked(m.minibatch_std)
        self.pixel_norm.setChecked(m.pixel_norm)

    def values(self, problems: list[str]) -> dict[str, Any]:
        """The fields as ModelConfig settings; a stage list that is not numbers goes to
        ``problems``, named."""
        try:
            stages = parse_int_list(self.stages.text(), "Stages")
        except ConfigError as exc:
            problems += exc.problems
            stages = ()
        return {"stages": stages, "minibatch_std": self.minibatch_std.isChecked(),
                "pixel_norm": self.pixel_norm.isChecked()}
