"""Two domains in one dataset: resized and converted to match, labels merged by class name,
derived domains without shared items, class subsets, and the built-in digits → MNIST pair."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.core.data.builtin import MNIST_SAMPLE, load_builtin, load_digits
from latentlab.core.data.dataset import Dataset, DatasetError
from latentlab.core.data.domains import (
    class_subsets,
    derived_images,
    derived_pair,
    digits_to_mnist,
    domain_rows,
    framed_like_mnist,
    two_domains,
)


def _images(n: int, shape: tuple[int, int, int], names: tuple[str, ...] = ("0", "1"),
            seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    return Dataset(f"set{seed}", rng.random((n, *shape), dtype=np.float32),
                   rng.integers(0, len(names), n), names, np.arange(n) % 5 == 0)


def test_two_domains_share_one_size_and_channel_count_and_keep_their_splits() -> None:
    a = _images(10, (1, 8, 8), ("0", "1"), seed=1)
    b = _images(6, (3, 12, 16), ("1", "2"), seed=2)
    both = two_domains(a, b)
    assert both.x.shape == (16, 3, 12, 16) and both.name == "set1 ↔ set2"
    assert both.domains.tolist() == [0] * 10 + [1] * 6
    assert np.array_equal(both.is_test, np.concatenate([a.is_test, b.is_test]))
    # Grey made colour: the same grey in each channel.
    assert np.allclose(both.x[:10, 0], both.x[:10, 2])
    # Classes merged by name: B's "1" is A's "1", its "2" a new class.
    assert both.class_names == ("0", "1", "2")
    assert np.array_equal(np.array(both.class_names)[both.labels[10:]],
                          np.array(b.class_names)[b.labels])
    assert np.array_equal(domain_rows(both, 1, test=True), 10 + np.flatnonzero(b.is_test))
    with pytest.raises(DatasetError, match=r"set2: its images have 3 channels, and the other"):
        two_domains(_images(4, (4, 8, 8)), b)


def test_a_derived_domain_has_none_of_the_other_domains_items() -> None:
    digits = load_digits()
    pair = derived_pair(digits, "inverted")
    a, b = pair.x[pair.domains == 0], pair.x[pair.domains == 1]
    assert np.array_equal(a, digits.x[0::2]) and np.allclose(b, 1 - digits.x[1::2])
    thick = derived_images(digits.x[:5], "thick")
    assert (thick >= digits.x[:5]).all() and thick.sum() > digits.x[:5].sum()
    coloured = derived_images(digits.x[:5], "coloured")
    assert coloured.shape == (5, 3, 8, 8) and coloured.min() >= 0 and coloured.max() <= 1
    with pytest.raises(DatasetError, match="unknown kind 'blurred'"):
        derived_pair(digits, "blurred")


def test_class_subsets_split_one_dataset_by_label() -> None:
    digits = load_digits()
    pair = class_subsets(digits, ["0", "1"], ["7"])
    names = np.array(pair.class_names)
    assert set(names[pair.labels[pair.domains == 0]]) == {"0", "1"}
    assert set(names[pair.labels[pair.domains == 1]]) == {"7"}
    with pytest.raises(DatasetError, match="classes x are not among"):
        class_subsets(digits, ["0"], ["x"])


def test_the_built_in_pair_frames_the_scans_as_mnists_digits() -> None:
    framed = framed_like_mnist(np.ones((2, 1, 8, 8), np.float32))
    assert framed.shape == (2, 1, 28, 28)
    assert framed[:, :, :4].sum() == 0 and framed[:, :, :, 24:].sum() == 0  # the 4-pixel margin
    assert framed[:, :, 4:24, 4:24].min() > 0.99
    pair = digits_to_mnist()
    mnist = load_builtin(MNIST_SAMPLE)
    assert pair.x.shape == (1797 + 5000, 1, 28, 28) and pair.class_names == mnist.class_names
    assert int(pair.domains.sum()) == 5000 and int(pair.is_test[pair.domains == 1].sum()) == 1000
