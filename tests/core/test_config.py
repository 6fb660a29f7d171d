from __future__ import annotations

import pytest

from latentlab.config import ConfigError, ModelConfig, TrainConfig, parse_int_list


def test_defaults_are_valid_for_digits() -> None:
    assert ModelConfig().validate((1, 8, 8)) == []
    assert TrainConfig().validate() == []


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (ModelConfig(latent_dim=0), "Latent size"),
        (ModelConfig(hidden=()), "Hidden sizes"),
        (ModelConfig(hidden=(64, 0)), "Hidden sizes"),
        (ModelConfig(family="vae", beta=-1.0), "KL weight"),
        (ModelConfig(architecture="conv"), "at least 16×16"),
        (ModelConfig(family="flow"), "Model type"),
        (ModelConfig(family="gan", architecture="conv"), "DCGAN builds 28×28 or 32×32"),
        (ModelConfig(family="gan", architecture="linear"), "Architecture"),
        (ModelConfig(family="gan", gan_loss="wasserstein"), "Generator loss"),
        (ModelConfig(family="gan", noise_dim=0), "Noise size"),
        (ModelConfig(family="gan", d_steps=0), "D steps"),
        (ModelConfig(family="infogan", n_categories=1), "Categories K"),
        (ModelConfig(family="infogan", n_continuous=0), "Continuous codes"),
        (ModelConfig(family="infogan", info_weight=-0.5), "Information weight λ"),
    ],
)
def test_model_problems_name_the_field(config: ModelConfig, field: str) -> None:
    problems = config.validate((1, 8, 8))
    assert len(problems) == 1 and field in problems[0]


def test_dcgan_builds_28_and_32_pixel_images() -> None:
    for shape in ((1, 28, 28), (3, 32, 32)):
        assert ModelConfig(family="infogan", architecture="conv").validate(shape) == []
    assert ModelConfig(family="gan", architecture="conv").validate((1, 64, 64))


def test_conv_accepts_16_pixels_and_refuses_too_many_stages() -> None:
    assert ModelConfig(architecture="conv").validate((1, 16, 16)) == []
    problems = ModelConfig(architecture="conv", conv_channels=(8, 8, 8, 8)).validate((1, 16, 16))
    assert problems and "stride-2 stages" in problems[0]


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (TrainConfig(learning_rate=-1e-3), "Learning rate"),
        (TrainConfig(learning_rate=float("nan")), "Learning rate"),
        (TrainConfig(d_learning_rate=0.0), "D learning rate"),
        (TrainConfig(epochs=0), "Epochs"),
        (TrainConfig(batch_size=0), "Batch size"),
        (TrainConfig(device="tpu"), "Device"),
    ],
)
def test_train_problems_name_the_field(config: TrainConfig, field: str) -> None:
    problems = config.validate()
    assert len(problems) == 1 and field in problems[0]


def test_round_trip_through_dicts() -> None:
    model = ModelConfig(family="vae", hidden=(32, 16), latent_dim=5, beta=4.0)
    train = TrainConfig(epochs=3, learning_rate=2e-4, seed=7)
    assert ModelConfig.from_dict(model.to_dict()) == model
    assert TrainConfig.from_dict(train.to_dict()) == train
    with pytest.raises(ConfigError, match="unknown setting"):
        ModelConfig.from_dict({"latent": 2})


def test_parse_int_list() -> None:
    assert parse_int_list(" 256, 128 ;64", "Hidden sizes") == (256, 128, 64)
    assert parse_int_list("", "Hidden sizes") == ()
    with pytest.raises(ConfigError, match="Hidden sizes"):
        parse_int_list("256, wide", "Hidden sizes")


@pytest.mark.parametrize("config, field", [
    (ModelConfig(latent_dim=10**9), "Latent size: at most 4,096"),
    (ModelConfig(hidden=(8,) * 100_000), "Hidden sizes: at most 32 layers"),
    (ModelConfig(hidden=(100_000,)), "Hidden sizes: at most 16,384 units"),
    (ModelConfig(family="gan", noise_dim=10**9), "Noise size: at most 4,096"),
    (ModelConfig(noise_dim=10**9), "Noise size"),  # stored in every checkpoint, used or not
    (ModelConfig(architecture="conv", conv_channels=(8,) * 20), "Conv channels: at most 8"),
    (ModelConfig(family="infogan", n_categories=10**6), "Categories K"),
])
def test_every_setting_has_an_upper_bound(config: ModelConfig, field: str) -> None:
    assert any(field in p for p in config.validate())


def test_seed_and_sizes_of_training_are_bounded() -> None:
    problems = " ".join(TrainConfig(seed=2**70, epochs=10**9, batch_size=10**9).validate())
    assert "Seed" in problems and "Epochs" in problems and "Batch size" in problems
    assert "Seed" in " ".join(TrainConfig(seed=-1).validate())


def test_a_model_too_large_to_train_is_refused_before_it_is_built(monkeypatch) -> None:
    from latentlab.core.models import build_model
    from latentlab.core.models.registry import training_memory

    cfg = ModelConfig(hidden=(16_000, 16_000))
    needed = training_memory(cfg, (1, 28, 28), 64)
    assert needed > 4 * 16_000 * 16_000 * 4  # weights, gradients, Adam's two moments
    monkeypatch.setenv("LATENTLAB_MEMORY_BUDGET", "1G")
    with pytest.raises(ConfigError, match="Model size: training it would need about"):
        build_model(cfg, (1, 28, 28), batch_size=64)
    assert build_model(ModelConfig(hidden=(32,)), (1, 8, 8), batch_size=64) is not None
