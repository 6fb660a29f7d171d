"""A progressive GAN in the lab: the stage follows the live model's buffers snapshot by
snapshot, each new side is marked where the run reached it, and an opened checkpoint shows the
stage it was saved at."""

from __future__ import annotations

from latentlab.config import ModelConfig, TrainConfig
from latentlab.core.data.dataset import Dataset
from latentlab.lab.latent_lab import LatentLab
from latentlab.lab.model_session import Growth

PROGAN = ModelConfig(family="progan", architecture="conv", noise_dim=6, stages=(2, 4, 8))
RUN = TrainConfig(epochs=3, batch_size=16, snapshot_interval_s=0.001)


def test_the_stage_follows_the_snapshots_and_each_new_side_is_marked(
        tiny_digits: Dataset) -> None:
    lab = LatentLab()
    lab.data.set_dataset(tiny_digits)
    seen: list[Growth | None] = []
    marked: list[tuple[float, int]] = []
    lab.model.growth_changed.connect(lambda: seen.append(lab.model.growth))
    lab.model.stage_marked.connect(lambda epoch, side: marked.append((epoch, side)))
    lab.model.start_training(PROGAN, RUN)
    assert lab.model.growth == Growth(8, 1.0)
    assert any(g is not None and g.resolution == 4 and 0 < g.alpha < 1 for g in seen)
    assert marked == lab.model.stage_marks
    assert [side for _, side in marked] == [4, 8]
    # 15 steps an epoch, 15 a stage: each side is reached in its stage's first epoch.
    (four, _), (eight, _) = marked
    assert 1 < four <= 1.2 and 2 < eight <= 2.2
    # The live copy holds what the trained model holds.
    assert lab.model.live_model.growth == lab.model.trained_model.growth == (8, 1.0)


def test_an_opened_checkpoint_shows_its_stage_and_no_marks(tiny_digits: Dataset,
                                                           tmp_path) -> None:
    lab = LatentLab()
    lab.data.set_dataset(tiny_digits)
    lab.model.start_training(PROGAN, RUN)
    lab.model.trained_model.set_stage(4, 0.5)  # as if stopped while 4×4 faded in
    path = lab.files.save_model(tmp_path / "progan.safetensors")
    lab.model.reset()
    assert lab.model.growth is None
    assert lab.files.open_model(path)
    assert lab.model.growth == Growth(4, 0.5) and lab.model.stage_marks == []
    assert lab.model.growth.describe() == "4×4, fading in (α 0.50)"
    assert Growth(28, 1.0).describe() == "28×28"
