"""The files half of the lab state: checkpoints saved, autosaved and opened, and lab files.

A model is saved whenever a training run ends (completed, stopped or failed on a NaN) and when
the window closes mid-run, into the user data folder, so nothing trained is ever lost. Opening a
checkpoint adopts its model as if it had just been trained; opening a lab loads its dataset first
(in the background, like any load) and then its models, map settings and probes.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data import Dataset
from latentlab.core.data.source import DataSource
from latentlab.core.files.checkpoint import (
    SUFFIX,
    Checkpoint,
    CheckpointError,
    CheckpointMeta,
    check_matches,
    describe_data,
    load_checkpoint,
    save_checkpoint,
)
from latentlab.core.files.labfile import Lab, LabFileError, load_lab, save_lab
from latentlab.core.files.userdirs import user_data_folder
from latentlab.core.models import LatentModel
from latentlab.core.training.views import model_views
from latentlab.qt.map_ids import LATENT, MAP_IDS
from latentlab.qt.state_maps import MapSetup


class FileStateMixin:
    # Kept by LabState; listed here for the reader.
    dataset: Dataset | None
    model_cfg: ModelConfig
    train_cfg: TrainConfig
    live_model: LatentModel | None
    probes: dict[str, np.ndarray]
    colour_by: str
    map_indices: np.ndarray
    strip_indices: np.ndarray

    #: The model a training run works on (or an opened checkpoint's): what gets saved.
    trained_model: LatentModel | None
    #: Where the current model was last saved or opened from (None: never saved).
    model_path: Path | None
    model_epoch: int
    model_metrics: dict[str, float]
    #: The current dataset's source, so a lab or checkpoint can name it.
    dataset_request: DataSource | None
    #: A lab whose dataset is loading; its models and probes follow once it has loaded.
    _pending_lab: Lab | None

    # ------------------------------------------------------------ checkpoints
    def checkpoint_meta(self) -> CheckpointMeta:
        assert self.dataset is not None
        request = self.dataset_request
        return CheckpointMeta(model=self.model_cfg, train=self.train_cfg,
                              input_shape=self.dataset.input_shape,
                              data=describe_data(self.dataset, request),
                              epoch=self.model_epoch, metrics=dict(self.model_metrics))

    def save_model(self, path: str | Path) -> Path | None:
        """Save the current model; on failure say why (nothing is overwritten) and return None."""
        if self.trained_model is None or self.dataset is None:
            self.message.emit("Train or open a model first: there is nothing to save.")
            return None
        if self.runner.running:
            self.message.emit("Stop training first: a checkpoint holds finished weights.")
            return None
        try:
            saved = save_checkpoint(path, self.trained_model, self.checkpoint_meta())
        except CheckpointError as exc:
            self.error.emit("Could not save the model", str(exc), "")
            return None
        self.model_path = saved
        self.message.emit(f"Saved the model to {saved}.")
        return saved

    def autosave_model(self) -> Path | None:
        """Keep every trained model: a new file in the user data folder."""
        if self.trained_model is None or self.dataset is None:
            return None
        stem = f"{self.dataset.name}-{self.model_cfg.family}-{time.strftime('%Y%m%d-%H%M%S')}"
        stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)
        folder = user_data_folder("models")
        path, n = folder / f"{stem}{SUFFIX}", 1
        while path.exists():  # two runs within a second: never overwrite a kept model
            n += 1
            path = folder / f"{stem}-{n}{SUFFIX}"
        return self.save_model(path)

    def open_model(self, path: str | Path) -> bool:
        """Adopt a checkpoint's model for the current dataset; say why when it cannot be."""
        if self.dataset is None:
            return False
        try:
            checkpoint = load_checkpoint(path)
            check_matches(checkpoint.meta, self.dataset, path)
        except CheckpointError as exc:
            self.error.emit("Could not open the model",
                            f"{exc}\n\n{self.dataset.name} and its maps are unchanged.", "")
            return False
        self.adopt_checkpoint(checkpoint)
        self.message.emit(f"Opened {checkpoint.meta.describe()}.")
        return True

    def adopt_checkpoint(self, checkpoint: Checkpoint) -> None:
        """Show a loaded model as if it had just finished training on this dataset."""
        assert self.dataset is not None
        if self.runner.running:
            self.runner.stop_and_wait()
        model = checkpoint.model.eval()
        self.model_cfg, self.train_cfg = checkpoint.meta.model, checkpoint.meta.train
        self._reset_model_views()
        self.trained_model, self.live_model = model, model
        self.model_path, self.model_epoch = checkpoint.path, checkpoint.meta.epoch
        self.model_metrics = dict(checkpoint.meta.metrics)
        self._probe_follows_codes = True
        self._prepare_latent_map(model)
        self.model_changed.emit()
        self.map_changed.emit(LATENT)
        x = self.dataset.x
        self._apply_snapshot(model_views(model, x[self.map_indices], x[self.strip_indices],
                                         self.train_cfg.seed, self.model_epoch))

    # --------------------------------------------------------------- labs
    def save_lab_file(self, path: str | Path) -> Path | None:
        """Dataset, model, map settings and probes; an unsaved model is saved beside the lab."""
        if self.dataset is None or self.dataset_request is None:
            self.message.emit("Load a dataset first: a lab starts from one.")
            return None
        path = Path(path)
        checkpoints: list[str] = []
        if self.trained_model is not None:
            unsaved = self.model_path is None or not self.model_path.is_file()
            if unsaved and self.save_model(path.with_suffix(SUFFIX)) is None:
                return None
            checkpoints.append(str(self.model_path))
        request = self.dataset_request
        maps: dict = {"colour_by": self.colour_by}
        if self.gen_code is not None:
            maps["generator_code"] = {"noise": self.gen_code.noise.tolist(),
                                      "category": self.gen_code.category,
                                      "continuous": self.gen_code.continuous.tolist()}
        if self.map_fits:  # the projections the maps show, computed again when the lab opens
            maps["setups"] = {m: fit[0].to_json() for m, fit in self.map_fits.items()}
        lab = Lab(dataset=request,
                  checkpoints=checkpoints, maps=maps,
                  probes={m: [float(v) for v in self.probes[m]] for m in MAP_IDS})
        try:
            saved = save_lab(path, lab)
        except LabFileError as exc:
            self.error.emit("Could not save the lab", str(exc), "")
            return None
        self.message.emit(f"Saved the lab to {saved}.")
        return saved

    def open_lab(self, path: str | Path, lab: Lab | None = None) -> bool:
        """Load a lab's dataset, then (when it has loaded) its models, maps and probes.

        Raises DatasetMissing (with ``path`` and the ``lab``) when its dataset is not where it
        says, for the caller to ask where it went; pass the relocated ``lab`` back in.
        """
        if lab is None:
            try:
                lab = load_lab(path)
            except LabFileError as exc:
                if type(exc) is not LabFileError:
                    raise  # DatasetMissing: a question for the user, not an error
                self.error.emit("Could not open the lab", str(exc), "")
                return False
        request = lab.dataset
        if request.is_catalogue:  # downloads go to this window's cache folder
            request = DataSource.parse(request.location, cache_dir=self.catalogue_cache_dir)
        if not self.load_dataset(request):
            return False
        self._pending_lab = lab
        return True

    def _continue_lab(self, loaded: bool) -> None:
        """After a lab's dataset load: adopt its model and restore what the lab recorded."""
        lab, self._pending_lab = self._pending_lab, None
        if lab is None or not loaded:
            return
        for checkpoint in lab.checkpoints[:1]:  # the lab's model (one per lab for now)
            if not self.open_model(checkpoint):
                return
        self.set_colour_by(str(lab.maps.get("colour_by", "label")))
        code = lab.maps.get("generator_code")
        if code is not None and self.gen_code is not None:
            try:
                self._set_gen_code(type(self.gen_code)(
                    np.asarray(code["noise"], np.float32), int(code["category"]),
                    np.asarray(code["continuous"], np.float32)))
            except (KeyError, TypeError, ValueError):
                self.message.emit("The lab's generator code did not fit the model; ignored.")
        setups = lab.maps.get("setups", {})
        for map_id, data in setups.items() if isinstance(setups, dict) else ():
            try:
                setup = MapSetup.from_json(data)
            except ValueError as exc:
                self.message.emit(f"The lab's setup of map “{map_id}” was ignored: {exc}.")
                continue
            if map_id in MAP_IDS and self.project_map(map_id, setup):
                xy = lab.probes.get(map_id)
                # The probe is placed once the projection is done.
                if xy is not None and len(xy) == 2 and self.is_projecting(map_id):
                    self._pending_probes[map_id] = np.asarray(xy, np.float32)
        for map_id, xy in lab.probes.items():
            if map_id in MAP_IDS and len(xy) == 2 and (map_id != LATENT or self.gan is None):
                self.set_probe(map_id, np.asarray(xy, np.float32))
        self.decode_now()
