"""The Qt-free core: data, models, training, projections. Never imports a GUI toolkit."""
