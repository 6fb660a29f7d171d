"""The progressive GAN in the window: its group in the model form, the sample grid's title
following the stage live, and the loss plot marking where the side doubled."""

from __future__ import annotations

from latentlab.config import ModelConfig, TrainConfig

from .conftest import train_to_end

PROGAN = ModelConfig(family="progan", architecture="conv", noise_dim=6, stages=(2, 4, 8))


def test_the_form_offers_the_progressive_gan_and_checks_its_stages(qtbot, window) -> None:
    panel = window.workspace.training_panel
    panel.family.setCurrentIndex(panel.family.findData("progan"))
    assert panel.progan.box.isVisible() and panel.gan_box.isVisible()
    assert panel.architecture.currentData() == "conv" and panel.progan.stages.text() == ""
    assert panel.progan.minibatch_std.isChecked() and panel.progan.pixel_norm.isChecked()
    panel.progan.stages.setText("2, 4")
    assert "Stages: 2, 4 ends at 4×4; the data's images are 8×8." in panel.problems.text()
    assert not panel.train_button.isEnabled()
    panel.progan.stages.setText("2, 4, 8")
    panel.progan.pixel_norm.setChecked(False)
    model, _ = panel.configs()
    assert (model.family, model.stages, model.minibatch_std, model.pixel_norm) == (
        "progan", (2, 4, 8), True, False)
    assert panel.train_button.isEnabled()
    panel.family.setCurrentIndex(panel.family.findData("gan"))
    assert not panel.progan.box.isVisible() and panel.configs()[0].stages == ()


def test_the_grid_title_follows_the_stage_and_the_loss_plot_marks_it(qtbot, window) -> None:
    lab = window.lab
    grid, plot = window.workspace.sample_grid, window.workspace.loss_plot
    titles: list[str] = []
    # Connected after the grid's own handler: the title is already the new one.
    lab.model.growth_changed.connect(lambda: titles.append(grid.title.text()))
    train_to_end(qtbot, window, PROGAN,
                 TrainConfig(epochs=3, batch_size=16, snapshot_interval_s=0.001))
    assert any(t.startswith("Samples from a fixed noise batch · 4×4, fading in (α 0.")
               for t in titles)
    assert grid.title.text() == "Samples from a fixed noise batch · 8×8"
    assert [line.label.toPlainText() for line in plot.stage_lines] == ["4×4", "8×8"]
    positions = [line.value() for line in plot.stage_lines]
    assert positions == [epoch for epoch, _ in lab.model.stage_marks]
    assert 1 < positions[0] < 2 < positions[1] < 3
    assert all(line in plot.plot.getPlotItem().items for line in plot.stage_lines)
    # Another model has no stages: a plain GAN's title and no lines once it starts.
    train_to_end(qtbot, window, ModelConfig(family="gan", hidden=(32, 16), noise_dim=6),
                 TrainConfig(epochs=1, snapshot_interval_s=0.02))
    assert grid.title.text() == "Samples from a fixed noise batch" and plot.stage_lines == []
