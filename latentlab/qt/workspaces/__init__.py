"""The workspaces the window offers, in menu order (see :mod:`latentlab.qt.workspace`).

The first is built with the window. The others use torch from their first frame (a 2-D GAN's
trainer draws its start, translation models their nets), so the window builds them — and imports
their modules — once torch has loaded behind it (:mod:`latentlab.lab.engine`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from latentlab.qt.workspace import Workspace
from latentlab.qt.workspaces.latent_maps import LatentMapsWorkspace


@dataclass(frozen=True)
class LaterWorkspace:
    """A workspace built once torch is loaded: its title for the View menu until then."""

    title: str
    module: str
    name: str

    def load(self) -> type[Workspace]:
        cls: type[Workspace] = getattr(importlib.import_module(self.module), self.name)
        return cls


FIRST: type[Workspace] = LatentMapsWorkspace
LATER: tuple[LaterWorkspace, ...] = (
    LaterWorkspace("GAN dynamics", "latentlab.qt.workspaces.gan_dynamics", "GanDynamicsWorkspace"),
    LaterWorkspace("Image translation", "latentlab.qt.workspaces.translation",
                   "TranslationWorkspace"),
    LaterWorkspace("Unpaired translation", "latentlab.qt.workspaces.unpaired",
                   "UnpairedWorkspace"),
)
