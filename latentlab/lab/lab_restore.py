"""Restoring a lab's view once its dataset and model are in place (a lab file's, or a lesson
step's set-up)."""

from __future__ import annotations

import numpy as np

from latentlab.core.files.labfile import Lab
from latentlab.core.maps.setup import MapSetup
from latentlab.lab.colouring import Colouring
from latentlab.lab.generator import GeneratorCodes
from latentlab.lab.map_state import LATENT, MAP_IDS
from latentlab.lab.maps import Maps
from latentlab.lab.model_session import ModelSession
from latentlab.lab.notifications import Notifications
from latentlab.lab.semisup import Semisup


def restore_lab(lab: Lab, semisup: Semisup, colouring: Colouring, generator: GeneratorCodes,
                maps: Maps, model: ModelSession, notes: Notifications) -> None:
    """The lab's few-label results (which may colour the maps), colours, generator code, maps'
    projections (computed again, in the background in the app) and probes."""
    semisup.restore(lab.maps.get("semisup"))
    colouring.set_colour_by(str(lab.maps.get("colour_by", "label")))
    code = lab.maps.get("generator_code")
    if isinstance(code, dict) and generator.code is not None:
        try:
            generator.restore(code["noise"], code["category"], code["continuous"])
        except (KeyError, TypeError, ValueError):
            notes.say("The lab's generator code did not fit the model; ignored.")
    setups = lab.maps.get("setups", {})
    for map_id, data in setups.items() if isinstance(setups, dict) else ():
        try:
            setup = MapSetup.from_json(data)
        except ValueError as exc:
            notes.say(f"The lab's setup of map “{map_id}” was ignored: {exc}.")
            continue
        xy = lab.probes.get(map_id)
        probe = np.asarray(xy, np.float32) if xy is not None and len(xy) == 2 else None
        if map_id in MAP_IDS:
            maps.project(map_id, setup, probe)  # the probe is placed once it is done
    for map_id, xy in lab.probes.items():
        if map_id not in MAP_IDS or len(xy) != 2 or maps[map_id].projecting:
            continue
        if map_id != LATENT or model.gan is None:  # a GAN's probe is its code's
            maps.set_probe(map_id, np.asarray(xy, np.float32))
    maps.decode_now()
