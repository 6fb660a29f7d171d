"""The image-translation lab on the user's own A → B pairs, headless: a folder of PNG pairs
opened (the incomplete ones skipped in one notice), trained on, its frames made of the pairs;
folders that give no pairs refused by name; colour pairs have no pad; a model of pairs opens
on the pairs open."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.files.checkpoint import CheckpointMeta, save_checkpoint
from latentlab.core.models import build_model
from latentlab.lab.translation import PAD_REFUSED, TranslationLab
from latentlab.lab.translation_data import N_PAIRS, PAD_NO_COLOUR, PAIRS, PAIRS_SIZE

SIDE = 16


def write_png(path: Path, value: int, side: int = SIDE, mode: str = "L") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.full((side, side), value, np.uint8)
    pixels[side // 4 : side // 2, side // 4 : side // 2] = 255 - value  # something to learn
    Image.fromarray(pixels, "L").convert(mode).save(path)


def pair_folder(root: Path, good: int = 10) -> Path:
    """``good`` pairs (B is A inverted), one A without a partner and one pair of two sizes:
    real PNG files, as a user's folder holds them."""
    for i in range(good):
        write_png(root / "A" / f"{i:02d}.png", 20 * i)
        write_png(root / "B" / f"{i:02d}.png", 255 - 20 * i)
    write_png(root / "A" / "lonely.png", 0)
    write_png(root / "A" / "odd.png", 0)
    write_png(root / "B" / "odd.png", 0, side=SIDE // 2)
    return root


class Said:
    """What a lab reported: errors, notices, status messages."""

    def __init__(self, lab: TranslationLab) -> None:
        self.errors: list[str] = []
        self.notices: list[tuple[str, str]] = []
        self.messages: list[str] = []
        lab.notes.error.connect(lambda _title, text, _details: self.errors.append(text))
        lab.notes.notice.connect(lambda _title, text, details: self.notices.append((text,
                                                                                     details)))
        lab.notes.message.connect(self.messages.append)


@pytest.fixture
def lab():
    torch.set_num_threads(1)
    lab = TranslationLab()
    lab.set_dataset("digits 8×8")
    return lab


def test_pairs_open_train_and_make_the_frames(lab, tmp_path) -> None:
    said = Said(lab)
    folder = pair_folder(tmp_path / "sketches")
    opened = []
    lab.pairs_opened.connect(opened.append)
    lab.open_pairs(folder)
    assert opened == [folder] and not said.errors
    data = lab.data
    assert lab.using_pairs and lab.dataset_name == PAIRS and data is lab.pairs
    assert data.name == "sketches" and lab.data_title == "sketches"
    assert lab.tasks() == ["pairs"] and lab.task == "pairs"
    assert data.x.shape == data.targets.shape == (10, 1, PAIRS_SIZE, PAIRS_SIZE)
    # One notice for the incomplete pairs, each listed with its reason.
    (text, details), = said.notices
    assert text.startswith("2 files in sketches had no usable partner")
    assert "10 pairs were loaded" in text
    assert "A/lonely.png: no partner of the same name in B/" in details
    assert "A/odd.png: 16×16, but B/odd.png is 8×8" in details
    assert said.messages[-1].startswith("Opened 10 pairs from sketches (28×28, grey; 2 held out")

    frames = []
    lab.frame_changed.connect(lambda: frames.append(lab.frame))
    lab.set_epochs(1)
    lab.train()
    assert not lab.training and not said.errors and lab.epoch == 1
    assert lab.model is not None and lab.model.cfg.task == "pairs"
    frame = lab.frame
    assert frame is not None and frames[-1] is frame and frame.held_out
    # The frame's rows are the held-out pairs: the A images in, their B images as targets.
    test = data.test_indices
    assert len(test) == 2 and frame.inputs.shape == (2, PAIRS_SIZE, PAIRS_SIZE)
    np.testing.assert_array_equal(frame.inputs, data.x[test, 0])
    np.testing.assert_array_equal(frame.targets, data.targets[test, 0])
    assert not np.allclose(frame.inputs, frame.targets)
    expected = np.abs(frame.outputs - frame.targets).mean()
    assert frame.l1 == pytest.approx(float(expected), abs=1e-5)
    # Grey A images: the pad draws them, and the generator translates each stroke.
    assert lab.pad_problem == "" and lab.canvas.shape == (PAIRS_SIZE, PAIRS_SIZE)
    output = lab.output.copy()
    lab.stroke(np.array([[4.0, 4.0], [24.0, 24.0]]), width=3.0)
    assert lab.canvas[14, 14] == 1.0 and not np.allclose(lab.output, output)

    # A built-in dataset brings its own tasks back; the pairs stay at hand.
    lab.set_dataset("digits 8×8")
    assert not lab.using_pairs and lab.task == "edges" and "pairs" not in lab.tasks()
    assert lab.model is None and lab.pad_problem == PAD_REFUSED and lab.pairs is data
    lab.set_dataset(PAIRS)
    assert lab.data is data and lab.tasks() == ["pairs"] and lab.task == "pairs"


def test_a_folder_that_gives_no_pairs_is_refused_and_nothing_changes(lab, tmp_path) -> None:
    said = Said(lab)
    data, name = lab.data, lab.dataset_name
    pair_folder(tmp_path / "one", good=1)  # one complete pair: too few
    write_png(tmp_path / "half" / "A" / "0.png", 0)  # no B/
    (tmp_path / "notes.txt").write_text("not pairs")
    cases = {"one": "1 complete A/ and B/ pair(s), and pix2pix needs at least 2",
             "half": "B/ is missing", "missing": "no such folder or file",
             "notes.txt": "pairs are read from a folder with subfolders A/ and B/"}
    for folder, reason in cases.items():
        lab.open_pairs(tmp_path / folder)
        text = said.errors[-1]
        assert folder in text and reason in text, text
        assert "\n" not in text and text.endswith("The dataset stays Digits, 8×8.")
        assert lab.data is data and lab.dataset_name == name and lab.pairs is None
    assert len(said.errors) == len(cases) and not said.notices


def test_colour_pairs_train_but_have_no_pad(lab, tmp_path) -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (6, SIDE, SIDE, 3), dtype=np.uint8)
    np.savez(tmp_path / "colour.npz", A=a, B=255 - a)
    said = Said(lab)
    lab.open_pairs(tmp_path / "colour.npz")
    assert lab.using_pairs and lab.data.input_shape == (3, SIDE, SIDE) and not said.notices
    lab.set_epochs(1)
    lab.train()
    assert not said.errors and lab.model is not None
    assert lab.frame.inputs.shape == (1, SIDE, SIDE, 3)  # one held-out pair, in colour
    assert lab.pad_problem == PAD_NO_COLOUR and lab.canvas is None


