"""Datasets: one value object, several sources."""

from latentlab.core.data.builtin import BUILTIN_DATASETS, load_builtin
from latentlab.core.data.dataset import Dataset, DatasetError
from latentlab.core.data.idx import load_idx_folder, read_idx

__all__ = [
    "BUILTIN_DATASETS",
    "Dataset",
    "DatasetError",
    "load_builtin",
    "load_idx_folder",
    "read_idx",
]
