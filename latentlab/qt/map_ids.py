"""Names of the three maps, after what the first two show until the user chooses another source
(inputs or codes) and method (PCA/LSA, UMAP, t-SNE, the codes): the PCA-of-inputs baseline, the
model's latent map, and a third map shown on demand."""

PIXELS, LATENT, THIRD = "pixels", "latent", "third"
MAP_IDS = (PIXELS, LATENT, THIRD)
