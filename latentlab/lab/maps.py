"""The maps: each map's setup and projection, the built-in views, the probes and what they
decode to. The coordinator of the :class:`MapState` objects (which write their own fields).

Projections run as background jobs, one runner per map, so two maps can compute at once; a
projection that fails or is cancelled leaves every map as it was. Probe moves are coalesced:
at most one decode per ``call_soon`` pass, always at the latest position.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from psygnal import Signal

from latentlab.core.maps import projection as proj
from latentlab.core.maps.inverse import KNNInverse
from latentlab.core.maps.linear import LatentMap
from latentlab.core.maps.methods import METHOD_NAMES
from latentlab.core.maps.setup import MapSetup
from latentlab.core.maps.spatial import PointIndex
from latentlab.lab.data_session import DataSession
from latentlab.lab.decoding import ProbeDecoder, fit_job
from latentlab.lab.generator import GeneratorCodes
from latentlab.lab.jobs import JobCallbacks, Runner, RunnerFactory
from latentlab.lab.map_state import (
    BUILT_IN,
    DEFAULT_SETUPS,
    LATENT,
    MAP_IDS,
    PIXELS,
    MapFit,
    MapState,
    View,
)
from latentlab.lab.model_kinds import is_conditional_vae, is_infogan
from latentlab.lab.model_session import ModelSession
from latentlab.lab.notifications import Notifications
from latentlab.lab.timeline import Timeline

if TYPE_CHECKING:
    import torch

CallSoon = Callable[[Callable[[], None]], None]


def _median(coords: np.ndarray) -> np.ndarray:
    return np.median(coords, axis=0)


def codes_title(model: ModelSession) -> str:
    """What the built-in codes map shows for the current model."""
    cfg, gan = model.model_cfg, model.gan
    if is_infogan(gan):
        return "InfoGAN · real images through Q: continuous codes" + (
            "" if gan.code_dim <= 2 else f" · PCA of {gan.code_dim}-D")
    if gan is not None:
        kind = "Conditional GAN" if gan.has_category_input else "GAN"
        return f"{kind} noise space · slice through z₁, z₂ (the rest held) — no encoder"
    if model.live_model is None:
        return "no model yet"
    family = {"vae": "VAE", "cvae": "Conditional VAE",
              "umap_ae": "UMAP autoencoder"}.get(cfg.family, "Autoencoder")
    return (f"{family} codes"
            + ("" if cfg.latent_dim <= 2 else f" · PCA of {cfg.latent_dim}-D"))


class Maps:
    umap_warmed = Signal(str)  # from the warm-up thread: ready, or why not

    def __init__(self, data: DataSession, model: ModelSession, generator: GeneratorCodes,
                 runners: RunnerFactory, call_soon: CallSoon, notes: Notifications) -> None:
        self._data, self._model, self._generator = data, model, generator
        self._notes = notes
        self._call_soon = call_soon
        self.states = {map_id: MapState(map_id) for map_id in MAP_IDS}
        self._runners: dict[str, Runner] = {m: runners(f"projection-{m}") for m in MAP_IDS}
        self.decoder = ProbeDecoder(data, model, generator)
        self.timeline = Timeline(model, lambda: self.latent_map is not None
                                 and not self.states[LATENT].replaced)
        #: The codes map's own projection: the codes themselves, or their PCA above 2-D.
        self.latent_map: LatentMap | None = None
        #: Until the user places it, the codes map's probe rides in the middle of the codes.
        self._probe_follows_codes = True
        #: Where a projection's probe goes once it is done (a lab's saved place).
        self._pending_probes: dict[str, np.ndarray] = {}
        self._cancelled: set[str] = set()  # projections cancelled, whatever they still return
        self._dirty: set[str] = set()
        self._decode_scheduled = False
        self._sample_rng: torch.Generator | None = None  # made with the first sample
        self._umap_warmer: threading.Thread | None = None
        self.umap_warmed.connect(notes.say)
        data.changed.connect(self._on_dataset)
        model.changed.connect(self._on_model)
        model.codes_changed.connect(self._on_codes)
        model.weights_changed.connect(lambda: self._mark_dirty(LATENT))
        model.run_ended.connect(self._refresh_after_training)
        generator.changed.connect(self._on_generator_code)
        self.timeline.frame_shown.connect(self._show_codes)

    def __getitem__(self, map_id: str) -> MapState:
        return self.states[map_id]

    # --------------------------------------------------------------- probes
    def set_probe(self, map_id: str, xy: np.ndarray | tuple[float, float]) -> None:
        """Move a probe (a drag, a random sample): it stays where it was put from now on.
        On a GAN's map the probe is a view of the generator code: the code moves instead."""
        xy = np.asarray(xy, np.float32).reshape(2)
        if np.array_equal(xy, self.states[map_id].probe):
            return  # a view echoing the probe back
        if map_id == LATENT:
            self._probe_follows_codes = False
            if self._model.gan is not None and self.latent_map is not None:
                self._generator.set_map_code(self.latent_map.inverse_transform(xy[None])[0])
                return
        self._move_probe(map_id, xy)

    def _move_probe(self, map_id: str, xy: np.ndarray) -> None:
        self.states[map_id].move_probe(xy)
        self._mark_dirty(map_id)

    def _mark_dirty(self, map_id: str) -> None:
        self._dirty.add(map_id)
        if not self._decode_scheduled:
            self._decode_scheduled = True
            self._call_soon(self.decode_now)

    def decode_now(self) -> None:
        """Decode the probes that moved (``call_soon`` does this on its next pass)."""
        self._decode_scheduled = False
        dirty, self._dirty = self._dirty, set()
        for map_id in dirty:
            state = self.states[map_id]
            image = self.decoder.decode(state, self.latent_map)
            if image is not None:
                state.set_image(image)

    def decode_status(self, map_id: str) -> str:
        return self.decoder.status(self.states[map_id])

    def sample_random(self) -> None:
        """Decode a random code: the VAE's prior, or a Gaussian fitted to an autoencoder's codes;
        a GAN draws its generator code from its prior."""
        model = self._model
        if model.gan is not None:
            self._generator.sample_prior()
            self._notes.say("Random sample: noise and codes drawn from the generator's prior.")
            return
        if model.live_model is None or model.codes is None or self.latent_map is None:
            self._notes.say("Train a model first: random samples come from its code space.")
            return
        if self._sample_rng is None:  # torch is loaded: there is a model
            self._sample_rng = __import__("torch").Generator().manual_seed(1234)
        z, source = model.random_code(self._sample_rng)
        latent = self.states[LATENT]
        if latent.replaced:
            # A UMAP or t-SNE map has no place for a new code: show the sample, mark nothing.
            latent.set_image(self.decoder.decode_code(z.numpy()))
            self._notes.say(f"Random sample from {source} (not marked: this map is a "
                            "projection of the items).")
            return
        self.set_probe(LATENT, self.latent_map.transform(z.numpy())[0])
        self._notes.say(f"Random sample from {source}.")

    # ---------------------------------------------------- following the lab
    def _on_dataset(self) -> None:
        """A new dataset: every projection is forgotten; the baseline map shows its items."""
        prepared = self._data.prepared
        assert prepared is not None
        self._clear_projections(codes_only=False)
        self.states[PIXELS].show_built_in(View(prepared.coords, prepared.title, prepared.index))
        for map_id in MAP_IDS:
            self.states[map_id].set_image(None)
        # PCA's origin decodes to the mean image; LSA's probe starts amid the documents.
        self._move_probe(PIXELS, prepared.probe_start)

    def _on_model(self) -> None:
        """A new model (or none): maps of the old codes go; the codes map starts afresh."""
        model = self._model
        self._clear_projections(codes_only=True)
        for map_id in (m for m, s in self.states.items() if s.fit is not None):
            self.states[map_id].set_image(None)  # it decoded through the old model's codes
            self._mark_dirty(map_id)
        self._probe_follows_codes = True
        self.latent_map = None
        if model.live_model is not None:
            self.latent_map = LatentMap(model.gan.code_dim if model.gan is not None
                                        else model.model_cfg.latent_dim)
        gan_without_encoder = model.gan is not None and not is_infogan(model.gan)
        empty = np.zeros((0, 2), np.float32) if gan_without_encoder else None
        self.states[LATENT].show_built_in(View(empty, codes_title(model)))
        self.states[LATENT].set_image(None)
        if model.gan is not None:
            self._on_generator_code()

    def _on_codes(self, _step: int, _epoch: float) -> None:
        """New codes: the codes map and the linear maps of the codes follow them."""
        codes = self._model.codes
        if codes is None or self.latent_map is None:
            return
        self.latent_map.refit(codes)
        latent = self.states[LATENT]
        latent.show_built_in(View(self.latent_map.transform(codes), codes_title(self._model)))
        if not latent.replaced:
            if self._model.gan is not None:
                self._on_generator_code()  # the codes' PCA may have moved under the code
            elif self._probe_follows_codes:
                # The probe rides along in the middle of the codes, which drift and grow while
                # the model learns.
                assert latent.coords is not None
                latent.move_probe(_median(latent.coords))
        for map_id, state in self.states.items():
            fit = state.fit
            if fit is None or fit.setup.source != "codes" or state.projecting:
                continue
            if fit.setup.method not in ("pca", "codes"):
                continue
            try:
                refit = proj.fit_projection(fit.projection.spec, codes,
                                            seed=int(self._model.train_cfg.seed))
            except ValueError:
                continue
            state.refit(MapFit(fit.setup, refit, codes))
            self._mark_dirty(map_id)

    def _show_codes(self) -> None:
        """The timeline replays a frame (or returns to the live codes)."""
        codes = self.timeline.shown_codes()
        if codes is not None and self.latent_map is not None:
            self.states[LATENT].show(self.latent_map.transform(codes))

    def _on_generator_code(self) -> None:
        """The generator code moved: the GAN map's probe is placed at it, and decodes it. A
        conditional VAE's class changed: every probe decodes again."""
        if is_conditional_vae(self._model.live_model):
            for map_id in MAP_IDS:
                self._mark_dirty(map_id)
            return
        gan, code = self._model.gan, self._generator.code
        latent = self.states[LATENT]
        if gan is None or code is None or self.latent_map is None:
            return
        if latent.coords is not None:  # before Q's first codes the map does not exist yet
            latent.move_probe(self.latent_map.transform(code.map_code(gan)[None])[0])
        self._mark_dirty(LATENT)

    def _refresh_after_training(self) -> None:
        """A finished run: UMAP and t-SNE maps of the codes are fitted again."""
        for map_id, state in self.states.items():
            fit = state.fit
            if fit is not None and fit.setup.source == "codes" and fit.setup.method in (
                    "umap", "tsne"):
                self.project(map_id, fit.setup)

    # ---------------------------------------------------------- projections
    def is_projecting(self, map_id: str | None = None) -> bool:
        """Whether ``map_id`` (any map, for None) is being computed."""
        states = self.states.values() if map_id is None else [self.states[map_id]]
        return any(s.projecting for s in states)

    def project(self, map_id: str, setup: MapSetup, probe: np.ndarray | None = None) -> bool:
        """Fit ``setup`` for ``map_id`` in the background; False (with a message) if it cannot.
        A built-in map's default setup brings that view back at once. ``probe``: where the
        probe goes when it is done (else the middle of the points)."""
        dataset, state = self._data.dataset, self.states[map_id]
        if dataset is None:
            return False
        if map_id == LATENT and self._model.gan is not None and setup != DEFAULT_SETUPS[LATENT]:
            self._cannot("A GAN's map is its generator's code space and stays so; use another "
                         "map for projections.")
            return False
        if map_id in BUILT_IN and setup == DEFAULT_SETUPS[map_id]:
            self._show_built_in(map_id)
            return True
        x, why = self._projection_input(setup)
        if x is None:
            self._cannot(why)
            return False
        spec = setup.spec(text=dataset.kind == "text")
        try:  # bad parameters or NaN codes are refused here, before any thread starts
            x = proj.validate_input(spec, x)
        except proj.ProjectionError as exc:
            self._cannot(str(exc))
            return False
        runner = self._runners[map_id]
        if runner.running:
            runner.cancel_and_wait()
        seed = int(self._model.train_cfg.seed)
        codes = x if setup.source == "codes" else None
        self._pending_probes.pop(map_id, None)
        self._cancelled.discard(map_id)
        if probe is not None:
            self._pending_probes[map_id] = np.asarray(probe, np.float32)
        state.begin_projection(setup, f"{spec.label()}: computing…")
        state.report_progress(f"{METHOD_NAMES[spec.method]} of {len(x):,} items…")

        runner.start(lambda control: fit_job(spec, x, seed, codes, control), JobCallbacks(
            yielded=lambda text: state.report_progress(str(text)),
            returned=lambda result: self._on_projected(map_id, setup, codes, result),
            errored=lambda exc, details: self._on_projection_failed(map_id, exc, details)))
        return True

    def cancel_projection(self, map_id: str) -> None:
        """Cancel ``map_id``'s projection: the map stays as it was."""
        if self.states[map_id].projecting:
            self._cancelled.add(map_id)
            self._runners[map_id].cancel()
            self.states[map_id].report_progress("Cancelling…")

    def _cannot(self, why: str) -> None:
        self._notes.report_error("Cannot make this map", f"{why}\n\nThe maps are unchanged.")

    def _projection_input(self, setup: MapSetup) -> tuple[np.ndarray | None, str]:
        if setup.source == "codes":
            if self._model.codes is None:
                return None, "A map of the codes needs a model: train one or open one first."
            return np.asarray(self._model.codes), ""
        if setup.method == "codes":
            return None, "“Codes” maps the model's codes: choose the codes as the source."
        return self._data.map_inputs(), ""

    def _on_projected(self, map_id: str, setup: MapSetup, codes: np.ndarray | None,
                      result: tuple[proj.FittedProjection, PointIndex, KNNInverse | None]) -> None:
        fitted, index, knn = result
        state = self.states[map_id]
        if map_id in self._cancelled:  # it ended before it noticed the cancel
            self._on_projection_failed(map_id, proj.ProjectionCancelled(), "")
            return
        state.end_projection(MapFit(setup, fitted, codes), index)
        self.decoder.keep_knn(map_id, knn, codes)
        xy = self._pending_probes.pop(map_id, None)
        assert state.coords is not None
        self._move_probe(map_id, _median(state.coords) if xy is None else xy)

    def _on_projection_failed(self, map_id: str, exc: BaseException, details: str) -> None:
        state = self.states[map_id]
        self._pending_probes.pop(map_id, None)
        state.end_projection(None)
        if map_id in self._cancelled or isinstance(exc, proj.ProjectionCancelled):
            self._cancelled.discard(map_id)
            self._notes.say("The projection was cancelled; the map is unchanged.")
            return
        readable = isinstance(exc, ValueError)  # ProjectionError is a ValueError
        message = str(exc) if readable else f"{type(exc).__name__}: {exc}"
        self._notes.report_error("Could not make this map",
                                 f"{message}\n\nThe maps are unchanged.",
                                 "" if readable else details)

    def _show_built_in(self, map_id: str) -> None:
        """Bring back a built-in map's own view (the baseline, the live codes)."""
        self._runners[map_id].cancel_and_wait()
        self._pending_probes.pop(map_id, None)
        self._cancelled.discard(map_id)
        self.decoder.keep_knn(map_id, None, None)
        state = self.states[map_id]
        if state.restore_built_in() and state.coords is not None and len(state.coords):
            self._move_probe(map_id, _median(state.coords))
        state.end_projection(None)

    def _clear_projections(self, codes_only: bool) -> None:
        """Forget projections whose source is gone (a new dataset: all; a new model: those of
        the codes). Built-in maps return to their own view (the codes map on any new model);
        the third map keeps its setup, to be applied again."""
        for map_id, state in self.states.items():
            keeps = codes_only and state.setup.source != "codes" and map_id != LATENT
            if keeps:
                self.decoder.forget_codes(map_id)  # input maps interpolate the new model's codes
                continue
            if map_id in BUILT_IN:
                self._show_built_in(map_id)
            else:
                self._runners[map_id].cancel_and_wait()
                self._pending_probes.pop(map_id, None)
                self.decoder.keep_knn(map_id, None, None)
                if state.projecting:
                    state.end_projection(None)
                state.clear()

    def warm_up_umap(self) -> None:
        """Import umap-learn and let numba compile in the background, once, when UMAP is first
        chosen: start-up never pays for it, and the first UMAP map starts sooner."""
        if self._umap_warmer is None:
            from latentlab.core.maps import nonlinear

            self._umap_warmer = nonlinear.warm_up_umap_in_background(self._on_umap_warmed)

    def _on_umap_warmed(self, text: str) -> None:  # on the warm-up thread
        with contextlib.suppress(RuntimeError):  # the window closed meanwhile
            self._call_soon(lambda: self.umap_warmed.emit(text))

    def shutdown(self) -> None:
        for runner in self._runners.values():
            runner.cancel_and_wait()
        for state in self.states.values():
            if state.projecting:
                state.end_projection(None)
        self._pending_probes.clear()
