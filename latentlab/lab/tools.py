"""The exploration tools: nearest neighbours, interpolation paths, the metrics table, exports.

They read the other models, change them only through their methods (the selection), and keep
what they add: the metrics table and the background jobs that compute it and write exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from psygnal import Signal

from latentlab.lab.data_session import DataSession
from latentlab.lab.jobs import JobCallbacks, RunnerFactory
from latentlab.lab.map_state import LATENT, PIXELS
from latentlab.lab.maps import Maps
from latentlab.lab.metrics_table import MetricsRow, model_name, rows_from_evaluation
from latentlab.lab.model_kinds import is_conditional_vae, is_gan
from latentlab.lab.model_session import ModelSession
from latentlab.lab.notifications import Notifications
from latentlab.lab.selection import Selection

if TYPE_CHECKING:  # torch loads with the first model, not with the window
    from latentlab.core.models import LatentModel

#: Neighbours selected by "nearest neighbours", the item itself included.
NEIGHBOURS = 10
SPACES = {"latent": "latent space", "input": "input space"}
NO_METRICS_YET = "Train a model, then compute its metrics."


@dataclass(frozen=True)
class InterpolationPath:
    """Decoded images along a path between two items: rows (one per method) × steps."""

    items: tuple[int, int]  # dataset indices
    methods: tuple[str, ...]
    images: np.ndarray  # rows × steps × C×H×W


class Tools:
    metrics_changed = Signal()  # the table or its status line changed
    exported = Signal(object)  # list of written paths
    path_ready = Signal(object)  # InterpolationPath

    def __init__(self, data: DataSession, model: ModelSession, maps: Maps, selection: Selection,
                 runners: RunnerFactory, notes: Notifications) -> None:
        self._data, self._model, self._maps = data, model, maps
        self._selection, self._notes = selection, notes
        #: Baselines first (one per code size), then the models evaluated in this session.
        self.metrics_rows: list[MetricsRow] = []
        self.metrics_status = NO_METRICS_YET
        self.auto_metrics = False  # the metrics panel is showing: evaluate each new model
        self._evaluated: LatentModel | None = None
        self._evaluating: LatentModel | None = None
        self._metrics_runner = runners("metrics")
        self._export_runner = runners("export")
        data.changed.connect(self._on_dataset_changed)
        model.changed.connect(self._maybe_auto_metrics)  # an opened checkpoint
        model.run_ended.connect(self._maybe_auto_metrics)

    # --------------------------------------------------- nearest neighbours
    def anchor(self) -> tuple[int, str] | None:
        """The map position the neighbours are of, and how it was chosen: the first selected
        item, else the item nearest the latent probe (the PCA probe without a model)."""
        items = self._selection.items
        if self._data.dataset is None or len(self._data.map_indices) == 0:
            return None
        if len(items):
            how = "the selected item" if len(items) == 1 else "the first selected item"
            return int(items[0]), how
        for map_id, name in ((LATENT, "the latent probe"), (PIXELS, "the PCA probe")):
            state = self._maps[map_id]
            if state.coords is not None and len(state.coords):
                d = np.sum((state.coords - state.probe) ** 2, axis=1)
                return int(np.argmin(d)), f"the item nearest {name}"
        return None

    def nearest_neighbours(self, space: str, k: int = NEIGHBOURS) -> np.ndarray | None:
        """Select the ``k`` map items nearest the anchor (itself included) in ``space``:
        "latent" (the model's codes) or "input" (pixels or word vectors), Euclidean."""
        from scipy.spatial import cKDTree

        if space not in SPACES:
            raise ValueError(f"Unknown space {space!r}.")
        anchor = self.anchor()
        if anchor is None:
            self._notes.say("Load a dataset first: there are no items to search.")
            return None
        map_indices = self._data.map_indices
        if space == "latent":
            codes = self._model.codes
            if codes is None or len(codes) != len(map_indices):
                self._notes.say("Train a model with an encoder first: latent neighbours are "
                                "found among its codes.")
                return None
            points = codes
        else:
            points = self._data.map_inputs()
        position, how = anchor
        k = min(k, len(points))
        _, found = cKDTree(points).query(points[position], k=k)
        found = np.atleast_1d(found)
        if position not in found:  # duplicates at distance 0: keep the anchor itself
            found[-1] = position
        self._selection.select(found)
        self._notes.say(f"Selected the {k} nearest neighbours in {SPACES[space]} of item "
                        f"#{int(map_indices[position])} ({how}), itself included.")
        return found

    # ---------------------------------------------------------- interpolation
    def interpolation_methods(self) -> tuple[str, ...]:
        model = self._model.finished_model()
        # The great circle is a Gaussian code's path; a conditional VAE's path also morphs
        # the class given to the decoder, a straight line between one-hots.
        gaussian = (model is not None and model.prior_sample(1) is not None
                    and not model.needs_labels)
        return ("lerp", "slerp") if gaussian else ("lerp",)

    def interpolation_problem(self) -> str | None:
        """Why a path cannot be decoded now, or None."""
        dataset, model = self._data.dataset, self._model.trained_model
        if dataset is None:
            return "Load a dataset first."
        if dataset.kind != "image":
            return "Interpolation paths show images: this dataset is text."
        if self._model.training:
            return "Wait for training to end: the path needs the finished encoder."
        if model is None:
            return "Train or open an autoencoder or a VAE first."
        if is_gan(model) or not model.has_encoder or not model.reconstructs:
            return ("GANs are not supported here: a path between real items needs an encoder "
                    "that gives them codes (an autoencoder or a VAE).")
        return None

    def default_endpoints(self) -> tuple[int, int] | None:
        """Dataset indices of the first two selected items (the first and last when more)."""
        items = self._selection.items
        if len(items) < 2:
            return None
        map_indices = self._data.map_indices
        return int(map_indices[items[0]]), int(map_indices[items[-1]])

    def interpolate(self, item_a: int, item_b: int, n_steps: int = 10) -> InterpolationPath | None:
        """Decode ``n_steps`` codes from item a's to item b's: the straight line, and for a
        Gaussian latent (VAE) the great circle too."""
        from latentlab.core.maps.interpolation import path_codes

        problem = self.interpolation_problem()
        if problem is not None:
            self._notes.say(problem)
            return None
        dataset, model = self._data.dataset, self._model.trained_model
        assert dataset is not None and model is not None
        if not (0 <= item_a < dataset.n and 0 <= item_b < dataset.n):
            self._notes.say(f"Items are numbered 0 to {dataset.n - 1}.")
            return None
        import torch  # loaded with the model

        from latentlab.core.training.views import encoder_labels

        with torch.no_grad():
            model.eval()
            ends = np.array([item_a, item_b])
            x = torch.from_numpy(dataset.images(ends))
            labels = encoder_labels(model, dataset, ends)
            if is_conditional_vae(model) and labels is not None:
                # Its decoder inputs, each code with its item's class.
                y = torch.from_numpy(labels)
                a, b = model.decoder_input(model.embed(x, y), y).cpu().numpy()
            else:
                a, b = model.embed(x).cpu().numpy()
            methods = self.interpolation_methods()
            rows = [model.decode(torch.from_numpy(path_codes(a, b, n_steps, m))).cpu().numpy()
                    for m in methods]
        path = InterpolationPath((item_a, item_b), methods, np.stack(rows))
        self.path_ready.emit(path)
        return path

    # ------------------------------------------------------------- metrics
    @property
    def metrics_busy(self) -> bool:
        return self._evaluating is not None

    def compute_metrics(self) -> bool:
        """Evaluate the finished model on the held-out split, in the background."""
        dataset, model = self._data.dataset, self._model.finished_model()
        problem = None
        if dataset is None:
            problem = "Load a dataset first."
        elif self._model.training:
            problem = "Training is running: the metrics are computed when it ends."
        elif model is None:
            problem = "Train or open a model first."
        elif len(dataset.test_indices) == 0:
            problem = "The dataset has no test split to score on."
        if problem is not None:
            self._set_status(problem)
            return False
        assert dataset is not None and model is not None
        if self._metrics_runner.running:
            if self._evaluating is model:
                return True
            self._metrics_runner.cancel_and_wait()
        name = model_name(model, self._model.epoch)
        shown = self._nonlinear_maps(name)
        items = self._data.map_indices.copy()
        self._evaluating = model
        labels = "" if dataset.labels is not None else " (no labels: no k-NN accuracy)"
        self._set_status(f"Computing the metrics of {name}…{labels}")
        self._metrics_runner.start(
            lambda _control: score_job(model, dataset, name, shown, items),
            JobCallbacks(returned=self._on_metrics, errored=self._on_metrics_failed))
        return True

    def set_auto_metrics(self, on: bool) -> None:
        """Evaluate each finished model as it comes (the metrics panel is showing)."""
        self.auto_metrics = on
        self._maybe_auto_metrics()

    def _maybe_auto_metrics(self) -> None:
        model = self._model.finished_model()
        if self.auto_metrics and model is not None and model is not self._evaluated:
            self.compute_metrics()

    def _nonlinear_maps(self, model: str) -> list[tuple[str, str, np.ndarray]]:
        """The UMAP and t-SNE maps on show: (row name, what it maps, coordinates). A map of the
        codes is named after the model whose codes it maps."""
        shown = []
        for state in self._maps.states.values():
            fit = state.fit
            if fit is None or fit.projection.spec.method not in ("umap", "tsne"):
                continue  # linear maps: the baseline and the model rows already score them
            label = fit.projection.method_label.split(" · ")[0]
            if fit.setup.source == "codes":
                label += f" ({model})"
            shown.append((label, fit.projection.method_label, np.array(fit.projection.coords)))
        return shown

    def _set_status(self, text: str) -> None:
        self.metrics_status = text
        self.metrics_changed.emit()

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
        data, settings = result["data"], result["settings"]
        trust = f"{settings['trustworthiness_items']:,} test items"
        if settings["trustworthiness_subsampled"]:
            trust += " (a subsample)"
        status = (
            f"{data['name']}: k-NN fit on {data['n_train']:,} train items' map coordinates, "
            f"scored on {data['n_test']:,} test items; trustworthiness (5 neighbours) on {trust}; "
            "reconstruction: sum of squared errors per test image.")
        if data["n_classes"] is None:
            status += " No labels: no k-NN accuracy."
        self._set_status(status)

    def _on_metrics_failed(self, exc: BaseException, details: str) -> None:
        self._evaluating = None
        self._set_status(f"The metrics could not be computed: {exc}")
        self._notes.report_error("Could not compute the metrics", str(exc), details)

    def _on_dataset_changed(self) -> None:
        self._metrics_runner.cancel_and_wait()
        self._evaluated = self._evaluating = None
        self.metrics_rows = []
        self._set_status(NO_METRICS_YET)

    # -------------------------------------------------------------- exports
    def export_embeddings(self, fmt: str, target: str | Path) -> bool:
        """Write the finished model's codes of every item with their metadata, in the
        background: "csv" to the file ``target``, "projector" into the folder ``target``."""
        from latentlab.core.files.export import compute_embeddings, export_projector, write_csv

        dataset, model = self._data.dataset, self._model.finished_model()
        if dataset is None or model is None:
            self._notes.say("Wait for training to end: the export needs the finished model."
                            if self._model.training else "Train or open a model first.")
            return False
        if self._export_runner.running:
            self._notes.say("An export is already being written.")
            return False
        if fmt not in ("csv", "projector"):
            raise ValueError(f"Unknown export format {fmt!r}.")
        target = Path(target)

        def job(_control: object) -> list[Path]:
            if fmt == "csv":
                return [write_csv(compute_embeddings(model, dataset), target)]
            target.mkdir(parents=True, exist_ok=True)
            return export_projector(model, dataset, target)

        self._notes.say(f"Exporting the embeddings to {target}…")
        self._export_runner.start(job, JobCallbacks(
            returned=self._on_exported,
            errored=lambda exc, details: self._notes.report_error(
                "Could not export the embeddings", f"{target}: {exc}", details)))
        return True

    def _on_exported(self, paths: list[Path]) -> None:
        where = paths[0] if len(paths) == 1 else paths[0].parent
        self._notes.say(f"Exported the embeddings to {where}.")
        self.exported.emit(paths)

    def shutdown(self) -> None:
        """Wait for the background jobs (the window is closing)."""
        self._metrics_runner.cancel_and_wait()
        self._export_runner.wait()


def score_job(model: LatentModel, data: Any, name: str, shown: list[tuple[str, str, np.ndarray]],
              items: np.ndarray) -> tuple[dict[str, Any], str, list[MetricsRow]]:
    """The metrics job: the model against the baseline, and each nonlinear map on show."""
    from latentlab.core.evaluation.model import evaluate_model, score_map

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
