"""The presentation model headless: presenting, zoom within its bounds, controls, the banner."""

from __future__ import annotations

import pytest

from latentlab.lab.presentation import (
    MAX_BANNER_CHARS,
    MAX_ZOOM,
    MIN_ZOOM,
    PRESENTING_ZOOM,
    Presentation,
)


def test_presenting_has_its_own_zoom_and_leaving_gives_the_old_one_back() -> None:
    model = Presentation()
    seen: list[float] = []
    model.zoom_changed.connect(seen.append)
    assert not model.presenting and model.zoom == MIN_ZOOM
    model.start()
    assert model.presenting and model.zoom == PRESENTING_ZOOM
    model.zoom_in()
    assert model.zoom == PRESENTING_ZOOM + 0.25
    model.stop()
    assert not model.presenting and model.zoom == MIN_ZOOM
    model.toggle()  # the zoom chosen while presenting comes back
    assert model.zoom == PRESENTING_ZOOM + 0.25
    assert seen == [PRESENTING_ZOOM, PRESENTING_ZOOM + 0.25, MIN_ZOOM, PRESENTING_ZOOM + 0.25]


def test_zoom_stays_within_its_bounds() -> None:
    model = Presentation()
    model.zoom_out()
    assert model.zoom == MIN_ZOOM
    for _ in range(10):
        model.zoom_in()
    assert model.zoom == MAX_ZOOM
    model.set_zoom(0.2)
    assert model.zoom == MIN_ZOOM


def test_high_contrast_and_controls() -> None:
    model = Presentation()
    changes: list[bool] = []
    model.high_contrast_changed.connect(changes.append)
    model.set_high_contrast(True)
    model.set_high_contrast(True)
    model.set_high_contrast(False)
    assert changes == [True, False]
    model.set_controls(["map:latent", "loss", "map:latent"])
    assert model.controls == ("map:latent", "loss")
    with pytest.raises(ValueError, match="unknown control"):
        model.set_controls(("map:latent", "menu bar"))
    model.set_controls(None)
    assert model.controls is None


def test_the_banner_is_one_short_line_and_leaving_dismisses_it() -> None:
    model = Presentation()
    model.start()
    model.show_banner("Could not open\n  the file:\t" + "x" * 1000, error=True)
    assert model.banner is not None and model.banner.error
    assert "\n" not in model.banner.text and len(model.banner.text) == MAX_BANNER_CHARS
    assert model.banner.text.startswith("Could not open the file: x")
    model.stop()
    assert model.banner is None
