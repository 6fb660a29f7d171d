"""Datasets: one value object, several sources (``load_source`` picks the right one)."""

from latentlab.core.data.builtin import BUILTIN_DATASETS, load_builtin
from latentlab.core.data.csv_files import CsvInfo, load_pixel_csv, sniff_csv
from latentlab.core.data.dataset import Dataset, DatasetError, LoadCancelled, random_split
from latentlab.core.data.idx import load_idx_folder, parse_idx, read_idx
from latentlab.core.data.images import IMAGE_SUFFIXES, load_image_folder
from latentlab.core.data.numpy_files import (
    NO_LABELS,
    AmbiguousKeys,
    ArrayInfo,
    NpzContents,
    inspect_npz,
    load_numpy,
)
from latentlab.core.data.sources import folder_kind, load_source
from latentlab.core.data.text import LSA, bag_of_words, tfidf, tokenize
from latentlab.core.data.text_sources import corpus_dataset, load_text_csv, load_text_folder

__all__ = [
    "BUILTIN_DATASETS",
    "IMAGE_SUFFIXES",
    "LSA",
    "NO_LABELS",
    "AmbiguousKeys",
    "ArrayInfo",
    "CsvInfo",
    "Dataset",
    "DatasetError",
    "LoadCancelled",
    "NpzContents",
    "bag_of_words",
    "corpus_dataset",
    "folder_kind",
    "inspect_npz",
    "load_builtin",
    "load_idx_folder",
    "load_image_folder",
    "load_numpy",
    "load_pixel_csv",
    "load_source",
    "load_text_csv",
    "load_text_folder",
    "parse_idx",
    "random_split",
    "read_idx",
    "sniff_csv",
    "tfidf",
    "tokenize",
]
