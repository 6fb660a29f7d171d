"""``latentlab self-test``: prove an installation works, end to end, in a few seconds.

Imports everything, trains one short epoch on the embedded digits, decodes, projects (PCA and
UMAP, which exercises numba's compiled-code cache), opens the main window offscreen, reads the
built-in lecture and its models' headers, and prints one verdict line. The packaged app's smoke
test relies on it.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Callable

import numpy as np

VERDICT_OK = "latentlab self-test: OK"
VERDICT_FAILED = "latentlab self-test: FAILED"


def _train_and_decode() -> str:
    import torch

    from latentlab.config import ModelConfig, TrainConfig
    from latentlab.core.data import load_builtin
    from latentlab.core.models import build_model
    from latentlab.core.training.events import EpochEnded
    from latentlab.core.training.loop import train

    data = load_builtin("digits")
    model = build_model(ModelConfig(hidden=(64,)), data.input_shape, seed=0)
    epochs = [e for e in train(model, data, TrainConfig(epochs=1, device="cpu"))
              if isinstance(e, EpochEnded)]
    loss = epochs[-1].test["loss"]
    with torch.inference_mode():
        image = model.decode(torch.zeros(1, 2))
    if not (np.isfinite(loss) and image.shape == (1, *data.input_shape)):
        raise RuntimeError(f"training gave loss {loss} and an image of shape {tuple(image.shape)}")
    return f"1 epoch, held-out loss {loss:.2f}"


def _project() -> str:
    from latentlab.core.data import load_builtin
    from latentlab.core.maps.linear import PCA

    data = load_builtin("digits")
    x = data.images(slice(0, 300)).reshape(min(data.n, 300), -1)
    xy = PCA(2).fit(x).transform(x)
    import umap  # heavy (numba): imported only here, never at start-up

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "n_jobs overridden by random_state"
        embedding = umap.UMAP(n_neighbors=10, n_epochs=50, random_state=0).fit_transform(x)
    if xy.shape != (300, 2) or embedding.shape != (300, 2) or not np.isfinite(embedding).all():
        raise RuntimeError("a projection returned the wrong shape or non-finite values")
    return "PCA and UMAP"


def _open_window() -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from latentlab.core.data import load_builtin
    from latentlab.qt.app import create_application
    from latentlab.qt.main_window import MainWindow

    app = create_application()
    window = MainWindow()
    window.lab.data.set_dataset(load_builtin("digits"))
    window.show()
    app.processEvents()
    picture = window.grab()
    window.close()
    if picture.isNull() or picture.width() < 100:
        raise RuntimeError("the main window did not render")
    return f"main window {picture.width()}×{picture.height()}"


def _read_lecture() -> str:
    from latentlab.core.files.checkpoint import read_meta
    from latentlab.core.files.lessonfile import load_lesson
    from latentlab.lab.lessons import builtin_lessons

    lessons = [load_lesson(path) for path in builtin_lessons()]
    shipped = {c for lesson in lessons for step in lesson.steps for c in step.checkpoints()}
    for checkpoint in shipped:
        read_meta(checkpoint)  # there, and a checkpoint
    if not lessons:
        raise RuntimeError("the built-in lecture is missing")
    return f"{len(lessons)} built-in lessons"


def run_self_test(out: Callable[[str], None] = print) -> int:
    from latentlab import __version__
    from latentlab.core.files.userdirs import configure_numba_cache, user_cache_folder

    cache = user_cache_folder()
    configure_numba_cache(cache)
    if cache.problem:
        out(f"note: {cache.problem}")
    start = time.perf_counter()
    done: list[str] = []
    steps: list[tuple[str, Callable[[], str]]] = [
        ("train and decode", _train_and_decode),
        ("project", _project),
        ("open the window", _open_window),
        ("read the lecture", _read_lecture),
    ]
    for name, step in steps:
        try:
            done.append(step())
        except Exception as exc:  # the verdict must name the step and the reason, never crash
            out(f"{VERDICT_FAILED} at '{name}': {type(exc).__name__}: {exc}")
            return 1
    out(f"{VERDICT_OK} (latentlab {__version__}, Python {sys.version.split()[0]}; "
        f"{'; '.join(done)}; {time.perf_counter() - start:.1f} s)")
    return 0
