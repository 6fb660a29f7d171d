"""Names of the maps: the PCA-of-inputs baseline and the model's latent map."""

PIXELS, LATENT = "pixels", "latent"
MAP_IDS = (PIXELS, LATENT)
