"""Names of the maps: the PCA-of-inputs baseline, the model's latent map, and a third map whose
source (inputs or codes) and method (PCA/LSA, UMAP, t-SNE, the codes) the user chooses."""

PIXELS, LATENT, THIRD = "pixels", "latent", "third"
MAP_IDS = (PIXELS, LATENT, THIRD)
