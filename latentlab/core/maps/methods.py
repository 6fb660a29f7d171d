"""The vocabulary of maps: the one table of methods (id, title, parameters and their defaults),
what a map may show, and the errors a projection raises.

Everything that names a method — the core's projections, the command line, the window's menus
and map titles — reads it from here. No heavy imports: this module is cheap to load.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class MapMethod:
    """One way to draw items in 2-D."""

    id: str
    title: str  # what menus and map titles say
    defaults: Mapping[str, Any]  # every parameter it takes, with its default (None: the library's)
    exact_inverse: bool  # decodes exactly; else through the codes of nearby map points
    in_menu: bool = True  # offered in a map's method menu (LSA is how PCA runs on text)


#: Every method, in menu order.
TABLE: Mapping[str, MapMethod] = MappingProxyType({m.id: m for m in (
    MapMethod("pca", "PCA", MappingProxyType({}), exact_inverse=True),
    MapMethod("lsa", "LSA", MappingProxyType({}), exact_inverse=True, in_menu=False),
    MapMethod("umap", "UMAP", MappingProxyType({"n_neighbors": 15, "min_dist": 0.1,
                                                "n_epochs": None}), exact_inverse=False),
    MapMethod("tsne", "t-SNE", MappingProxyType({"perplexity": 30.0, "max_iter": 1000}),
              exact_inverse=False),
    MapMethod("codes", "Codes", MappingProxyType({}), exact_inverse=True),
)})

METHODS: tuple[str, ...] = tuple(TABLE)
#: The methods a map's menu offers, in order.
MENU_METHODS: tuple[str, ...] = tuple(m.id for m in TABLE.values() if m.in_menu)
METHOD_NAMES: Mapping[str, str] = MappingProxyType({m.id: m.title for m in TABLE.values()})
#: Each method's parameters and their defaults (``None``: the library's own choice).
DEFAULT_PARAMS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {m.id: m.defaults for m in TABLE.values()})
#: What a map may show, with its title: the items' inputs or the model's codes.
SOURCES: Mapping[str, str] = MappingProxyType({"inputs": "Inputs", "codes": "Codes"})
#: UMAP's spectral layout and neighbour graph need a handful of points whatever n_neighbors is.
UMAP_MIN_ITEMS = 10


class ProjectionError(ValueError):
    """A projection that cannot run on this input, with the reason (nothing was changed)."""


class ProjectionCancelled(Exception):
    """The caller's ``cancel`` event was set before the projection finished."""


def check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise ProjectionCancelled("projection cancelled")
