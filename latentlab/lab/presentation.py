"""Presentation mode, for a teacher on a projector: whether the window presents, how large it
draws (one zoom factor for every text, marker and line), whether in high contrast, which of the
latent-map workspace's controls show, and a one-line banner that stands in for dialogs while the
audience watches.

This model is the only writer of its fields; the window's controller and the widgets observe
its signals and call its methods.
"""

from __future__ import annotations

from dataclasses import dataclass

from psygnal import Signal

from latentlab.core.files.lessonfile import CONTROLS

MIN_ZOOM, MAX_ZOOM = 1.0, 2.5
ZOOM_STEP = 0.25
#: The zoom presenting starts at, until the teacher picks another while presenting.
PRESENTING_ZOOM = 1.5
#: A banner is one line: a long error is cut (its details never reach the audience).
MAX_BANNER_CHARS = 300


@dataclass(frozen=True)
class Banner:
    text: str
    error: bool = False  # errors stay until dismissed; messages go by themselves


def clamp_zoom(zoom: float) -> float:
    return min(MAX_ZOOM, max(MIN_ZOOM, float(zoom)))


def one_line(text: str) -> str:
    """``text`` as one short line: whitespace runs (newlines too) become one space."""
    line = " ".join(str(text).split())
    return line if len(line) <= MAX_BANNER_CHARS else line[:MAX_BANNER_CHARS - 1] + "…"


class Presentation:
    presenting_changed = Signal(bool)
    zoom_changed = Signal(float)
    high_contrast_changed = Signal(bool)
    controls_changed = Signal()  # the controls shown while presenting
    banner_changed = Signal()  # a banner shown, replaced or dismissed

    def __init__(self) -> None:
        self.presenting = False
        self.zoom = MIN_ZOOM
        self.high_contrast = False
        #: The controls shown while presenting (None: all of them).
        self.controls: tuple[str, ...] | None = None
        self.banner: Banner | None = None
        # Presenting and working have a zoom each: leaving gives back the one from before.
        self._presenting_zoom = PRESENTING_ZOOM
        self._working_zoom = MIN_ZOOM

    # ------------------------------------------------------------- presenting
    def start(self) -> None:
        if self.presenting:
            return
        self._working_zoom = self.zoom
        self.presenting = True
        self.presenting_changed.emit(True)
        self.set_zoom(self._presenting_zoom)

    def stop(self) -> None:
        if not self.presenting:
            return
        self._presenting_zoom = self.zoom
        self.presenting = False
        self.dismiss_banner()
        self.presenting_changed.emit(False)
        self.set_zoom(self._working_zoom)

    def toggle(self) -> None:
        self.stop() if self.presenting else self.start()

    # ------------------------------------------------------------------ looks
    def set_zoom(self, zoom: float) -> None:
        zoom = clamp_zoom(zoom)
        if zoom != self.zoom:
            self.zoom = zoom
            self.zoom_changed.emit(zoom)

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom + ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom - ZOOM_STEP)

    def set_high_contrast(self, on: bool) -> None:
        if bool(on) != self.high_contrast:
            self.high_contrast = bool(on)
            self.high_contrast_changed.emit(self.high_contrast)

    # --------------------------------------------------------------- controls
    def set_controls(self, controls: tuple[str, ...] | list[str] | None) -> None:
        """Show only ``controls`` (ids of :data:`CONTROLS`) while presenting; None: all."""
        if controls is not None:
            unknown = [c for c in controls if c not in CONTROLS]
            if unknown:
                raise ValueError(f"unknown control(s) {', '.join(unknown)} "
                                 f"(known: {', '.join(CONTROLS)})")
            controls = tuple(dict.fromkeys(controls))
        if controls != self.controls:
            self.controls = controls
            self.controls_changed.emit()

    # ----------------------------------------------------------------- banner
    def show_banner(self, text: str, error: bool = False) -> None:
        """One line at the top of the screen in place of a dialog or a status message."""
        self.banner = Banner(one_line(text), error)
        self.banner_changed.emit()

    def dismiss_banner(self) -> None:
        if self.banner is not None:
            self.banner = None
            self.banner_changed.emit()
