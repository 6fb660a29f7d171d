"""Maps: PCA and the codes map, fit_projection (PCA, LSA, codes, t-SNE, UMAP), its refusals,
cancellation, KNNInverse, and selecting points in a box or polygon."""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest
from sklearn.decomposition import PCA as SkPCA

from latentlab.core.maps.geometry import points_in_box, points_in_polygon
from latentlab.core.maps.inverse import KNNInverse
from latentlab.core.maps.linear import PCA, LatentMap
from latentlab.core.maps.methods import (
    DEFAULT_PARAMS,
    MENU_METHODS,
    METHOD_NAMES,
    METHODS,
    TABLE,
    ProjectionCancelled,
    ProjectionError,
)
from latentlab.core.maps.projection import FittedProjection, ProjectionSpec, fit_projection

N = 120


@pytest.fixture(scope="module")
def points(digits) -> np.ndarray:
    return digits.x.reshape(digits.n, -1)[:N].astype(np.float32)


@pytest.fixture(scope="module")
def word_rows() -> np.ndarray:
    """A text-like matrix: rows of word probabilities, mostly zeros."""
    rng = np.random.default_rng(0)
    counts = rng.poisson(0.3, size=(N, 60)).astype(np.float32)
    counts[:, 0] += 1  # no empty document
    return counts / counts.sum(1, keepdims=True)


def fit_twice(spec: ProjectionSpec, x: np.ndarray, seed: int = 3
              ) -> tuple[FittedProjection, FittedProjection]:
    return fit_projection(spec, x, seed=seed), fit_projection(spec, x, seed=seed)


def check_shape_and_determinism(a: FittedProjection, b: FittedProjection, n: int) -> None:
    assert a.coords.shape == (n, 2) and a.coords.dtype == np.float32
    assert np.isfinite(a.coords).all()
    np.testing.assert_array_equal(a.coords, b.coords)


def test_one_table_names_every_method() -> None:
    assert METHODS == ("pca", "lsa", "umap", "tsne", "codes")
    assert MENU_METHODS == ("pca", "umap", "tsne", "codes")  # LSA is how PCA runs on text
    assert METHOD_NAMES["codes"] == "Codes" and METHOD_NAMES["tsne"] == "t-SNE"
    assert ProjectionSpec("umap").resolved == dict(DEFAULT_PARAMS["umap"])
    assert ProjectionSpec("tsne", {"perplexity": 5.0}).resolved == {"perplexity": 5.0,
                                                                     "max_iter": 1000}
    assert all(TABLE[m].exact_inverse == (m not in ("umap", "tsne")) for m in METHODS)


