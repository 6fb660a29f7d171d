"""One map's state: what it shows (setup and fitted projection), its points, title, probe and
what the probe decodes to. Each :class:`MapState` is the only writer of its fields; the maps
coordinator (:mod:`latentlab.lab.maps`) and the decoder call its methods.

The first two maps start as *built-in views* that need no projection: the PCA (LSA) baseline of
the inputs, and the model's codes (which follow training and replay on the timeline). A chosen
projection *replaces* such a view until its default setup is chosen again; the view is kept,
and kept up to date, meanwhile.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from psygnal import Signal

from latentlab.core.maps.setup import MapSetup
from latentlab.core.maps.spatial import PointIndex

PIXELS, LATENT, THIRD = "pixels", "latent", "third"
#: The three maps, named after what the first two show until the user chooses otherwise.
MAP_IDS = (PIXELS, LATENT, THIRD)
#: What each map shows until the user chooses otherwise. The first two are built-in views.
DEFAULT_SETUPS = {PIXELS: MapSetup("inputs", "pca"), LATENT: MapSetup("codes", "codes"),
                  THIRD: MapSetup("inputs", "tsne")}
BUILT_IN = (PIXELS, LATENT)
#: Maps of this many points build their spatial index in the background when first hovered.
BACKGROUND_INDEX_POINTS = 200_000


@dataclass(frozen=True)
class MapFit:
    """A projection a map shows: the setup, the fitted projection, the codes it maps (or None
    for a map of the inputs)."""

    setup: MapSetup
    projection: Any  # latentlab.core.maps.projection.FittedProjection
    codes: np.ndarray | None


@dataclass(frozen=True)
class View:
    """A map's points and the title that says what they are (and their index, if built)."""

    coords: np.ndarray | None
    title: str
    index: PointIndex | None = None


def empty_title(setup: MapSetup) -> str:
    return f"{setup.title}: press Apply"


_STEPS = re.compile(r"(\d[\d,]*) of (\d[\d,]*)")


def progress_steps(text: str) -> tuple[int, int] | None:
    """(done, total) when a projection's progress text counts its steps ("iteration 250 of
    750", "epoch 80 of 200"); None for a phase that does not (a neighbour search)."""
    match = _STEPS.search(text)
    if match is None:
        return None
    done, total = (int(g.replace(",", "")) for g in match.groups())
    return (done, total) if 0 <= done <= total and total > 0 else None


