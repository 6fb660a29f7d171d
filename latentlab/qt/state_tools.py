"""The exploration tools' half of the lab: nearest neighbours, interpolation paths, the metrics
table and exports.

``ToolState`` is a small QObject beside the ``LabState`` (the window owns both): it reads the lab
state, changes it only through its methods (``set_selection``, ``message``, ``error``), and keeps
what the tools add: the metrics table and the background tasks that compute it and write exports.
Widgets observe its signals and call its methods, as they do the lab state's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PySide6.QtCore import QObject, QTimer, Signal

from latentlab.core.models import GAN, LatentModel
from latentlab.qt.map_ids import LATENT, PIXELS
from latentlab.qt.state import LabState
from latentlab.qt.workers import TaskRunner

#: Neighbours selected by "nearest neighbours", the item itself included.
NEIGHBOURS = 10
SPACES = {"latent": "latent space", "input": "input space"}
FAMILY_NAMES = {"ae": "Autoencoder", "vae": "VAE", "umap_ae": "UMAP autoencoder", "gan": "GAN",
                "infogan": "InfoGAN"}


@dataclass(frozen=True)
class MetricsRow:
    """One row of the metrics table: a linear baseline, a model or a nonlinear map on show.
    None: does not apply."""

    name: str
    kind: str  # "baseline", "model", or "map" (a UMAP or t-SNE map on show)
    map_method: str
    knn1: float | None
    knn5: float | None
    trust: float | None
    sse: float | None
    note: str = ""


@dataclass(frozen=True)
class InterpolationPath:
    """Decoded images along a path between two items: rows (one per method) × steps."""

    items: tuple[int, int]  # dataset indices
    methods: tuple[str, ...]
    images: np.ndarray  # rows × steps × C×H×W


def model_name(model: LatentModel, epoch: int) -> str:
    cfg = model.cfg
    name = FAMILY_NAMES.get(cfg.family, cfg.family)
    architecture = cfg.architecture.upper() if cfg.architecture == "mlp" else cfg.architecture
    if cfg.family == "vae" and cfg.beta != 1.0:
        name = f"β-VAE (β={cfg.beta:g})"
    if not cfg.is_gan:
        name += f", {cfg.latent_dim}-D code"
    return f"{name}, {architecture}, epoch {epoch}"


def rows_from_evaluation(result: dict[str, Any], name: str) -> list[MetricsRow]:
    """The baseline's row and the model's row of one ``evaluate_model`` result."""
    maps, recon = result["maps"], result["reconstruction_sse_per_image"]
    pca = maps["pca"]
    k = None if recon is None else recon["pca_components"]
    base_name = pca["method"] + ("" if k is None else f", {k} components")
    baseline = MetricsRow(base_name, "baseline", f"{pca['method']} (2 components)", pca["knn1"],
                          pca["knn5"], pca["trustworthiness"], None if recon is None
                          else recon["pca"])
    latent = maps["latent"] or {}
    note = ""
    if not latent:
        note = "no encoder: real items have no codes"
    elif recon is None:
        note = "a GAN cannot reconstruct"
    infogan = result.get("infogan") or {}
    if infogan.get("category_accuracy") is not None:
        note = f"Q's category accuracy {infogan['category_accuracy']:.3f}"
    model_row = MetricsRow(name, "model", latent.get("method", "—"), latent.get("knn1"),
                           latent.get("knn5"), latent.get("trustworthiness"),
                           None if recon is None else recon["model"], note)
    return [baseline, model_row]


class ToolState(QObject):
    metrics_changed = Signal()  # the table or its status line changed
    exported = Signal(object)  # list of written paths
    path_ready = Signal(object)  # InterpolationPath

    def __init__(self, state: LabState, parent: QObject | None = None) -> None:
        super().__init__(parent or state)
        self.state = state
        #: Baselines first (one per code size), then the models evaluated in this session.
        self.metrics_rows: list[MetricsRow] = []
        self.metrics_status = "Train a model, then compute its metrics."
        self.auto_metrics = False  # the metrics panel is showing: evaluate each new model
        self._evaluated: LatentModel | None = None
        self._evaluating: LatentModel | None = None
        self.metrics_runner = TaskRunner(self)
        self.metrics_runner.succeeded.connect(self._on_metrics)
        self.metrics_runner.failed.connect(self._on_metrics_failed)
        self.export_runner = TaskRunner(self)
        self.export_runner.succeeded.connect(self._on_exported)
        self.export_runner.failed.connect(self._on_export_failed)
        self._export_target = ""
        state.dataset_changed.connect(self._on_dataset_changed)
        # A new model: checked on the next loop pass, once a training run has started (and
        # its half-trained model is off limits) or an opened checkpoint has been adopted.
        state.model_changed.connect(lambda: QTimer.singleShot(0, self, self._maybe_auto_metrics))
        # After the lab state's own handler: the trained model is back on the CPU by then.
        state.runner.finished.connect(self._maybe_auto_metrics)

    # --------------------------------------------------------------- model
    def finished_model(self) -> LatentModel | None:
        """The full trained model (encoder included), or None while training or before."""
        if self.state.runner.running:
            return None
        return self.state.trained_model

    # --------------------------------------------------- nearest neighbours
    def anchor(self) -> tuple[int, str] | None:
        """The map position the neighbours are of, and how it was chosen: the first selected
        item, else the item nearest the latent probe (the PCA probe without a model)."""
        state = self.state
        if state.dataset is None or len(state.map_indices) == 0:
            return None
        if len(state.selection):
            how = "the selected item" if len(state.selection) == 1 else "the first selected item"
            return int(state.selection[0]), how
        for map_id, name in ((LATENT, "the latent probe"), (PIXELS, "the PCA probe")):
            coords = state.coords.get(map_id)
            if coords is not None and len(coords):
                d = np.sum((coords - state.probes[map_id]) ** 2, axis=1)
                return int(np.argmin(d)), f"the item nearest {name}"
        return None

    def nearest_neighbours(self, space: str, k: int = NEIGHBOURS) -> np.ndarray | None:
        """Select the ``k`` map items nearest the anchor (itself included) in ``space``:
        "latent" (the model's codes) or "input" (pixels or word vectors), Euclidean."""
        from scipy.spatial import cKDTree

        state = self.state
        if space not in SPACES:
            raise ValueError(f"Unknown space {space!r}.")
        anchor = self.anchor()
        if anchor is None:
            state.message.emit("Load a dataset first: there are no items to search.")
            return None
        if space == "latent":
            if state.codes is None or len(state.codes) != len(state.map_indices):
                state.message.emit("Train a model with an encoder first: latent neighbours "
                                   "are found among its codes.")
                return None
            points = state.codes
        else:
            assert state.dataset is not None
            points = state.dataset.x[state.map_indices].reshape(len(state.map_indices), -1)
        position, how = anchor
        k = min(k, len(points))
        _, found = cKDTree(points).query(points[position], k=k)
        found = np.atleast_1d(found)
        if position not in found:  # duplicates at distance 0: keep the anchor itself
            found[-1] = position
        state.set_selection(found)
        item = int(state.map_indices[position])
        state.message.emit(f"Selected the {k} nearest neighbours in {SPACES[space]} of item "
                           f"#{item} ({how}), itself included.")
        return found

    # ---------------------------------------------------------- interpolation
    def interpolation_methods(self) -> tuple[str, ...]:
        model = self.finished_model()
        gaussian = model is not None and model.prior_sample(1) is not None
        return ("lerp", "slerp") if gaussian else ("lerp",)

    def interpolation_problem(self) -> str | None:
        """Why a path cannot be decoded now, or None."""
        state = self.state
        if state.dataset is None:
            return "Load a dataset first."
        if state.dataset.kind != "image":
            return "Interpolation paths show images: this dataset is text."
        if state.runner.running:
            return "Wait for training to end: the path needs the finished encoder."
        model = state.trained_model
        if model is None:
            return "Train or open an autoencoder or a VAE first."
        if isinstance(model, GAN) or not model.has_encoder or not model.reconstructs:
            return ("GANs are not supported here: a path between real items needs an encoder "
                    "that gives them codes (an autoencoder or a VAE).")
        return None

    def default_endpoints(self) -> tuple[int, int] | None:
        """Dataset indices of the first two selected items (the first and last when more)."""
        state = self.state
        if len(state.selection) < 2:
            return None
        first, last = state.selection[0], state.selection[-1]
        return int(state.map_indices[first]), int(state.map_indices[last])

    @torch.no_grad()
    def interpolate(self, item_a: int, item_b: int, n_steps: int = 10) -> InterpolationPath | None:
        """Decode ``n_steps`` codes from item a's to item b's: the straight line, and for a
        Gaussian latent (VAE) the great circle too."""
        from latentlab.core.interpolation import path_codes

        problem = self.interpolation_problem()
        if problem is not None:
            self.state.message.emit(problem)
            return None
        state, model = self.state, self.state.trained_model
        assert state.dataset is not None and model is not None
        n = state.dataset.n
        if not (0 <= item_a < n and 0 <= item_b < n):
            self.state.message.emit(f"Items are numbered 0 to {n - 1}.")
            return None
        model.eval()
        x = torch.from_numpy(state.dataset.x[[item_a, item_b]])
        a, b = model.embed(x).cpu().numpy()
        methods = self.interpolation_methods()
        rows = [model.decode(torch.from_numpy(path_codes(a, b, n_steps, m))).cpu().numpy()
                for m in methods]
        path = InterpolationPath((item_a, item_b), methods, np.stack(rows))
        self.path_ready.emit(path)
        return path

    # ------------------------------------------------------------- metrics
    def compute_metrics(self) -> bool:
        """Evaluate the finished model on the held-out split, in the background."""
        state = self.state
        model = self.finished_model()
        problem = None
        if state.dataset is None:
            problem = "Load a dataset first."
        elif state.runner.running:
            problem = "Training is running: the metrics are computed when it ends."
        elif model is None:
            problem = "Train or open a model first."
        elif len(state.dataset.test_indices) == 0:
            problem = "The dataset has no test split to score on."
        if problem is not None:
            self.metrics_status = problem
            self.metrics_changed.emit()
            return False
        if self.metrics_runner.running:
            if self._evaluating is model:
                return True
            self.metrics_runner.cancel_and_wait()
        from latentlab.core.evaluation import evaluate_model, score_map

        data, name = state.dataset, model_name(model, state.model_epoch)
        shown = self._nonlinear_maps(name)
        items = state.map_indices.copy()
        self._evaluating = model

        def task(_report, _cancel) -> tuple[dict[str, Any], str, list[MetricsRow]]:
            rows = []
            for label, source, coords in shown:
                try:
                    scores = score_map(label, coords, items, data)
                except ValueError:  # no test item among the mapped ones: nothing to score
                    continue
                note = (f"fitted on all {len(items):,} mapped items (train and test together); "
                        f"{scores['test_items']:,} test items scored")
                rows.append(MetricsRow(label, "map", source, scores["knn1"], scores["knn5"],
                                       scores["trustworthiness"], None, note))
            return evaluate_model(model, data), name, rows

        self.metrics_runner.start(task)
        labels = "" if data.labels is not None else " (no labels: no k-NN accuracy)"
        self.metrics_status = f"Computing the metrics of {name}…{labels}"
        self.metrics_changed.emit()
        return True

    @property
    def metrics_busy(self) -> bool:
        return self.metrics_runner.running

    def _maybe_auto_metrics(self) -> None:
        if (self.auto_metrics and self.finished_model() is not None
                and self.finished_model() is not self._evaluated):
            self.compute_metrics()

    def _nonlinear_maps(self, model: str) -> list[tuple[str, str, np.ndarray]]:
        """The UMAP and t-SNE maps on show: (row name, what it maps, coordinates). A map of the
        codes is named after the model whose codes it maps."""
        shown = []
        for setup, fitted, _codes in self.state.map_fits.values():
            if fitted.spec.method not in ("umap", "tsne"):
                continue  # linear maps: the baseline and the model rows already score them
            label = fitted.method_label.split(" · ")[0]
            if setup.source == "codes":
                label += f" ({model})"
            shown.append((label, fitted.method_label, np.array(fitted.coords)))
        return shown

    def _on_metrics(self, outcome: tuple[dict[str, Any], str, list[MetricsRow]]) -> None:
        result, name, map_rows = outcome
        self._evaluated, self._evaluating = self._evaluating, None
        baseline, model_row = rows_from_evaluation(result, name)
        new_names = {model_row.name} | {r.name for r in map_rows}
        rows = [r for r in self.metrics_rows if r.name not in new_names]
        if not any(r.name == baseline.name for r in rows):
            rows.append(baseline)
        rows.append(model_row)
        rows += map_rows
        rows.sort(key=lambda r: r.kind != "baseline")  # stable: baselines first, in order
        self.metrics_rows = rows
        data = result["data"]
        settings = result["settings"]
        trust = f"{settings['trustworthiness_items']:,} test items"
        if settings["trustworthiness_subsampled"]:
            trust += " (a subsample)"
        self.metrics_status = (
            f"{data['name']}: k-NN fit on {data['n_train']:,} train items' map coordinates, "
            f"scored on {data['n_test']:,} test items; trustworthiness (5 neighbours) on {trust}; "
            "reconstruction: sum of squared errors per test image.")
        if data["n_classes"] is None:
            self.metrics_status += " No labels: no k-NN accuracy."
        self.metrics_changed.emit()

    def _on_metrics_failed(self, exc: object, details: str) -> None:
        self._evaluating = None
        self.metrics_status = f"The metrics could not be computed: {exc}"
        self.metrics_changed.emit()
        self.state.error.emit("Could not compute the metrics", str(exc), details)

    def _on_dataset_changed(self) -> None:
        if self.metrics_runner.running:
            self.metrics_runner.cancel_and_wait()
        self._evaluated = self._evaluating = None
        self.metrics_rows = []
        self.metrics_status = "Train a model, then compute its metrics."
        self.metrics_changed.emit()

    # -------------------------------------------------------------- exports
    def export_embeddings(self, fmt: str, target: str | Path) -> bool:
        """Write the finished model's codes of every item with their metadata, in the
        background: "csv" to the file ``target``, "projector" into the folder ``target``."""
        from latentlab.core.export import compute_embeddings, export_projector, write_csv

        state = self.state
        model = self.finished_model()
        if state.dataset is None or model is None:
            state.message.emit("Wait for training to end: the export needs the finished model."
                               if state.runner.running else "Train or open a model first.")
            return False
        if self.export_runner.running:
            state.message.emit("An export is already being written.")
            return False
        data, target = state.dataset, Path(target)
        self._export_target = str(target)
        if fmt == "csv":
            def task(report, cancel) -> list[Path]:
                return [write_csv(compute_embeddings(model, data), target)]
        elif fmt == "projector":
            def task(report, cancel) -> list[Path]:
                target.mkdir(parents=True, exist_ok=True)
                return export_projector(model, data, target)
        else:
            raise ValueError(f"Unknown export format {fmt!r}.")
        self.export_runner.start(task)
        state.message.emit(f"Exporting the embeddings to {target}…")
        return True

    def _on_exported(self, paths: list[Path]) -> None:
        where = paths[0] if len(paths) == 1 else paths[0].parent
        self.state.message.emit(f"Exported the embeddings to {where}.")
        self.exported.emit(paths)

    def _on_export_failed(self, exc: object, details: str) -> None:
        self.state.error.emit("Could not export the embeddings",
                              f"{self._export_target}: {exc}", details)

    def shutdown(self) -> None:
        """Wait for the background tasks (the window is closing)."""
        self.metrics_runner.cancel_and_wait()
        self.export_runner.wait()
