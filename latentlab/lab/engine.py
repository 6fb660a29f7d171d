"""Whether PyTorch — the engine that trains, opens and decodes models — is loaded.

The window opens before torch (importing it takes longer than everything else at start-up) and
loads it on a thread of its own; until then what needs it (Train, opening a model) waits. This
model is the only writer of ``ready`` and ``problem``. Headless (``Engine()``) it is ready at
once: torch is imported where it is first used, as before.
"""

from __future__ import annotations

import importlib
import threading
import traceback
from collections.abc import Callable, Sequence
from functools import partial

from psygnal import Signal

CallSoon = Callable[[Callable[[], None]], None]
#: What training, opening a checkpoint and decoding import: loaded with torch, so the first
#: click imports nothing on the window's thread.
ENGINE_MODULES = (
    "torch",
    "latentlab.core.models.registry",
    "latentlab.core.training.loop",
    "latentlab.core.files.checkpoint",
    "latentlab.core.evaluation.model",
    "latentlab.core.semisup.networks",
    "latentlab.core.models.generator_codes",
)
LOADING_TEXT = "Loading PyTorch…"


def load_engine(extra_modules: Sequence[str] = ()) -> None:
    """Import torch, the models, training and checkpoints (and ``extra_modules``), then warm up
    what the first optimiser pulls in lazily."""
    for name in (*ENGINE_MODULES, *extra_modules):
        importlib.import_module(name)
    from latentlab.core.training.loop import warm_up

    warm_up()


class Engine:
    changed = Signal()  # ready, or the load failed (problem)

    def __init__(self, ready: bool = True) -> None:
        self.ready = ready
        #: Why torch could not be loaded (None while loading or once loaded).
        self.problem: str | None = None
        self._thread: threading.Thread | None = None

    def load_in_background(self, call_soon: CallSoon, extra_modules: Sequence[str] = ()) -> None:
        """Load the engine on a daemon thread; ``call_soon`` brings the outcome back to the
        caller's thread, where ``changed`` is emitted. Does nothing once ready or started."""
        if self.ready or self._thread is not None:
            return

        def load() -> None:
            try:
                load_engine(extra_modules)
            except Exception as exc:  # a broken install: say so rather than wait forever
                message = f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}"
                call_soon(partial(self._failed, message))
            else:
                call_soon(self._loaded)

        # A daemon: a window closed while torch is still importing need not wait for it.
        self._thread = threading.Thread(target=load, name="latentlab-engine", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the loading thread to end (not for ``changed``); True when it has."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def _loaded(self) -> None:
        self.ready = True
        self.changed.emit()

    def _failed(self, message: str) -> None:
        self.problem = message
        self.changed.emit()
