"""What is read from and written to disk: checkpoints and their metadata, lab files, exports,
image grids, user folders, and atomic writes."""
