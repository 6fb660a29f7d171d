"""Settings as plain dataclasses: one per concern, JSON-friendly, validated in one place.

The GUI's form and the core read the same ``validate`` so a bad value is refused with the same
message wherever it is entered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from latentlab.config_base import ConfigError, JsonSettings, parse_int_list, too_large
from latentlab.config_progan import progan_problems
from latentlab.config_train import DEVICES, LR_SCHEDULES, PRECISIONS, TrainConfig

MODEL_FAMILIES = {"ae": "Autoencoder", "vae": "Variational autoencoder",
                  "umap_ae": "UMAP autoencoder", "gan": "GAN", "infogan": "InfoGAN",
                  "cgan": "Conditional GAN", "cvae": "Conditional VAE", "pix2pix": "pix2pix",
                  "cyclegan": "CycleGAN", "progan": "Progressive GAN"}
#: The image translators: no codes, so they train and open in workspaces of their own.
TRANSLATOR_FAMILIES = ("pix2pix", "cyclegan")
#: The families that train on each item's class and generate the class asked for.
CONDITIONAL_FAMILIES = ("cgan", "cvae")
#: The noise-based GANs (a generator of samples from noise); pix2pix translates given images.
GAN_FAMILIES = ("gan", "infogan", "cgan", "progan")
#: The families the latent-map workspace trains and opens. The translators have no codes to
#: map: the Image translation workspace trains and opens pix2pix, the Unpaired translation
#: workspace CycleGAN (and the command line both).
WINDOW_FAMILIES = {k: v for k, v in MODEL_FAMILIES.items() if k not in TRANSLATOR_FAMILIES}
#: Why the latent-map workspace refuses a checkpoint of a family outside WINDOW_FAMILIES.
NOT_IN_WINDOW = ("the window's latent maps need codes, and it has none; open it in View → "
                 "Image translation (pix2pix) or Unpaired translation (CycleGAN)")
#: pix2pix's paired tasks, made on the fly from any image (``core.models.paired_tasks``), or
#: the user's own pairs (a dataset loaded with ``pairs``).
PAIRED_TASKS = {"edges": "edge map → image",
                "inpaint": "image with its centre hidden → image",
                "superres": "image at a quarter of its width and height → image",
                "colour": "grey image → colour image (RGB data only)",
                "pairs": "your own A → B pairs (data loaded with pairs)"}
ARCHITECTURES = {"mlp": "MLP", "conv": "Convolutional", "linear": "Linear (no nonlinearity)"}
LIKELIHOODS = {"bernoulli": "Bernoulli", "gaussian": "Gaussian",
               "multinomial": "Multinomial (word distributions)"}
GAN_LOSSES = {"non_saturating": "Non-saturating", "saturating": "Saturating",
              "least_squares": "Least squares", "hinge": "Hinge", "wgan_gp": "WGAN-GP"}
#: Image sides the DCGAN generator builds (two stride-2 stages from a 7×7 or 8×8 start).
DCGAN_SIDES = (28, 32)


def dcgan_builds(input_shape: tuple[int, ...]) -> bool:
    """Whether the DCGAN builds images of ``input_shape`` (C, H, W): square, of DCGAN_SIDES."""
    return len(input_shape) == 3 and input_shape[1] == input_shape[2] in DCGAN_SIDES

#: Smallest image side the convolutional architecture accepts (two stride-2 stages).
MIN_CONV_SIDE = 16
#: Smallest image side pix2pix's U-Net and PatchGAN are built for.
MIN_PIX2PIX_SIDE = 8

# Upper bounds: far above any model that trains on a laptop, low enough that a typo or a
# hostile file is refused with a message instead of an allocator failing (or a loop over a
# million layers). Whether a model fits in memory is checked against the budget separately.
MAX_LATENT = 4096
MAX_WIDTH = 16384
MAX_LAYERS = 32
MAX_CONV_CHANNELS = 4096
MAX_CONV_STAGES = 8
MAX_NOISE = 4096
MAX_DCGAN_WIDTH = 4096
MAX_CATEGORIES = 1000
MAX_CONTINUOUS = 64
MAX_D_STEPS = 100
MAX_R1 = 10_000
#: Images are in [−1, 1] on D's side: a σ far above 1 only hides them.
MAX_INSTANCE_NOISE = 100
MAX_MINIBATCH_FEATURES = 1024
#: Each unrolled step costs about a D step and its second derivatives.
MAX_UNROLLED = 20
MAX_UMAP_NEIGHBORS = 1000
#: pix2pix's λ: the paper's 100, a hundredfold over it, is already an L1-only model.
MAX_L1_WEIGHT = 10_000


@dataclass(frozen=True)
class ModelConfig(JsonSettings):
    family: str = "ae"
    architecture: str = "mlp"
    hidden: tuple[int, ...] = (256, 128)
    latent_dim: int = 2
    conv_channels: tuple[int, ...] = (32, 64)
    likelihood: str = "bernoulli"
    beta: float = 1.0
    #: Batch normalisation in the hidden layers of an AE's or VAE's encoder and decoder.
    batch_norm: bool = False
    #: Share of input entries dropped while training (a denoising regulariser; 0 = none).
    input_dropout: float = 0.0
    # UMAP autoencoder (parametric UMAP with a decoder, Sainburg, McInnes & Gentner 2021).
    #: Weight of UMAP's cross-entropy against the reconstruction loss (per item).
    umap_weight: float = 1000.0
    umap_neighbors: int = 15
    umap_min_dist: float = 0.1
    # GAN and InfoGAN (Chen et al. 2016's MNIST set-up by default).
    gan_loss: str = "non_saturating"
    noise_dim: int = 62
    n_categories: int = 10
    n_continuous: int = 2
    info_weight: float = 1.0
    #: InfoGAN's noise is scaled by this before G sees it, beside the codes (1: as drawn).
    noise_scale: float = 1.0
    #: Width of a convolutional GAN's (DCGAN, InfoGAN) fully connected layer in G and D.
    dcgan_width: int = 1024
    d_steps: int = 1
    #: R1 penalty γ on D's gradient at real images (Mescheder et al. 2018); 0 = off.
    r1: float = 0.0
    #: σ of the Gaussian noise added to every image D sees, annealed linearly to 0; 0 = off.
    instance_noise: float = 0.0
    #: Minibatch discrimination features on D's last hidden layer (Salimans et al. 2016); 0 = off.
    minibatch_features: int = 0
    #: k steps of D unrolled in G's objective (Metz et al. 2017); 0 = off.
    unrolled: int = 0
    # pix2pix (Isola et al. 2017): image-to-image translation on pairs made from each image.
    #: Which pair: one of PAIRED_TASKS.
    task: str = "edges"
    #: λ of the generator's objective, adversarial + λ·L1 (the paper's 100).
    l1_weight: float = 100.0
    #: False trains the same U-Net on the L1 term alone (the paper's blurry baseline).
    adversarial: bool = True
    # CycleGAN (Zhu et al. 2017): unpaired translation between two domains.
    #: λ of the cycle-consistency term (the paper's 10).
    cycle_weight: float = 10.0
    #: The identity term's weight as a share of λ (the paper's 0.5); 0 = off.
    identity_weight: float = 0.5
    # Progressive growing (Karras et al. 2018): G and D grow from low resolution in stages.
    #: The sides of the stages, ending at the data's (empty: ``config_progan.default_stages``).
    stages: tuple[int, ...] = ()
    #: D's last block also sees the batch's mean standard deviation as one feature map.
    minibatch_std: bool = True
    #: G divides each pixel's feature vector by its root mean square.
    pixel_norm: bool = True

    @property
    def is_gan(self) -> bool:
        return self.family in GAN_FAMILIES

    def validate(self, input_shape: tuple[int, ...] | None = None) -> list[str]:
        """Readable problems with these settings (empty when they can be trained)."""
        problems: list[str] = []
        if self.family not in MODEL_FAMILIES:
            problems.append(f"Model type: unknown value {self.family!r}.")
        if self.architecture not in ARCHITECTURES:
            problems.append(f"Architecture: unknown value {self.architecture!r}.")
        # Bounds hold for every field, used or not: a checkpoint stores them all.
        problems += too_large("Noise size", self.noise_dim, MAX_NOISE)
        problems += too_large("DCGAN width", self.dcgan_width, MAX_DCGAN_WIDTH)
        if self.dcgan_width < 8:
            problems.append(f"DCGAN width: at least 8 (got {self.dcgan_width}).")
        problems += too_large("Categories K", self.n_categories, MAX_CATEGORIES)
        problems += too_large("Continuous codes", self.n_continuous, MAX_CONTINUOUS)
        problems += too_large("D steps per G step", self.d_steps, MAX_D_STEPS)
        problems += self._remedy_bounds()
        problems += too_large("UMAP neighbours", self.umap_neighbors, MAX_UMAP_NEIGHBORS)
        problems += too_large("Latent size", self.latent_dim, MAX_LATENT)
        problems += self._hidden_bounds() + self._conv_bounds() + self._pix2pix_bounds()
        if self.stages and self.family != "progan":
            problems.append("Stages: only the progressive GAN grows in stages; leave it empty.")
        if self.is_gan:
            return problems + self._gan_problems(input_shape)
        if self.family == "pix2pix":
            return problems + self._pix2pix_problems(input_shape)
        if self.family == "cyclegan":
            return problems + self._cyclegan_problems(input_shape)
        if self.latent_dim < 1:
            problems.append(f"Latent size: must be at least 1 (got {self.latent_dim}).")
        if self.architecture == "mlp":
            if not self.hidden:
                problems.append("Hidden sizes: give at least one layer width, e.g. 256, 128.")
            elif any(h < 1 for h in self.hidden):
                problems.append("Hidden sizes: every layer width must be a positive integer.")
        if self.architecture == "conv":
            if not self.conv_channels or any(c < 1 for c in self.conv_channels):
                problems.append("Conv channels: every channel count must be a positive integer.")
            if input_shape is not None:
                if len(input_shape) != 3:
                    problems.append("Architecture: convolutional models need image data.")
                elif min(input_shape[1:]) < MIN_CONV_SIDE:
                    h, w = input_shape[1:]
                    problems.append(
                        f"Architecture: convolutional models need images of at least "
                        f"{MIN_CONV_SIDE}×{MIN_CONV_SIDE}; this dataset's are {h}×{w}. "
                        "Use MLP or linear."
                    )
                elif self.conv_channels and min(input_shape[1:]) >> len(self.conv_channels) < 2:
                    h, w = input_shape[1:]
                    problems.append(
                        f"Conv channels: {len(self.conv_channels)} stride-2 stages shrink "
                        f"{h}×{w} images below 2×2; use fewer stages."
                    )
        if self.likelihood not in LIKELIHOODS:
            problems.append(f"Decoder likelihood: unknown value {self.likelihood!r}.")
        elif self.likelihood == "multinomial" and input_shape is not None \
                and tuple(input_shape[:2]) != (1, 1):
            problems.append("Decoder likelihood: multinomial is for word distributions (text "
                            "datasets), not images.")
        if self.family in ("vae", "cvae") and (not math.isfinite(self.beta) or self.beta < 0):
            problems.append(f"KL weight β: must be zero or positive (got {self.beta}).")
        if self.family == "cvae" and self.n_categories < 2:
            problems.append(f"Classes: a conditional VAE needs at least 2 classes "
                            f"(got {self.n_categories}).")
        if not 0 <= self.input_dropout < 1:
            problems.append(f"Input dropout: must lie in [0, 1) (got {self.input_dropout}).")
        if self.family == "umap_ae":
            problems += self._umap_problems()
        return problems

    def _hidden_bounds(self) -> list[str]:
        problems = too_large("Hidden sizes", len(self.hidden), MAX_LAYERS, " layers")
        widest = max(self.hidden, default=0)
        return problems + too_large("Hidden sizes", widest, MAX_WIDTH, " units a layer")

    def _conv_bounds(self) -> list[str]:
        problems = too_large("Conv channels", len(self.conv_channels), MAX_CONV_STAGES,
                              " stages")
        widest = max(self.conv_channels, default=0)
        return problems + too_large("Conv channels", widest, MAX_CONV_CHANNELS,
                                     " channels a stage")

    def _remedy_bounds(self) -> list[str]:
        problems: list[str] = []
        for label, value, limit in (
                ("R1 penalty γ", self.r1, MAX_R1),
                ("Instance noise σ", self.instance_noise, MAX_INSTANCE_NOISE),
                ("Minibatch features", self.minibatch_features, MAX_MINIBATCH_FEATURES),
                ("Unrolled D steps", self.unrolled, MAX_UNROLLED)):
            if not math.isfinite(value) or value < 0:
                problems.append(f"{label}: must be zero (off) or positive (got {value}).")
            else:
                problems += too_large(label, value, limit)
        return problems

    def _pix2pix_bounds(self) -> list[str]:
        problems: list[str] = []
        if self.task not in PAIRED_TASKS:
            problems.append(f"Task: unknown value {self.task!r}; choose one of "
                            f"{', '.join(PAIRED_TASKS)}.")
        if not math.isfinite(self.l1_weight) or self.l1_weight < 0:
            problems.append(f"L1 weight λ: must be zero or positive (got {self.l1_weight}).")
        else:
            problems += too_large("L1 weight λ", self.l1_weight, MAX_L1_WEIGHT)
        return problems

    def _pix2pix_problems(self, input_shape: tuple[int, ...] | None) -> list[str]:
        problems: list[str] = []
        if input_shape is not None:
            c, h, w = input_shape if len(input_shape) == 3 else (0, 0, 0)
            if min(h, w) < MIN_PIX2PIX_SIDE:
                problems.append(f"Model type: pix2pix translates images of at least "
                                f"{MIN_PIX2PIX_SIDE}×{MIN_PIX2PIX_SIDE}; these items are "
                                f"{h}×{w}.")
            elif (problem := paired_task_problem(self.task, c)) is not None:
                problems.append(f"Task: {problem}.")
        if not self.adversarial and self.l1_weight == 0:
            problems.append("L1 weight λ: without the adversarial term the L1 term is all "
                            "there is; it must be positive.")
        if self.gan_loss not in GAN_LOSSES:
            problems.append(f"Generator loss: unknown value {self.gan_loss!r}.")
        elif self.gan_loss == "wgan_gp":
            problems.append("Generator loss: pix2pix trains with the cross-entropy, least "
                            "squares or hinge losses; WGAN-GP is for the noise-based GANs.")
        # The noise-based GANs' remedies: refused rather than silently ignored.
        for label, value, off in (("D steps per G step", self.d_steps, 1),
                                  ("R1 penalty γ", self.r1, 0),
                                  ("Instance noise σ", self.instance_noise, 0),
                                  ("Minibatch features", self.minibatch_features, 0),
                                  ("Unrolled D steps", self.unrolled, 0)):
            if value != off:
                problems.append(f"{label}: not used by pix2pix; set {off}.")
        return problems

    def _cyclegan_problems(self, input_shape: tuple[int, ...] | None) -> list[str]:
        problems: list[str] = []
        if input_shape is not None:
            h, w = input_shape[1:] if len(input_shape) == 3 else (0, 0)
            if min(h, w) < MIN_PIX2PIX_SIDE:
                problems.append(f"Model type: CycleGAN translates images of at least "
                                f"{MIN_PIX2PIX_SIDE}×{MIN_PIX2PIX_SIDE}; these items are "
                                f"{h}×{w}.")
        for label, value in (("Cycle weight λ", self.cycle_weight),
                             ("Identity weight", self.identity_weight)):
            if not math.isfinite(value) or value < 0:
                problems.append(f"{label}: must be zero or positive (got {value}).")
            else:
                problems += too_large(label, value, MAX_L1_WEIGHT)
        if self.gan_loss not in GAN_LOSSES or self.gan_loss == "wgan_gp":
            problems.append(f"Generator loss: CycleGAN trains with the cross-entropy, least "
                            f"squares or hinge losses (got {self.gan_loss!r}).")
        return problems

    def _umap_problems(self) -> list[str]:
        problems: list[str] = []
        if not math.isfinite(self.umap_weight) or self.umap_weight < 0:
            problems.append(f"UMAP weight: must be zero or positive (got {self.umap_weight}).")
        if self.umap_neighbors < 2:
            problems.append(f"UMAP neighbours: must be at least 2 (got {self.umap_neighbors}).")
        if not math.isfinite(self.umap_min_dist) or self.umap_min_dist < 0:
            problems.append(f"UMAP min_dist: must be zero or positive (got {self.umap_min_dist}).")
        return problems

    def _gan_problems(self, input_shape: tuple[int, ...] | None) -> list[str]:
        problems: list[str] = []
        if self.architecture == "linear" and self.family != "progan":  # says so itself
            problems.append("Architecture: GANs are built as MLP or DCGAN (convolutional).")
        if self.architecture == "mlp" and (not self.hidden or any(h < 1 for h in self.hidden)):
            problems.append("Hidden sizes: every layer width must be a positive integer.")
        if (self.architecture == "conv" and input_shape is not None
                and self.family != "progan" and not dcgan_builds(input_shape)):
            h, w = input_shape[1:] if len(input_shape) == 3 else (0, 0)
            problems.append(
                f"Architecture: DCGAN builds 28×28 or 32×32 images; this dataset's are "
                f"{h}×{w}. Use MLP."
            )
        if self.gan_loss not in GAN_LOSSES:
            problems.append(f"Generator loss: unknown value {self.gan_loss!r}.")
        if self.noise_dim < 1:
            problems.append(f"Noise size: must be at least 1 (got {self.noise_dim}).")
        if self.d_steps < 1:
            problems.append(f"D steps per G step: must be at least 1 (got {self.d_steps}).")
        if self.family == "cgan":
            if self.n_categories < 2:
                problems.append(f"Classes: a conditional GAN needs at least 2 classes "
                                f"(got {self.n_categories}).")
            if self.unrolled > 0:
                problems.append("Unrolled D steps: not available for the conditional GAN "
                                "(its discriminator also sees the class); set 0.")
        if self.family == "progan":
            problems += progan_problems(self.stages, self.architecture, input_shape)
        if self.family == "infogan":
            if self.n_categories < 2:
                problems.append(
                    f"Categories K: a categorical code needs at least 2 classes "
                    f"(got {self.n_categories})."
                )
            if self.n_continuous < 1:
                problems.append(
                    f"Continuous codes: at least 1, they are the map's axes "
                    f"(got {self.n_continuous})."
                )
            if not math.isfinite(self.info_weight) or self.info_weight < 0:
                problems.append(
                    f"Information weight λ: must be zero or positive (got {self.info_weight})."
                )
            if not math.isfinite(self.noise_scale) or self.noise_scale <= 0:
                problems.append(f"Noise scale: must be positive (got {self.noise_scale}).")
        return problems


def paired_task_problem(task: str, channels: int) -> str | None:
    """Why ``task`` cannot be made from images of ``channels`` channels (None: it can)."""
    if task == "colour" and channels != 3:
        return (f"the colour task turns grey images into colour ones, so it needs RGB images "
                f"(3 channels); these have {channels}")
    return None


__all__ = [
    "ARCHITECTURES",
    "CONDITIONAL_FAMILIES",
    "DCGAN_SIDES",
    "DEVICES",
    "GAN_FAMILIES",
    "GAN_LOSSES",
    "LIKELIHOODS",
    "LR_SCHEDULES",
    "MODEL_FAMILIES",
    "NOT_IN_WINDOW",
    "PAIRED_TASKS",
    "PRECISIONS",
    "TRANSLATOR_FAMILIES",
    "WINDOW_FAMILIES",
    "ConfigError",
    "ModelConfig",
    "TrainConfig",
    "paired_task_problem",
    "parse_int_list",
]
