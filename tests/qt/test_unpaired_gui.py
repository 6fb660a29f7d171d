"""The unpaired-translation workspace in the window: the domains load when it is first shown, a
tiny epoch draws the round trips and the curves, a click on the map translates an item, and
File → Open sends a CycleGAN checkpoint here with the domains it records."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data.builtin import load_digits
from latentlab.core.data.domains import derived_pair
from latentlab.core.files.checkpoint import CheckpointMeta, describe_data, save_checkpoint
from latentlab.core.models import build_model
from latentlab.lab.cycle_frames import N_ROWS, domain_map
from latentlab.qt.workspaces.unpaired import UnpairedWorkspace
from tests.qt.conftest import shown_window

FAST_PAIR = "Digits 8×8 ↔ inverted (fast)"


@pytest.fixture
def unpaired(qtbot):
    torch.set_num_threads(1)
    win = shown_window(qtbot, 1300)
    workspace = next(w for w in win.workspaces if isinstance(w, UnpairedWorkspace))
    with qtbot.waitSignal(workspace.lab.data_changed, timeout=30_000):
        win.show_workspace(workspace)  # the domains load the first time it is shown
    assert workspace.lab.data.n == 1797 + 5000 and workspace.lab.data.input_shape == (1, 28, 28)
    with qtbot.waitSignal(workspace.lab.data_changed, timeout=30_000):
        workspace.pair.activated.emit(workspace.pair.findText(FAST_PAIR))
    yield win, workspace
    win.close()


def _tiny(lab) -> None:
    """The fast pair cut to 80 items of each domain: an epoch in well under a second."""
    data = lab.data
    rows = np.concatenate([np.flatnonzero(data.domains == d)[:80] for d in (0, 1)])
    from latentlab.core.data.dataset import Dataset

    small = Dataset(data.name, data.x[rows], data.labels[rows], data.class_names,
                    data.is_test[rows], domains=data.domains[rows])
    lab._use_data(small, domain_map(small))


def test_train_then_pick_an_item_on_the_map(qtbot, unpaired) -> None:
    win, ws = unpaired
    lab = ws.lab
    view = next(a for a in win.menuBar().actions() if a.text() == "&View").menu()
    entry = next(a for a in view.actions() if a.text() == "Unpaired translation")
    assert entry.shortcut().toString() == "Ctrl+4"
    assert ws.pair.currentText() == FAST_PAIR and lab.map is not None
    _tiny(lab)
    assert len(ws.map_view.points[0].data) + len(ws.map_view.points[1].data) == 160
    ws.controls.epochs.setValue(1)
    with qtbot.waitSignal(lab.training_changed, timeout=60_000, check_params_cb=lambda on: not on):
        ws.controls.train_button.click()
    assert ws.controls.train_button.isEnabled() and not ws.controls.stop_button.isEnabled()
    assert ws.controls.progress.value() == ws.controls.progress.maximum() > 0
    rows = ws.a_rows.array
    assert rows is not None and rows.shape == (1, N_ROWS * 9 - 1, 3 * 9 - 1)
    assert ws.b_rows.array is not None
    def curve_drawn() -> bool:
        x, _y = ws.curves.curves["cycle"].getData()
        return x is not None and len(x) > 0

    qtbot.waitUntil(curve_drawn, timeout=5000)
    # A click on the map picks the nearest item: its round trip shows, and a ring marks it.
    x, y = lab.map.coords[-1]
    with qtbot.waitSignal(lab.picked_changed, timeout=5000):
        ws.map_view.pick_nearest(float(x), float(y))
    assert lab.picked is not None and lab.picked.index == int(lab.map.rows[-1])
    assert lab.picked.domain == 1  # the last item on the map is one of B's
    assert ws.picked.array is not None and ws.picked.array.shape == (1, 8, 3 * 9 - 1)
    assert len(ws.map_view.ring.data) == 1


def test_escape_stops_training_and_the_model_stays(qtbot, unpaired) -> None:
    _win, ws = unpaired
    lab = ws.lab
    _tiny(lab)
    ws.controls.epochs.setValue(50)
    with qtbot.waitSignal(lab.frame_changed, timeout=30_000):
        lab.train()
    qtbot.keyClick(ws.central, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not lab.training, timeout=30_000)
    assert lab.model is not None and lab.frame is not None


def test_file_open_sends_a_cyclegan_checkpoint_here(qtbot, tmp_path) -> None:
    torch.set_num_threads(1)
    window = shown_window(qtbot, 1300)
    ws = next(w for w in window.workspaces if isinstance(w, UnpairedWorkspace))
    data = derived_pair(load_digits(), "inverted")
    cfg = ModelConfig(family="cyclegan", gan_loss="least_squares")
    model = build_model(cfg, data.input_shape, seed=0)
    meta = CheckpointMeta(model=cfg, train=TrainConfig(), input_shape=data.input_shape, epoch=2,
                          data={**describe_data(data, "digits"),
                                "domains": {"derive": "inverted"}})
    path = save_checkpoint(tmp_path / "cyclegan.safetensors", model, meta)
    errors: list[str] = []
    ws.lab.notes.error.connect(lambda _title, text, _details: errors.append(text))
    with qtbot.waitSignal(ws.lab.opened, timeout=30_000):
        window.workspace.file_actions.open_path(path)
    assert window.workspace is ws and not errors
    assert ws.lab.pair == FAST_PAIR and ws.pair.currentText() == FAST_PAIR
    assert ws.lab.model is not None and ws.lab.frame is not None and ws.lab.path == path
    # A checkpoint of another family is refused here, naming the file.
    other = tmp_path / "ae.safetensors"
    ae = ModelConfig(family="ae", hidden=(8,))
    save_checkpoint(other, build_model(ae, (1, 8, 8), seed=0),
                    CheckpointMeta(model=ae, train=TrainConfig(), input_shape=(1, 8, 8),
                                   epoch=1, data={"name": "digits"}))
    with qtbot.waitSignal(ws.lab.notes.error, timeout=30_000) as error:
        ws.open_path(other)
    assert str(other) in error.args[1] and "CycleGAN checkpoints only" in error.args[1]
    assert ws.lab.path == path  # the model open stays
    window.close()
