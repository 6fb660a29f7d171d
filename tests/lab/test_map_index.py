"""A map's spatial index: kept with its points, and for big maps built off the caller's
thread, never used for points that have since changed."""

from __future__ import annotations

import time

import numpy as np

import latentlab.lab.map_state as map_state
from latentlab.core.maps.spatial import PointIndex
from latentlab.lab.map_state import PIXELS, MapState


def wait_for(check, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while (value := check()) is None:
        assert time.monotonic() < deadline, "the index was never built"
        time.sleep(0.01)
    return value


def test_an_index_is_built_once_and_given_ones_are_kept() -> None:
    state = MapState(PIXELS)
    assert state.index is None and state.ready_index() is None  # no points, no index
    coords = np.random.default_rng(0).normal(size=(50, 2))
    state.show(coords)
    first = state.index
    assert first is not None and state.index is first and state.ready_index() is first
    given = PointIndex(coords)
    state.show(coords, index=given)
    assert state.index is given
    state.show(coords[:10], index=given)  # an index over other points is not taken
    assert state.index is not given and len(state.index) == 10


def test_a_big_maps_index_is_built_in_the_background(monkeypatch) -> None:
    monkeypatch.setattr(map_state, "BACKGROUND_INDEX_POINTS", 100)
    rng = np.random.default_rng(1)
    state = MapState(PIXELS)
    state.show(rng.normal(size=(20_000, 2)))
    assert state.ready_index() is None  # a hover does not wait: building meanwhile
    index = wait_for(state.ready_index)
    np.testing.assert_array_equal(index.coords, state.coords)
    # Points replaced while their index is built: the late index is never used for the new.
    state.show(rng.normal(size=(20_000, 2)))
    building_for_old = state.ready_index()
    state.show(rng.normal(size=(300, 2)))
    assert building_for_old is None
    fresh = wait_for(state.ready_index)
    np.testing.assert_array_equal(fresh.coords, state.coords)
