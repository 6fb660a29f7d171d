"""Model families: one file each, only nn.Modules and their losses."""

from latentlab.core.models.autoencoder import Autoencoder
from latentlab.core.models.base import LatentModel
from latentlab.core.models.conditional import ConditionalGAN
from latentlab.core.models.conditional_vae import ConditionalVAE
from latentlab.core.models.gan import GAN, InfoGAN
from latentlab.core.models.pix2pix import Pix2Pix
from latentlab.core.models.progan import ProGAN
from latentlab.core.models.registry import MODEL_CLASSES, build_model
from latentlab.core.models.umap_autoencoder import UmapAutoencoder
from latentlab.core.models.vae import VAE

__all__ = ["GAN", "MODEL_CLASSES", "VAE", "Autoencoder", "ConditionalGAN", "ConditionalVAE",
           "InfoGAN",
           "LatentModel", "Pix2Pix", "ProGAN", "UmapAutoencoder", "build_model"]