def test_nonlinear_maps_do_not_import_the_projection_module() -> None:
    code = ("import sys, latentlab.core.maps.nonlinear; "
            "print('latentlab.core.maps.projection' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_importing_projection_loads_neither_umap_nor_sklearn() -> None:
    code = ("import sys, latentlab.core.maps.projection; "
            "print(sorted(m for m in ('umap', 'sklearn', 'numba') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_pca_shape_determinism_and_exact_inverse(points) -> None:
    a, b = fit_twice(ProjectionSpec("pca", source="pixels"), points)
    check_shape_and_determinism(a, b, N)
    assert a.exact_inverse and a.method_label == "PCA of pixels"
    back = a.inverse(a.coords[5])
    assert back.shape == (points.shape[1],)
    np.testing.assert_allclose(a.transform(back[None]), a.coords[5:6], atol=1e-4)


def test_lsa_on_word_rows(word_rows) -> None:
    a, b = fit_twice(ProjectionSpec("lsa", source="TF-IDF"), word_rows)
    check_shape_and_determinism(a, b, N)
    words = a.inverse(a.coords[0])
    assert words.shape == (60,) and words.min() >= 0
    assert words.sum() == pytest.approx(1.0, abs=1e-5)


def test_codes_map_is_the_codes_or_their_pca(points) -> None:
    codes = points[:, :2]
    fitted = fit_projection(ProjectionSpec("codes", source="codes"), codes)
    np.testing.assert_array_equal(fitted.coords, codes)
    np.testing.assert_array_equal(fitted.inverse([0.5, -1.0]), [0.5, -1.0])
    wide = fit_projection(ProjectionSpec("codes", source="codes"), points[:, :6])
    assert wide.method_label == "PCA of codes" and wide.exact_inverse


def test_tsne_shape_determinism_and_no_inverse(points) -> None:
    spec = ProjectionSpec("tsne", {"perplexity": 10.0, "max_iter": 250}, source="codes")
    a, b = fit_twice(spec, points)
    check_shape_and_determinism(a, b, N)
    assert not a.exact_inverse and a.method_label == "t-SNE of codes · perplexity 10"
    with pytest.raises(ProjectionError, match="no exact inverse"):
        a.inverse([0.0, 0.0])


@pytest.mark.slow
def test_umap_shape_and_determinism(points) -> None:
    # UMAP's first fit in a process loads (or compiles) numba code: seconds, so one small pair.
    spec = ProjectionSpec("umap", {"n_neighbors": 10, "min_dist": 0.2, "n_epochs": 50},
                          source="codes")
    messages: list[str] = []
    a = fit_projection(spec, points, seed=3, progress=messages.append)
    b = fit_projection(spec, points, seed=3)
    check_shape_and_determinism(a, b, N)
    assert a.method_label == "UMAP of codes · 10 neighbours, min dist 0.2"
    assert not a.exact_inverse
    assert any("epoch" in m for m in messages)


@pytest.mark.parametrize(("spec", "rows", "reason"), [
    (ProjectionSpec("tsne", {"perplexity": 30.0}), 30, "perplexity.*less than the number"),
    (ProjectionSpec("tsne", {"perplexity": 50.0}), 20, "perplexity"),
    (ProjectionSpec("umap"), 3, "n_neighbors: UMAP with 15 neighbours needs at least 16"),
    (ProjectionSpec("umap", {"n_neighbors": 2}), 3, "needs at least 10 items"),
    (ProjectionSpec("umap", {"min_dist": 2.0}), 50, "min_dist"),
    (ProjectionSpec("umap", {"neighbours": 5}), 50, "no parameter 'neighbours'"),
    (ProjectionSpec("isomap"), 50, "unknown projection"),
    (ProjectionSpec("pca"), 1, "at least two items"),
])
def test_bad_parameters_say_why(points, spec, rows, reason) -> None:
    with pytest.raises(ProjectionError, match=reason):
        fit_projection(spec, points[:rows])
    assert spec.problems(rows)  # the GUI can show the same reasons by field before running


@pytest.mark.parametrize("method", ["pca", "lsa", "umap", "tsne", "codes"])
def test_nan_codes_are_refused(points, method) -> None:
    codes = np.abs(points[:40, :4]).copy()
    codes[7, 1] = np.nan
    with pytest.raises(ProjectionError, match=r"1 of 40 items have NaN.*item 7"):
        fit_projection(ProjectionSpec(method, source="codes"), codes)


def test_cancel_before_start(points) -> None:
    cancel = threading.Event()
    cancel.set()
    for method in ("pca", "tsne"):
        with pytest.raises(ProjectionCancelled):
            fit_projection(ProjectionSpec(method), points, cancel=cancel)


def test_tsne_reports_its_phases_and_stops_within_a_report_when_cancelled(points) -> None:
    spec = ProjectionSpec("tsne", {"perplexity": 10.0, "max_iter": 1000})
    cancel = threading.Event()
    messages: list[str] = []

    def progress(message: str) -> None:
        messages.append(message)
        if message.startswith("t-SNE: layout iteration 300 "):
            cancel.set()  # as the Cancel button does, from another thread, mid-descent

    with pytest.raises(ProjectionCancelled):
        fit_projection(spec, points, cancel=cancel, progress=progress)
    # The neighbour search, then the layout, each named.
    assert messages.index(f"t-SNE: finding nearest neighbours ({N:,} items)") < messages.index(
        "t-SNE: layout, early exaggeration")
    iterations = [m for m in messages if m.startswith("t-SNE: layout iteration")]
    assert iterations[-1] == "t-SNE: layout iteration 300 of 1,000"  # nothing after the cancel
    assert "t-SNE: layout iteration 250 of 1,000" in iterations  # both stages of the descent
    a, b = fit_twice(ProjectionSpec("tsne", {"perplexity": 10.0, "max_iter": 250}), points)
    check_shape_and_determinism(a, b, N)


def test_tsne_places_new_items_into_its_map_without_refitting(points) -> None:
    fitted = fit_projection(ProjectionSpec("tsne", {"perplexity": 10.0, "max_iter": 250}),
                            points[:-10], seed=0)
    before = fitted.coords.copy()
    placed = fitted.place(points[-10:])
    assert placed.shape == (10, 2) and np.isfinite(placed).all()
    np.testing.assert_array_equal(fitted.coords, before)  # the map itself does not move
    # Copies of fitted items land next to their originals (within a twentieth of the map's
    # extent), in the map's own frame, again on a second call; the map's own points stay.
    extent = float(np.ptp(before, axis=0).max())
    for _ in range(2):
        again = fitted.place(points[:10])
        assert np.median(np.linalg.norm(again - before[:10], axis=1)) < 0.05 * extent
        np.testing.assert_allclose(np.asarray(fitted.model._embedding), before, atol=1e-4)


def test_knn_inverse_exact_at_stored_points_and_convex_elsewhere() -> None:
    rng = np.random.default_rng(0)
    coords = rng.normal(size=(500, 2))
    codes = rng.normal(size=(500, 5)).astype(np.float32)
    inverse = KNNInverse(coords, codes, k=8)
    for i in (0, 17, 499):
        np.testing.assert_array_equal(inverse(coords[i]), codes[i])
    np.testing.assert_array_equal(inverse(coords[:3]), codes[:3])  # batched too
    queries = rng.normal(size=(50, 2)) * 1.5
    idx, w = inverse.weights(queries)
    assert idx.shape == w.shape == (50, 8)
    assert (w >= 0).all()
    np.testing.assert_allclose(w.sum(1), 1.0, atol=1e-12)
    expected = np.einsum("mk,mkd->md", w, codes[idx].astype(np.float64))
    np.testing.assert_allclose(inverse(queries), expected, atol=1e-5)
    # Each interpolated code lies within the box its neighbours' codes span.
    out = inverse(queries)
    assert (out >= codes[idx].min(1) - 1e-6).all() and (out <= codes[idx].max(1) + 1e-6).all()
    # Nearer neighbours weigh more.
    d = np.linalg.norm(coords[idx] - queries[:, None], axis=2)
    assert (np.diff(w, axis=1) <= 1e-12).all() and (np.diff(d, axis=1) >= 0).all()


def test_knn_inverse_refuses_mismatched_inputs() -> None:
    with pytest.raises(ProjectionError, match="3 map points against 2 codes"):
        KNNInverse(np.zeros((3, 2)), np.zeros((2, 4)))
    small = KNNInverse(np.array([[0.0, 0.0], [1.0, 0.0]]), np.array([[0.0], [2.0]]), k=8)
    assert small.k == 2
    np.testing.assert_allclose(small([0.5, 0.0]), [1.0])


def test_pca_matches_scikit_learn(digits) -> None:
    x = digits.x.reshape(digits.n, -1)
    ours = PCA(2).fit(x)
    ref = SkPCA(2).fit(x)
    np.testing.assert_allclose(np.abs(ours.components_), np.abs(ref.components_), atol=1e-5)
    np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_,
                               rtol=1e-5)
    np.testing.assert_allclose(np.abs(ours.transform(x)), np.abs(ref.transform(x)), atol=1e-4)


def test_pca_inverse_is_mean_plus_coords_times_components(digits) -> None:
    x = digits.x.reshape(digits.n, -1)
    pca = PCA(2).fit(x)
    coords = np.array([[0.5, -1.0], [0.0, 0.0]])
    expected = pca.mean_ + coords @ pca.components_
    np.testing.assert_allclose(pca.inverse_transform(coords), expected, atol=1e-6)
    # The origin of the map decodes to the mean image.
    np.testing.assert_allclose(pca.inverse_transform([0, 0])[0], x.mean(0), atol=1e-6)
    # Projecting a reconstruction gives back its coordinates.
    np.testing.assert_allclose(pca.transform(pca.inverse_transform(coords)), coords, atol=1e-5)


def test_full_rank_pca_reconstructs_exactly() -> None:
    x = np.random.default_rng(0).normal(size=(50, 4))
    pca = PCA(4).fit(x)
    np.testing.assert_allclose(pca.inverse_transform(pca.transform(x)), x, atol=1e-5)


def test_refit_keeps_orientation_of_a_reference() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5)) * [5, 3, 1, 0.5, 0.1]
    first = PCA(2).fit(x)
    flipped = PCA(2).fit(-x, reference=first)  # same axes, signs would flip without the reference
    assert np.all(np.sum(first.components_ * flipped.components_, axis=1) > 0)


