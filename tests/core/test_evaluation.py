"""Map metrics against scikit-learn, the evaluation dict, and the export formats read back."""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.manifold import trustworthiness as sk_trustworthiness
from sklearn.neighbors import KNeighborsClassifier

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data import Dataset
from latentlab.core.evaluation.metrics import (
    knn_accuracy,
    reconstruction_sse,
    subsample,
    trustworthiness,
)
from latentlab.core.evaluation.model import EvaluationSettings, evaluate_model, score_map
from latentlab.core.files.export import (
    METADATA_FILE,
    PBTXT_FILE,
    SPRITE_FILE,
    TENSORS_FILE,
    ExportError,
    export_csv,
    export_projector,
    metadata_tsv,
    sprite_layout,
)
from latentlab.core.models import build_model
from latentlab.core.training.distributed import DataShard
from latentlab.core.training.loop import train


@pytest.mark.parametrize("k", [1, 5])
def test_knn_accuracy_matches_scikit_learn(k: int) -> None:
    rng = np.random.default_rng(k)
    train_xy, test_xy = rng.normal(size=(300, 2)), rng.normal(size=(120, 2))
    # Labels that depend on the position, with noise, so the vote is neither trivial nor random.
    train_y = (train_xy[:, 0] > 0).astype(int) * 2 + rng.integers(0, 2, 300)
    test_y = (test_xy[:, 0] > 0).astype(int) * 2 + rng.integers(0, 2, 120)
    ours = knn_accuracy(train_xy, train_y, test_xy, test_y, k)
    sklearn = KNeighborsClassifier(n_neighbors=k).fit(train_xy, train_y).score(test_xy, test_y)
    assert ours == pytest.approx(sklearn)
    assert 0.3 < ours < 1.0


def test_knn_refuses_bad_input() -> None:
    xy = np.zeros((3, 2))
    with pytest.raises(ValueError, match="k must lie"):
        knn_accuracy(xy, np.zeros(3, int), xy, np.zeros(3, int), 4)
    with pytest.raises(ValueError, match="one label per point"):
        knn_accuracy(xy, np.zeros(2, int), xy, np.zeros(3, int), 1)


def test_trustworthiness_and_reconstruction_error() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 10))
    low = x[:, :2] + 0.1 * rng.normal(size=(200, 2))
    assert trustworthiness(x, low, 5) == pytest.approx(sk_trustworthiness(x, low, n_neighbors=5))
    assert trustworthiness(x, x[:, :3], 5) > trustworthiness(x, rng.normal(size=(200, 2)), 5)
    images = rng.random((4, 1, 3, 3))
    assert reconstruction_sse(images, images + 0.5) == pytest.approx(9 * 0.25)
    assert reconstruction_sse(images, images) == 0.0
    rows = subsample(1000, 50, seed=1)
    assert len(rows) == 50 and len(set(rows)) == 50 and np.all(np.diff(rows) > 0)
    assert np.array_equal(subsample(10, 50), np.arange(10))


@pytest.fixture(scope="module")
def small_ae(tiny_digits: Dataset):
    model = build_model(ModelConfig(hidden=(32,), latent_dim=3), tiny_digits.input_shape, seed=0)
    for _ in train(model, tiny_digits, TrainConfig(epochs=3, device="cpu")):
        pass
    return model.eval()


def test_evaluate_model_compares_the_map_with_pca(small_ae, tiny_digits: Dataset) -> None:
    result = evaluate_model(small_ae, tiny_digits, EvaluationSettings(trust_items=40))
    json.dumps(result, allow_nan=False)  # JSON-ready
    latent, pca = result["maps"]["latent"], result["maps"]["pca"]
    assert latent["method"] == "PCA of codes" and pca["method"] == "PCA of pixels"
    for scores in (latent, pca):
        assert 0 <= scores["knn1"] <= 1 and 0 <= scores["knn5"] <= 1
        assert 0 < scores["trustworthiness"] <= 1
    assert result["settings"]["trustworthiness_items"] == 40
    assert result["settings"]["trustworthiness_subsampled"] is True
    recon = result["reconstruction_sse_per_image"]
    assert recon["pca_components"] == 3 and recon["model"] > 0 and recon["pca"] > 0
    assert result["infogan"] is None and result["translation"] is None  # pix2pix's
    quality = result["sample_quality"]
    assert quality["sampling"] == "Gaussian fitted to the train codes"
    assert 0 <= quality["frechet_distance_train_vs_test"] < quality["frechet_distance"]
    # The PCA figures are PCA's own: the same numbers as fitting it by hand.
    from latentlab.core.maps.linear import PCA

    x = tiny_digits.x.reshape(tiny_digits.n, -1)
    tr, te = tiny_digits.train_indices, tiny_digits.test_indices
    pca3 = PCA(3).fit(x[tr])
    expected = np.mean(np.sum((x[te] - pca3.inverse_transform(pca3.transform(x[te]))) ** 2, 1))
    assert recon["pca"] == pytest.approx(expected, rel=1e-5)


