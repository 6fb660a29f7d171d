"""The latent-map workspace's lab: its models, composed and wired in one place.

Who writes what — each model is the only writer of its own fields:

=====================  ==============================================================
``data``               the dataset, its source and loads, the baseline map
``model``              settings, the trained and the live model, training, snapshots
``generator``          a GAN's generator code (the GAN map's probe derives from it)
``maps``               the three maps: ``maps[id]`` holds setup, fit, points, title, probe,
                       decoded image; ``maps.timeline`` the replay of the codes map
``selection``          the selected items and the pointer tool
``colouring``          what colours the points
``semisup``            few labels: the label budgets, hand-picked labels, the classifiers
                       trained on them with and without the model's pretraining, results
``files``              checkpoints and lab files, and the file being opened
``tools``              neighbours, interpolation paths, the metrics table, exports
``notes``              errors, notices and messages for whatever displays them
``engine``             whether torch is loaded (the window loads it after it shows)
=====================  ==============================================================

Headless (``LatentLab()``), jobs run to their end inside the call that starts them and decodes
happen at once: a script or a test drives a whole session deterministically. The window passes
runners that use threads and a ``call_soon`` on its event loop.
"""

from __future__ import annotations

from collections.abc import Callable

from latentlab.lab.colouring import Colouring
from latentlab.lab.data_session import DataSession
from latentlab.lab.engine import Engine
from latentlab.lab.files import LabFiles
from latentlab.lab.generator import GeneratorCodes
from latentlab.lab.jobs import InlineRunner, RunnerFactory
from latentlab.lab.maps import Maps
from latentlab.lab.model_session import ModelSession
from latentlab.lab.notifications import Notifications
from latentlab.lab.selection import Selection
from latentlab.lab.semisup import Semisup
from latentlab.lab.timeline import Timeline
from latentlab.lab.tools import Tools


def _inline_runner(_name: str) -> InlineRunner:
    return InlineRunner()


def _call_now(fn: Callable[[], None]) -> None:
    fn()


class LatentLab:
    def __init__(self, runners: RunnerFactory = _inline_runner,
                 call_soon: Callable[[Callable[[], None]], None] = _call_now,
                 engine: Engine | None = None) -> None:
        self.notes = Notifications()
        # Headless, torch is imported where it is first used: the engine is ready at once.
        self.engine = engine if engine is not None else Engine()
        self.data = DataSession(runners("data"), self.notes)
        self.model = ModelSession(self.data, runners("training"), self.notes)
        self.generator = GeneratorCodes(self.model)
        self.selection = Selection()
        self.maps = Maps(self.data, self.model, self.generator, runners, call_soon, self.notes)
        self.semisup = Semisup(self.data, self.model, self.selection, runners("semisup"),
                               self.notes)
        self.colouring = Colouring(self.data, self.model, self.semisup)
        self.files = LabFiles(self.data, self.model, self.maps, self.colouring, self.generator,
                              self.semisup, runners("files"), self.notes)
        self.tools = Tools(self.data, self.model, self.maps, self.selection, runners, self.notes)
        # A new dataset: no model (a run ends, and is saved, first), and selections name items
        # of the old one.
        self.data.changing.connect(self.model.stop_and_wait)
        self.data.changed.connect(self.model.reset)
        self.data.changed.connect(self.selection.clear)

    @property
    def timeline(self) -> Timeline:
        """The codes map's replay (kept by the maps, which show its frames)."""
        return self.maps.timeline

    def shutdown(self) -> None:
        """Stop training, loads, file reads, projections, tool jobs and few-label runs and wait
        for them."""
        self.model.stop_and_wait()
        self.semisup.shutdown()
        self.files.abandon()
        self.data.stop_load()
        self.maps.shutdown()
        self.tools.shutdown()
