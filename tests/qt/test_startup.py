"""Start-up: the window and its PCA map show before torch is loaded, and what needs torch waits
for the engine, which loads behind the window."""

from __future__ import annotations

import os
import subprocess
import sys

from latentlab.lab.engine import LOADING_TEXT, Engine
from latentlab.qt.jobs import CallSoon
from latentlab.qt.main_window import MainWindow
from latentlab.qt.workspaces import FIRST, LATER

# What run_gui does up to the shown window and its first map, in a fresh interpreter.
UP_TO_SHOW = """
import sys
from latentlab.cli import build_parser
build_parser().parse_args([])  # `latentlab` parses its command line first
from latentlab.qt import app as gui
from latentlab.core.data.builtin import MNIST_SAMPLE, load_builtin
from latentlab.core.data.source import DataSource
from latentlab.lab.engine import Engine
from latentlab.lab.map_state import PIXELS
assert "torch" not in sys.modules, "importing the GUI loaded torch"
application = gui.create_application()
window = gui.MainWindow(Engine(ready=False))
window.lab.data.set_dataset(load_builtin(MNIST_SAMPLE), source=DataSource.parse(MNIST_SAMPLE))
window.show()
while window.lab.maps[PIXELS].coords is None:
    application.processEvents()
application.processEvents()
print("torch" in sys.modules, window.workspace.training_panel.train_button.isEnabled())
window.close()
"""


def test_the_window_and_its_pca_map_show_without_torch() -> None:
    result = subprocess.run([sys.executable, "-c", UP_TO_SHOW], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]  # no torch; Train waits for it


def test_train_waits_for_the_engine_and_the_other_workspaces_come_with_it(qtbot,
                                                                          tiny_digits) -> None:
    engine = Engine(ready=False)
    win = MainWindow(engine)
    qtbot.addWidget(win)
    win.lab.data.set_dataset(tiny_digits)
    win.show()
    train = win.workspace.training_panel.train_button
    assert not train.isEnabled() and train.toolTip() == LOADING_TEXT
    assert not win.workspace.file_actions.open_action.isEnabled()
    assert [w.title for w in win.workspaces] == [FIRST.title]
    switches = win._switches
    assert [a.text() for a in switches] == [FIRST.title, *(w.title for w in LATER)]
    assert not any(a.isEnabled() for a in switches[1:])

    with qtbot.waitSignal(engine.changed, timeout=120_000):
        engine.load_in_background(CallSoon(win))
    assert engine.ready and engine.problem is None
    assert train.isEnabled() and "Ctrl+Enter" in train.toolTip()
    assert win.workspace.file_actions.open_action.isEnabled()
    assert [w.title for w in win.workspaces] == [FIRST.title, *(w.title for w in LATER)]
    assert all(a.isEnabled() for a in switches)
    switches[1].trigger()  # the workspaces built later are reachable
    assert win.workspace is win.workspaces[1]
    win.close()


def test_a_failed_load_is_said_and_train_keeps_waiting(qtbot, tiny_digits, monkeypatch) -> None:
    def broken(_extra: object = ()) -> None:
        raise ImportError("no torch here")

    monkeypatch.setattr("latentlab.lab.engine.load_engine", broken)
    engine = Engine(ready=False)
    win = MainWindow(engine)
    qtbot.addWidget(win)
    win.lab.data.set_dataset(tiny_digits)
    errors: list[tuple[str, str, str]] = []
    monkeypatch.setattr(win, "show_error", lambda *args: errors.append(args))
    with qtbot.waitSignal(engine.changed, timeout=10_000):
        engine.load_in_background(CallSoon(win))
    assert engine.problem is not None and "no torch here" in engine.problem
    assert errors and errors[0][0] == "PyTorch could not be loaded"
    assert not win.workspace.training_panel.train_button.isEnabled()
    win.close()
