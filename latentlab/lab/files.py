"""Checkpoints and lab files: autosave, save, open.

A model is saved whenever a training run ends (completed, stopped or failed on a NaN) and when
the window closes mid-run, into the user data folder, so nothing trained is ever lost. Opening a
checkpoint adopts its model as if it had just been trained; opening a lab loads its dataset first
(in the background, like any load) and then its model, map settings and probes.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from latentlab.core.files.checkpoint import (
    SUFFIX,
    CheckpointError,
    CheckpointMeta,
    check_matches,
    describe_data,
    load_checkpoint,
    save_checkpoint,
)
from latentlab.core.files.labfile import Lab, LabFileError, load_lab, save_lab
from latentlab.core.files.userdirs import user_data_folder
from latentlab.core.maps.setup import MapSetup
from latentlab.lab.colouring import Colouring
from latentlab.lab.data_session import DataSession, LoadOutcome
from latentlab.lab.generator import GeneratorCodes
from latentlab.lab.map_state import LATENT, MAP_IDS
from latentlab.lab.maps import Maps
from latentlab.lab.model_session import ModelSession
from latentlab.lab.notifications import Notifications


class LabFiles:
    """Reads and writes the lab's files; writes no other model's fields (it calls them)."""

    def __init__(self, data: DataSession, model: ModelSession, maps: Maps,
                 colouring: Colouring, generator: GeneratorCodes, notes: Notifications) -> None:
        self._data, self._model, self._maps = data, model, maps
        self._colouring, self._generator = colouring, generator
        self._notes = notes
        #: A lab whose dataset is loading; its model, maps and probes follow once it has.
        self.pending_lab: Lab | None = None
        model.run_ended.connect(self._autosave_run)
        data.load_ended.connect(self._continue_lab)

    # ------------------------------------------------------------ checkpoints
    def checkpoint_meta(self) -> CheckpointMeta:
        data, model = self._data, self._model
        assert data.dataset is not None
        return CheckpointMeta(model=model.model_cfg, train=model.train_cfg,
                              input_shape=data.dataset.input_shape,
                              data=describe_data(data.dataset, data.source),
                              epoch=model.epoch, metrics=dict(model.metrics))

    def save_model(self, path: str | Path) -> Path | None:
        """Save the current model; on failure say why (nothing is overwritten) and return None."""
        model = self._model
        if model.trained_model is None or self._data.dataset is None:
            self._notes.say("Train or open a model first: there is nothing to save.")
            return None
        if model.training:
            self._notes.say("Stop training first: a checkpoint holds finished weights.")
            return None
        try:
            saved = save_checkpoint(path, model.trained_model, self.checkpoint_meta())
        except CheckpointError as exc:
            self._notes.report_error("Could not save the model", str(exc))
            return None
        model.mark_saved(saved)
        self._notes.say(f"Saved the model to {saved}.")
        return saved

    def autosave_model(self) -> Path | None:
        """Keep every trained model: a new file in the user data folder."""
        dataset = self._data.dataset
        if self._model.trained_model is None or dataset is None:
            return None
        stem = f"{dataset.name}-{self._model.model_cfg.family}-{time.strftime('%Y%m%d-%H%M%S')}"
        stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)
        folder = user_data_folder("models")
        path, n = folder / f"{stem}{SUFFIX}", 1
        while path.exists():  # two runs within a second: never overwrite a kept model
            n += 1
            path = folder / f"{stem}-{n}{SUFFIX}"
        return self.save_model(path)

    def _autosave_run(self) -> None:
        if self._model.unsaved:
            self.autosave_model()

    def open_model(self, path: str | Path) -> bool:
        """Adopt a checkpoint's model for the current dataset; say why when it cannot be."""
        dataset = self._data.dataset
        if dataset is None:
            return False
        try:
            checkpoint = load_checkpoint(path)
            check_matches(checkpoint.meta, dataset, path)
        except CheckpointError as exc:
            self._notes.report_error("Could not open the model",
                                     f"{exc}\n\n{dataset.name} and its maps are unchanged.")
            return False
        self._model.adopt_checkpoint(checkpoint)
        self._notes.say(f"Opened {checkpoint.meta.describe()}.")
        return True

    # ------------------------------------------------------------------ labs
    def save_lab(self, path: str | Path) -> Path | None:
        """Dataset, model, map settings and probes; an unsaved model is saved beside the lab."""
        data, model = self._data, self._model
        if data.dataset is None or data.source is None:
            self._notes.say("Load a dataset first: a lab starts from one.")
            return None
        path = Path(path)
        checkpoints: list[str] = []
        if model.trained_model is not None:
            unsaved = model.path is None or not model.path.is_file()
            if unsaved and self.save_model(path.with_suffix(SUFFIX)) is None:
                return None
            checkpoints.append(str(model.path))
        maps: dict = {"colour_by": self._colouring.colour_by}
        code = self._generator.to_json()
        if code is not None:
            maps["generator_code"] = code
        setups = {m: s.fit.setup.to_json() for m, s in self._maps.states.items() if s.fit}
        if setups:  # the projections the maps show, computed again when the lab opens
            maps["setups"] = setups
        lab = Lab(dataset=data.source, checkpoints=checkpoints, maps=maps,
                  probes={m: [float(v) for v in s.probe] for m, s in self._maps.states.items()})
        try:
            saved = save_lab(path, lab)
        except LabFileError as exc:
            self._notes.report_error("Could not save the lab", str(exc))
            return None
        self._notes.say(f"Saved the lab to {saved}.")
        return saved

    def open_lab(self, path: str | Path, lab: Lab | None = None) -> bool:
        """Load a lab's dataset, then (when it has loaded) its model, maps and probes.

        Raises DatasetMissing (with ``path`` and the ``lab``) when its dataset is not where it
        says, for the caller to ask where it went; pass the relocated ``lab`` back in.
        """
        if lab is None:
            try:
                lab = load_lab(path)
            except LabFileError as exc:
                if type(exc) is not LabFileError:
                    raise  # DatasetMissing: a question for the user, not an error
                self._notes.report_error("Could not open the lab", str(exc))
                return False
        self.pending_lab = lab  # before the load: a load may end before ``load`` returns
        if not self._data.load(lab.dataset):
            self.pending_lab = None
            return False
        return True

    def _continue_lab(self, outcome: LoadOutcome) -> None:
        """After a lab's dataset load: adopt its model and restore what the lab recorded."""
        lab, self.pending_lab = self.pending_lab, None
        if lab is None or outcome.dataset is None:
            return
        for checkpoint in lab.checkpoints[:1]:  # the lab's model (one per lab for now)
            if not self.open_model(checkpoint):
                return
        self._colouring.set_colour_by(str(lab.maps.get("colour_by", "label")))
        code = lab.maps.get("generator_code")
        if isinstance(code, dict) and self._generator.code is not None:
            try:
                self._generator.restore(code["noise"], code["category"], code["continuous"])
            except (KeyError, TypeError, ValueError):
                self._notes.say("The lab's generator code did not fit the model; ignored.")
        setups = lab.maps.get("setups", {})
        for map_id, data in setups.items() if isinstance(setups, dict) else ():
            try:
                setup = MapSetup.from_json(data)
            except ValueError as exc:
                self._notes.say(f"The lab's setup of map “{map_id}” was ignored: {exc}.")
                continue
            xy = lab.probes.get(map_id)
            probe = np.asarray(xy, np.float32) if xy is not None and len(xy) == 2 else None
            if map_id in MAP_IDS:
                self._maps.project(map_id, setup, probe)  # the probe is placed once it is done
        for map_id, xy in lab.probes.items():
            if map_id not in MAP_IDS or len(xy) != 2 or self._maps[map_id].projecting:
                continue
            if map_id != LATENT or self._model.gan is None:  # a GAN's probe is its code's
                self._maps.set_probe(map_id, np.asarray(xy, np.float32))
        self._maps.decode_now()
