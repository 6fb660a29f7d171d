"""The latent-map workspace refuses pix2pix checkpoints, pointing at Image translation."""

from __future__ import annotations

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.files.checkpoint import CheckpointMeta, save_checkpoint
from latentlab.core.models import build_model
from tests.lab.test_scenario import loaded_lab


def test_opening_a_pix2pix_checkpoint_is_refused_and_nothing_changes(tmp_path) -> None:
    lab, said = loaded_lab()
    dataset = lab.data.dataset
    cfg = ModelConfig(family="pix2pix")
    model = build_model(cfg, dataset.input_shape, seed=0)
    meta = CheckpointMeta(cfg, TrainConfig(), dataset.input_shape,
                          {"name": dataset.name, "source": "digits"})
    path = save_checkpoint(tmp_path / "edges.safetensors", model, meta)
    assert lab.files.open_model(path)
    (title, text), = said.errors
    assert title == "Could not open the model"
    assert text.startswith(f"{path}: holds a pix2pix model; the window's latent maps need "
                           "codes, and it has none; open it in View → Image translation")
    assert text.endswith("digits and its maps are unchanged.")
    assert lab.model.live_model is None and lab.data.dataset is dataset
