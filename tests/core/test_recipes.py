"""The recommended settings: valid for every family and kind of data, and refused by name."""

from __future__ import annotations

import pytest
import torch

from latentlab.config import MODEL_FAMILIES, ConfigError
from latentlab.core.models import build_model
from latentlab.core.training.recipes import DATA_KINDS, recommended_settings

SHAPES = {"image": [(1, 28, 28), (1, 8, 8), (3, 32, 32)], "text": [(1, 1, 500)]}


@pytest.mark.parametrize("family", list(MODEL_FAMILIES))
@pytest.mark.parametrize("kind", DATA_KINDS)
def test_recommended_settings_validate_and_build(family: str, kind: str) -> None:
    if family in ("pix2pix", "cyclegan") and kind == "text":
        with pytest.raises(ConfigError, match=r"Data kind: (pix2pix|CycleGAN) translates images"):
            recommended_settings(family, kind)
        return
    for shape in SHAPES[kind]:
        model_cfg, train_cfg = recommended_settings(family, kind, shape)
        assert model_cfg.family == family
        if family == "progan" and kind == "text":
            # Offered in the window whatever the data: the data is refused, by name.
            assert model_cfg.validate(shape)[-1].startswith(
                "Architecture: progressive growing builds square images")
            continue
        assert model_cfg.validate(shape) == [] and train_cfg.validate() == []
        if kind == "text" and not model_cfg.is_gan:
            assert model_cfg.likelihood == "multinomial"
        with torch.device("meta"):
            build_model(model_cfg, shape)


def test_text_settings_regularise_and_stop_early() -> None:
    model_cfg, train_cfg = recommended_settings("ae", "text")
    assert model_cfg.input_dropout > 0 and train_cfg.weight_decay > 0
    assert train_cfg.early_stopping > 0


@pytest.mark.parametrize(("args", "field"), [
    (("pca", "image"), "Model type"),
    (("ae", "audio"), "Data kind"),
])
def test_unknown_family_or_kind_is_refused_by_name(args: tuple[str, str], field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        recommended_settings(*args)


def test_codes_for_reconstruction_get_their_own_image_recipe() -> None:
    """A 2-D code is a map (input dropout helps it); larger codes reconstruct (it costs error)."""
    map_cfg, _ = recommended_settings("ae", "image")
    codes_cfg, _ = recommended_settings("ae", "image", latent_dim=30)
    assert map_cfg.latent_dim == 2 and map_cfg.input_dropout > 0
    assert codes_cfg.latent_dim == 30 and codes_cfg.input_dropout == 0
    assert codes_cfg.hidden[0] > map_cfg.hidden[0]
    assert recommended_settings("vae", "text", latent_dim=8)[0].latent_dim == 8


def test_infogan_trains_the_dcgan_where_it_can_build_the_images() -> None:
    """Q reads real digits as it reads samples only with the convolutional nets; 8×8 images
    keep the MLP, which the DCGAN cannot build."""
    conv, _ = recommended_settings("infogan", "image", (1, 28, 28))
    assert conv.architecture == "conv" and conv.noise_scale < 1 < conv.info_weight
    small, _ = recommended_settings("infogan", "image", (1, 8, 8))
    assert small.architecture == "mlp" and small.noise_scale == 1
    assert recommended_settings("gan", "image", (1, 28, 28))[0].architecture == "mlp"
