"""The image-translation lab, headless: a short training run's frames, the drawing pad, and
opening checkpoints (pix2pix accepted, anything else refused naming the file)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.files.checkpoint import CheckpointMeta, save_checkpoint
from latentlab.core.models import build_model
from latentlab.core.models.paired_tasks import HIDDEN_VALUE, hidden_box
from latentlab.lab.drawing import stroke_ink
from latentlab.lab.translation import PAD_REFUSED, TranslationLab
from latentlab.lab.translation_data import N_PAIRS, load_translation_data


@pytest.fixture(scope="module")
def small_digits():
    data = load_translation_data("digits")
    n = 160
    return dataclasses.replace(data, x=data.x[:n], labels=data.labels[:n],
                               is_test=data.is_test[:n])


@pytest.fixture
def lab(small_digits):
    torch.set_num_threads(1)
    lab = TranslationLab(data=small_digits)
    lab.errors = []
    lab.notes.error.connect(lambda _title, text, _details: lab.errors.append(text))
    return lab


def test_one_epoch_gives_frames_of_held_out_pairs(lab) -> None:
    frames = []
    lab.frame_changed.connect(lambda: frames.append(lab.frame))
    lab.set_epochs(1)
    lab.train()
    assert not lab.training and not lab.errors
    frame = lab.frame
    assert frame is not None and frames[-1] is frame
    for images in (frame.inputs, frame.outputs, frame.targets):
        assert images.shape == (N_PAIRS, 28, 28) and images.dtype == np.float32
        assert images.min() >= 0 and images.max() <= 1
    assert np.isfinite(frame.l1) and 0 < frame.l1 < 1
    assert set(np.unique(frame.inputs)) <= {0.0, 1.0}  # edge maps
    assert lab.progress[0] == lab.progress[1] > 0 and lab.epoch == 1
    # The pad is ready: a blank edge map, translated.
    assert lab.pad_problem == "" and lab.canvas is not None and not lab.canvas.any()
    assert lab.output is not None and lab.output.shape == (28, 28)


def test_a_stroke_inks_its_path_only_and_updates_the_output(lab) -> None:
    lab.set_epochs(1)
    lab.train()
    before, out_before = lab.canvas.copy(), lab.output.copy()
    changes = []
    lab.canvas_changed.connect(lambda: changes.append(1))
    points = np.array([[6.0, 6.0], [20.0, 6.0], [20.0, 22.0]])
    lab.stroke(points, width=2.0)
    assert changes == [1]
    changed = lab.canvas != before
    path = stroke_ink((28, 28), points, 2.0) > 0
    assert changed.any() and not (changed & ~path).any()
    assert lab.canvas[6, 12] == 1.0 and lab.canvas[20, 20] == 1.0  # on the polyline
    assert lab.canvas[14, 6] == 0.0 and lab.canvas[27, 0] == 0.0  # well off it
    assert not np.allclose(lab.output, out_before)
    lab.clear()
    assert not lab.canvas.any() and len(changes) == 2


def test_inpainting_strokes_leave_the_hidden_box_grey(lab) -> None:
    lab.set_task("inpaint")
    lab.set_epochs(1)
    lab.train()
    rows, cols = hidden_box(28, 28)
    assert np.allclose(lab.canvas[rows, cols], HIDDEN_VALUE)  # a held-out input to draw into
    lab.clear()
    lab.stroke(np.array([[0.0, 14.0], [28.0, 14.0]]), width=3.0)
    assert np.allclose(lab.canvas[rows, cols], HIDDEN_VALUE)
    assert lab.canvas[14, 2] == 1.0


def test_stop_keeps_the_weights_so_far(lab) -> None:
    lab.set_epochs(3)
    lab.progress_changed.connect(lambda: lab.stop())  # stop at the first progress report
    lab.train()
    assert not lab.training and lab.model is not None and lab.frame is not None
    assert lab.epoch == 0 and lab.progress[0] < lab.progress[1]


def _save(tmp_path, cfg: ModelConfig, shape=(1, 28, 28)):
    model = build_model(cfg, shape, seed=0)
    meta = CheckpointMeta(cfg, TrainConfig(), shape, {"name": "digits", "source": "digits"})
    return save_checkpoint(tmp_path / f"{cfg.family}.safetensors", model, meta)


def test_a_non_pix2pix_checkpoint_is_refused_naming_the_file(lab, tmp_path) -> None:
    path = _save(tmp_path, ModelConfig(family="ae"), (1, 28, 28))
    lab.open_checkpoint(path)
    assert lab.errors[-1].startswith(f"{path}: holds an autoencoder")
    assert lab.model is None and lab.pad_problem == PAD_REFUSED
    lab.stroke(np.array([[1.0, 1.0], [5.0, 5.0]]))  # refused, saying so; nothing drawn
    assert lab.canvas is None and lab.output is None


def test_a_pix2pix_checkpoint_opens_with_its_task(lab, tmp_path) -> None:
    path = _save(tmp_path, ModelConfig(family="pix2pix", task="inpaint", adversarial=False))
    opened = []
    lab.opened.connect(opened.append)
    lab.open_checkpoint(path)
    assert opened == [path] and lab.path == path
    assert lab.task == "inpaint" and not lab.adversarial and lab.pad_problem == ""
    assert lab.frame is not None and lab.frame.outputs.shape == (N_PAIRS, 28, 28)
    wrong = _save(tmp_path, ModelConfig(family="pix2pix"), (1, 16, 16))
    lab.open_checkpoint(wrong)
    assert opened == [path]
    assert lab.errors[-1].startswith(f"{wrong}: its model translates 1×16×16 images")
    assert lab.path == path  # the open model stays


def test_superres_has_no_pad(lab) -> None:
    lab.set_task("superres")
    lab.set_epochs(1)
    lab.train()
    assert lab.pad_problem.startswith("The drawing pad draws edges or inpainting")
    assert lab.canvas is None