class MapState:
    changed = Signal()  # points or title
    probe_moved = Signal()
    decoded = Signal()
    projection_changed = Signal()  # a projection started or ended
    projection_progress = Signal(str)  # empty when done

    def __init__(self, map_id: str) -> None:
        self.id = map_id
        self.setup = DEFAULT_SETUPS[map_id]
        #: The projection shown (None: a built-in view, or nothing yet).
        self.fit: MapFit | None = None
        self.coords: np.ndarray | None = None
        self.title = empty_title(self.setup) if map_id not in BUILT_IN else ""
        self.probe = np.zeros(2, np.float32)
        #: What the probe decodes to: an image, or word probabilities for text.
        self.image: np.ndarray | None = None
        #: A projection is being computed for ``setup``.
        self.projecting = False
        self.progress = ""
        #: While projecting, the title to return to if the projection is cancelled or fails.
        self._title_before = self.title
        #: A replaced built-in view, kept up to date until it returns.
        self.hidden_view: View | None = None
        # The points' index and the coordinates it was built over (an index built in the
        # background for points since replaced is never used).
        self._index: tuple[np.ndarray, PointIndex] | None = None
        self._building: np.ndarray | None = None  # the coordinates a background build is for

    @property
    def built_in(self) -> bool:
        return self.id in BUILT_IN

    @property
    def replaced(self) -> bool:
        """A built-in map showing a chosen projection."""
        return self.built_in and self.fit is not None

    def show(self, coords: np.ndarray | None, title: str | None = None,
             index: PointIndex | None = None) -> None:
        """Show ``coords`` (N×2) under ``title``; ``index``: their spatial index, if built."""
        self.coords = None if coords is None else np.asarray(coords, np.float32)
        self._index = (self.coords, index) if self.coords is not None and index is not None and (
            len(index) == len(self.coords)) else None
        if title is not None and self.projecting:  # the new method's title stays meanwhile
            self._title_before = title
        elif title is not None:
            self.title = title
        self.changed.emit()

    @property
    def index(self) -> PointIndex | None:
        """The points' spatial index (hover, lasso, decoding): built on first use, kept until
        the points change. None when there are no points."""
        if self.coords is None or len(self.coords) == 0:
            return None
        index = self._built_index()
        if index is None:
            index = PointIndex(self.coords)
            self._index = (self.coords, index)
        return index

    def ready_index(self) -> PointIndex | None:
        """The index if it is at hand. A big map's (``BACKGROUND_INDEX_POINTS`` or more: 0.6 s
        at a million points) is built on a thread of its own meanwhile, so that a hover over
        codes that change while a model trains never waits for one; None until it is ready."""
        if self.coords is None or len(self.coords) == 0:
            return None
        index = self._built_index()
        if index is not None or len(self.coords) < BACKGROUND_INDEX_POINTS:
            return index if index is not None else self.index
        coords = self.coords
        if self._building is not coords:
            self._building = coords
            threading.Thread(target=self._build_index, args=(coords,), daemon=True,
                             name="map index").start()
        return None

    def _build_index(self, coords: np.ndarray) -> None:
        built = (coords, PointIndex(coords))
        if self.coords is coords:  # else the points have changed: it would never be used
            self._index = built

    def _built_index(self) -> PointIndex | None:
        """The index built over the current points, if any."""
        return self._index[1] if self._index is not None and (
            self._index[0] is self.coords) else None

    def show_built_in(self, view: View) -> None:
        """The built-in view's points: shown, or kept for its return while replaced."""
        if self.replaced:
            self.hidden_view = view
        else:
            self.show(view.coords, view.title, view.index)

    def move_probe(self, xy: np.ndarray | tuple[float, float]) -> None:
        self.probe = np.asarray(xy, dtype=np.float32).reshape(2)
        self.probe_moved.emit()

    def set_image(self, image: np.ndarray | None) -> None:
        """What the probe decodes to (None: nothing to show)."""
        self.image = image
        self.decoded.emit()

    def begin_projection(self, setup: MapSetup, title: str) -> None:
        """``title`` names the projection being computed until it ends."""
        if not self.projecting:
            self._title_before = self.title
        self.setup, self.projecting, self.title = setup, True, title
        self.changed.emit()
        self.projection_changed.emit()

    def report_progress(self, text: str) -> None:
        self.progress = text
        self.projection_progress.emit(text)

    def end_projection(self, fit: MapFit | None, index: PointIndex | None = None) -> None:
        """A projection ended: shown when ``fit`` is given (``index``: over its points), else
        the map stays as it was."""
        was_projecting, self.projecting = self.projecting, False
        if fit is not None:
            if self.built_in and self.fit is None:
                self.hidden_view = View(self.coords, self._title_before, self._built_index())
            self.fit = fit
            self.setup = fit.setup
            self.show(fit.projection.coords, fit.projection.method_label, index)
        else:  # the map stays as it was, and so does its title
            if self.fit is not None:
                self.setup = self.fit.setup
            elif self.built_in:
                self.setup = DEFAULT_SETUPS[self.id]
            if was_projecting:
                self.title = (self._title_before if self.fit is not None or self.built_in
                              or self.coords is not None else empty_title(self.setup))
                self.changed.emit()
        self.projection_changed.emit()
        self.report_progress("")

    def refit(self, fit: MapFit) -> None:
        """The same projection fitted again (a linear map of codes that moved)."""
        self.fit = fit
        self.show(fit.projection.coords)

    def restore_built_in(self) -> bool:
        """Show the built-in view again; True when it had been replaced."""
        self.setup = DEFAULT_SETUPS[self.id]
        replaced, view = self.fit is not None, self.hidden_view
        self.fit, self.hidden_view = None, None
        if replaced and view is not None:
            self.image = None
            self.show(view.coords, view.title, view.index)
        return replaced

    def clear(self) -> None:
        """A map of a source that is gone: empty, its setup kept to be applied again."""
        self.fit = None
        self.image = None
        self.show(None, empty_title(self.setup))
