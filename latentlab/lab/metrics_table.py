"""The metrics table's rows: the linear baseline, each model of the session and each nonlinear
map on show, scored on the held-out split by the core's evaluation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from latentlab.config import TRANSLATOR_FAMILIES

if TYPE_CHECKING:  # torch loads with the first model, not with the window
    from latentlab.core.models import LatentModel

FAMILY_NAMES = {"ae": "Autoencoder", "vae": "VAE", "umap_ae": "UMAP autoencoder", "gan": "GAN",
                "infogan": "InfoGAN", "cgan": "Conditional GAN", "cvae": "Conditional VAE",
                "pix2pix": "pix2pix", "cyclegan": "CycleGAN", "progan": "Progressive GAN"}


@dataclass(frozen=True)
class MetricsRow:
    """One row of the metrics table: a linear baseline, a model or a nonlinear map on show.
    None: does not apply."""

    name: str
    kind: str  # "baseline", "model", or "map" (a UMAP or t-SNE map on show)
    map_method: str
    knn1: float | None
    knn5: float | None
    trust: float | None
    sse: float | None
    note: str = ""
    #: Fréchet distance of generated images to the test split (lower is better).
    sample_fd: float | None = None


def model_name(model: LatentModel, epoch: int) -> str:
    cfg = model.cfg
    name = FAMILY_NAMES.get(cfg.family, cfg.family)
    architecture = cfg.architecture.upper() if cfg.architecture == "mlp" else cfg.architecture
    if cfg.family in ("vae", "cvae") and cfg.beta != 1.0:
        name = f"{'conditional ' if cfg.family == 'cvae' else ''}β-VAE (β={cfg.beta:g})"
    if not cfg.is_gan and cfg.family not in TRANSLATOR_FAMILIES:  # nor has a translator
        name += f", {cfg.latent_dim}-D code"
    return f"{name}, {architecture}, epoch {epoch}"


def rows_from_evaluation(result: dict[str, Any], name: str) -> list[MetricsRow]:
    """The baseline's row and the model's row of one ``evaluate_model`` result."""
    maps, recon = result["maps"], result["reconstruction_sse_per_image"]
    pca = maps["pca"]
    k = None if recon is None else recon["pca_components"]
    base_name = pca["method"] + ("" if k is None else f", {k} components")
    baseline = MetricsRow(base_name, "baseline", f"{pca['method']} (2 components)", pca["knn1"],
                          pca["knn5"], pca["trustworthiness"], None if recon is None
                          else recon["pca"])
    latent = maps["latent"] or {}
    note = ""
    if not latent:
        note = "no encoder: real items have no codes"
    elif recon is None:
        note = "a GAN cannot reconstruct"
    infogan = result.get("infogan") or {}
    if infogan.get("category_accuracy") is not None:
        note = f"Q's category accuracy {infogan['category_accuracy']:.3f}"
    quality = result.get("sample_quality") or {}
    model_row = MetricsRow(name, "model", latent.get("method", "—"), latent.get("knn1"),
                           latent.get("knn5"), latent.get("trustworthiness"),
                           None if recon is None else recon["model"],
                           "\n".join(filter(None, (note, sample_fd_note(quality)))),
                           quality.get("frechet_distance"))
    return [baseline, model_row]


def sample_fd_note(quality: dict[str, Any]) -> str:
    """What the sample FD is measured against, or why there is none."""
    floor = quality.get("frechet_distance_train_vs_test")
    if floor is None:
        return f"no sample FD: {quality['note']}" if quality.get("note") else ""
    return (f"sample FD: {quality['samples']:,} samples ({quality['sampling']}); real train "
            f"images score {floor:.3f}, the floor")
