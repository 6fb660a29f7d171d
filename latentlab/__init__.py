"""latentlab: a desktop laboratory for latent spaces."""

__version__ = "0.1.0"