def test_a_map_of_some_items_is_scored_on_its_own_train_and_test_items(
        tiny_digits: Dataset) -> None:
    # A map of 200 of the items, in shuffled order, as a UMAP or t-SNE map of them would be.
    rng = np.random.default_rng(0)
    items = rng.permutation(tiny_digits.n)[:200]
    coords = rng.normal(size=(200, 2)) + tiny_digits.labels[items, None]  # classes apart
    scores = score_map("UMAP of pixels", coords, items, tiny_digits)
    test = tiny_digits.is_test[items]
    labels = tiny_digits.labels[items]
    for k in (1, 5):
        sk = KNeighborsClassifier(k).fit(coords[~test], labels[~test])
        assert scores[f"knn{k}"] == pytest.approx(sk.score(coords[test], labels[test]))
    x_test = tiny_digits.x[items[test]].reshape(int(test.sum()), -1)
    assert scores["trustworthiness"] == pytest.approx(
        sk_trustworthiness(x_test, coords[test], n_neighbors=5))
    assert (scores["train_items"], scores["test_items"]) == (int((~test).sum()), int(test.sum()))
    with pytest.raises(ValueError, match="no test item"):
        score_map("t-SNE", coords[~test], items[~test], tiny_digits)


def test_export_csv_and_projector_files_read_back(small_ae, tiny_digits: Dataset,
                                                  tmp_path: Path) -> None:
    (csv_path,) = export_csv(small_ae, tiny_digits, tmp_path, split="test")
    with csv_path.open() as handle:
        rows = list(csv.DictReader(handle))
    n_test = len(tiny_digits.test_indices)
    assert len(rows) == n_test
    assert list(rows[0]) == ["index", "split", "label", "z1", "z2", "z3", "map_x", "map_y"]
    first = int(rows[0]["index"])
    with torch.no_grad():
        code = small_ae.embed(torch.from_numpy(tiny_digits.x[first : first + 1]))[0].numpy()
    assert [float(rows[0][f"z{j}"]) for j in (1, 2, 3)] == pytest.approx(code, abs=1e-4)

    written = export_projector(small_ae, tiny_digits, tmp_path)
    names = {p.name for p in written}
    assert {TENSORS_FILE, METADATA_FILE, SPRITE_FILE, PBTXT_FILE, "projector_config.json"} == names
    tensors = np.loadtxt(tmp_path / TENSORS_FILE, delimiter="\t")
    assert tensors.shape == (tiny_digits.n, 3)
    meta = (tmp_path / METADATA_FILE).read_text().splitlines()
    assert meta[0] == "index\tsplit\tlabel" and len(meta) == tiny_digits.n + 1
    assert meta[1].split("\t")[2] == tiny_digits.class_names[tiny_digits.labels[0]]
    side = math.ceil(math.sqrt(tiny_digits.n))
    with Image.open(tmp_path / SPRITE_FILE) as sprite:
        assert sprite.size == (side * 8, side * 8)
        # Row-major: the second item sits right of the first.
        pixels = np.asarray(sprite, dtype=np.float32) / 255
    assert pixels[:8, 8:16] == pytest.approx(tiny_digits.x[1, 0], abs=1 / 255)
    pbtxt = (tmp_path / PBTXT_FILE).read_text()
    referenced = re.findall(r'(?:tensor_path|metadata_path|image_path): "([^"]+)"', pbtxt)
    assert sorted(referenced) == sorted([TENSORS_FILE, METADATA_FILE, SPRITE_FILE])
    assert re.findall(r"single_image_dim: (\d+)", pbtxt) == ["8", "8"]
    assert re.findall(r"tensor_shape: (\d+)", pbtxt) == [str(tiny_digits.n), "3"]
    config = json.loads((tmp_path / "projector_config.json").read_text())
    (info,) = config["embeddings"]
    assert info["tensorShape"] == [tiny_digits.n, 3]
    assert info["sprite"] == {"imagePath": SPRITE_FILE, "singleImageDim": [8, 8]}
    assert all((tmp_path / info[k]).is_file() for k in ("tensorPath", "metadataPath"))
    assert not list(tmp_path.glob(".*part"))  # no temporary files left behind


def test_projector_layout_rules() -> None:
    # One column: no header (the projector takes a tab-free first line as a label).
    assert metadata_tsv({"label": ["a", "b"]}) == "a\nb\n"
    assert metadata_tsv({"label": ["a\tx", ""], "split": ["train", "test"]}) == \
        "label\tsplit\na x\ttrain\n-\ttest\n"
    assert sprite_layout(100, 28, 28) == (10, 28, 28)
    side, h, w = sprite_layout(70_000, 28, 28)
    assert side == 265 and side * h <= 8192 and h == 28
    side, h, w = sprite_layout(200_000, 28, 28)  # thumbnails shrink to fit 8192 px
    assert side == 448 and h == w == 18 and side * h <= 8192
    with pytest.raises(ExportError, match="do not fit"):
        sprite_layout(100_000_000, 28, 28)


def test_plain_gan_has_nothing_to_export(tiny_digits: Dataset, tmp_path: Path) -> None:
    gan = build_model(ModelConfig(family="gan", hidden=(16,), noise_dim=4),
                      tiny_digits.input_shape, seed=0)
    with pytest.raises(ExportError, match="no encoder"):
        export_csv(gan, tiny_digits, tmp_path)


def test_distributed_sampler_shards_cover_each_epoch() -> None:
    shards = [DataShard(rank, 3) for rank in range(3)]
    orders = [s.epoch_order(1, 10, seed=0) for s in shards]
    assert all(len(o) == shards[0].num_samples(10) == 4 for o in orders)
    assert set(torch.cat(orders).tolist()) == set(range(10))  # every item, two padded repeats
    assert not torch.equal(shards[0].epoch_order(2, 10, 0), orders[0])  # reshuffled per epoch
    assert [s.seed(7) for s in shards] == [7, 8, 9]