def test_a_model_of_pairs_opens_on_the_pairs_open(lab, tmp_path) -> None:
    said = Said(lab)
    cfg = ModelConfig(family="pix2pix", task="pairs", adversarial=False)
    shape = (1, PAIRS_SIZE, PAIRS_SIZE)
    meta = CheckpointMeta(cfg, TrainConfig(), shape, {"name": "sketches", "source": None})
    path = save_checkpoint(tmp_path / "pairs.safetensors", build_model(cfg, shape, seed=0), meta)
    lab.open_checkpoint(path)  # no pairs open: refused, saying what to open first
    assert lab.model is None and "your own pairs of 1×28×28 images" in said.errors[-1]
    assert "File → Open image pairs…" in said.errors[-1]
    lab.open_pairs(pair_folder(tmp_path / "sketches", good=12))
    lab.open_checkpoint(path)
    assert len(said.errors) == 1 and lab.path == path and lab.task == "pairs"
    test = lab.data.test_indices[:N_PAIRS]
    np.testing.assert_array_equal(lab.frame.targets, lab.data.targets[test, 0])
    assert lab.pad_problem == "" and lab.canvas is not None


def test_a_model_opens_on_the_built_in_data_it_records(tmp_path) -> None:
    """Two built-in datasets are 28×28: the MNIST sample and the upscaled digits. A checkpoint
    that records the MNIST sample opens on it; one that records nothing known, on the digits."""
    from latentlab.core.data.builtin import MNIST_SAMPLE
    from latentlab.lab.translation_data import DATASETS, load_translation_data, read_model

    assert MNIST_SAMPLE in DATASETS and load_translation_data(MNIST_SAMPLE).n == 5000
    cfg = ModelConfig(family="pix2pix", task="edges")
    model = build_model(cfg, (1, 28, 28), seed=0)
    for source, expected in ((MNIST_SAMPLE, MNIST_SAMPLE), ("elsewhere", "digits")):
        path = tmp_path / f"{expected}.safetensors"
        save_checkpoint(path, model, CheckpointMeta(model=cfg, train=TrainConfig(),
                                                    input_shape=(1, 28, 28), epoch=1,
                                                    data={"name": source, "source": source}))
        _checkpoint, name, data = read_model(path, None, "digits", None)
        assert name == expected and data.input_shape == (1, 28, 28)
