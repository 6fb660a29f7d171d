"""Values and checks the model forms need before torch is loaded (the modules that use them
re-export them): no torch here."""

from __future__ import annotations

from latentlab.core.data.dataset import Dataset

#: Sliders reach past the training range [−1, 1] to show how the codes extrapolate.
CODE_RANGE = (-2.0, 2.0)
#: WGAN-GP's penalty weight λ (Gulrajani et al. 2017).
WGAN_GP_WEIGHT = 10.0


def labels_problem(data: Dataset, n_classes: int, family: str) -> str | None:
    """Why a conditional model (``family`` cgan or cvae) set for ``n_classes`` classes cannot
    train on ``data``."""
    model = "A conditional VAE" if family == "cvae" else "A conditional GAN"
    if data.labels is None:
        return (f"{data.name}: {model} generates the class it is asked for, so it trains on "
                "labelled data, and this dataset has no labels.")
    if len(data.class_names) != n_classes:
        return (f"{data.name}: the data has {len(data.class_names)} classes and the model is "
                f"set for {n_classes}: set its classes to {len(data.class_names)}.")
    return None
