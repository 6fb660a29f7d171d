"""The workspaces the window offers, in menu order (see :mod:`latentlab.qt.workspace`)."""

from __future__ import annotations

from latentlab.qt.workspace import Workspace
from latentlab.qt.workspaces.gan_dynamics import GanDynamicsWorkspace
from latentlab.qt.workspaces.latent_maps import LatentMapsWorkspace
from latentlab.qt.workspaces.translation import TranslationWorkspace
from latentlab.qt.workspaces.unpaired import UnpairedWorkspace

WORKSPACES: tuple[type[Workspace], ...] = (LatentMapsWorkspace, GanDynamicsWorkspace,
                                           TranslationWorkspace, UnpairedWorkspace)