@pytest.mark.parametrize("dim", [1, 2, 6])
def test_latent_map_round_trip(dim: int) -> None:
    codes = np.random.default_rng(0).normal(size=(100, dim)).astype(np.float32)
    latent_map = LatentMap(dim)
    latent_map.refit(codes)
    xy = latent_map.transform(codes)
    assert xy.shape == (100, 2)
    back = latent_map.inverse_transform(xy[:3])
    assert back.shape == (3, dim)
    # Points on the map decode from codes that project back onto the same map points.
    np.testing.assert_allclose(latent_map.transform(back), xy[:3], atol=1e-4)
    if dim <= 2:
        np.testing.assert_allclose(back, codes[:3], atol=1e-6)


def test_points_in_polygon_and_box() -> None:
    square = np.array([[0, 0], [2, 0], [2, 2], [0, 2]])
    points = np.array([[1, 1], [3, 1], [1, -0.1], [0.1, 1.9]])
    assert points_in_polygon(points, square).tolist() == [True, False, False, True]
    # A concave "L": the notch is outside.
    ell = np.array([[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2]])
    assert points_in_polygon(np.array([[1.5, 1.5], [0.5, 1.5]]), ell).tolist() == [False, True]
    assert points_in_box(points, np.array([2, 2]), np.array([0, 0])).tolist() == [
        True, False, False, True]
    assert not points_in_polygon(points, square[:2]).any()
