"""The lab: plain-Python models of what a workspace shows, with no Qt (a test enforces it).

Each model owns its fields and is their only writer; others read them and call its methods.
Changes are announced with psygnal signals, emitted on the thread that called the method — in
the app always the GUI thread, since background work (``jobs``) reports back there.

The latent-map workspace's lab (:class:`latentlab.lab.latent_lab.LatentLab`) is composed of:

- ``data_session.DataSession``: the dataset, where it came from, its loads, the baseline map
- ``model_session.ModelSession``: settings, the trained and live model, training, snapshots
- ``maps.Maps``: the three maps (``map_state.MapState`` each): setup, projection, coordinates,
  title, probe and decoded output; decoding in ``decoding``
- ``selection.Selection``, ``timeline.Timeline``, ``colouring.Colouring``
- ``generator.GeneratorCodes``: the code a GAN generates from (its map probe derives from it)
- ``files.LabFiles``: checkpoints and lab files; ``tools.Tools``: neighbours, paths, metrics,
  exports
- ``notifications.Notifications``: errors and notices, for whatever displays them
"""
