"""Icons and style sheets, read through importlib.resources (installed as latentlab.resources)."""
