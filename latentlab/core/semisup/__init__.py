"""Semi-supervised learning with a pretrained encoder: pretrain without labels, then learn the
classes from a few labelled items — and measure what the pretraining is worth.

``pick_labelled`` chooses the labelled train items (a budget per class or in all, seeded, or a
user's picks with hand labels); ``run_method`` trains one method with them and scores it on the
test split; ``run_sweep`` runs every method over several budgets and repeats (the learning
curves and confusion matrices of ``SweepResult``, with its JSON form).
"""

from latentlab.core.semisup.budget import (
    ALL_LABELS,
    LabelBudget,
    SemisupError,
    budget_name,
    pick_labelled,
)
from latentlab.core.semisup.methods import (
    FEATURE_METHODS,
    METHODS,
    MethodResult,
    SweepCancelled,
    run_method,
)
from latentlab.core.semisup.results import SCHEMA_VERSION, SweepResult, SweepSettings
from latentlab.core.semisup.sweep import reference_features, run_sweep

__all__ = [
    "ALL_LABELS",
    "FEATURE_METHODS",
    "METHODS",
    "SCHEMA_VERSION",
    "LabelBudget",
    "MethodResult",
    "SemisupError",
    "SweepCancelled",
    "SweepResult",
    "SweepSettings",
    "budget_name",
    "pick_labelled",
    "reference_features",
    "run_method",
    "run_sweep",
]
