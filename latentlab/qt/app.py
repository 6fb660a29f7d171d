"""QApplication set-up, the error dialog for unexpected exceptions, and the GUI's main().

Nothing on the way to the window imports torch: it shows the default dataset's PCA map (NumPy)
first, then loads torch on a thread of its own (:class:`latentlab.lab.engine.Engine`)."""

from __future__ import annotations

import sys
import traceback
from importlib import resources
from pathlib import Path
from types import TracebackType

import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from latentlab.core.data.builtin import MNIST_SAMPLE, load_builtin
from latentlab.core.data.source import DataSource
from latentlab.core.files.checkpoint import SUFFIX
from latentlab.core.files.labfile import LAB_SUFFIX
from latentlab.core.files.lessonfile import LESSON_SUFFIX
from latentlab.core.files.userdirs import configure_numba_cache, user_cache_folder
from latentlab.lab.engine import Engine
from latentlab.qt.jobs import CallSoon
from latentlab.qt.main_window import MainWindow
from latentlab.qt.system_libs import missing_libraries_line
from latentlab.qt.workspaces import LATER


def resource_text(name: str) -> str:
    return resources.files("latentlab.resources").joinpath(name).read_text(encoding="utf-8")


def create_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("latentlab")
    app.setOrganizationName("latentlab")
    with resources.as_file(resources.files("latentlab.resources") / "icon.svg") as icon:
        app.setWindowIcon(QIcon(str(icon)))
    app.setStyleSheet(resource_text("style.qss"))
    pg.setConfigOptions(background="w", foreground="k", antialias=True)
    if "torch" in sys.modules:  # else the engine does it once torch is loaded
        one_torch_thread()
    return app


def one_torch_thread() -> None:
    """The GUI thread only decodes single codes: one torch thread is fastest for that, and an
    idle pool of spinning workers would steal the core that training runs on. (Torch's thread
    count is the calling thread's: this must run on the GUI thread.)"""
    import torch

    torch.set_num_threads(1)


def install_excepthook(window: MainWindow) -> None:
    """Unexpected exceptions on the GUI thread become a readable dialog; the app keeps running."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        details = "".join(traceback.format_exception(kind, exc, tb))
        sys.stderr.write(details)
        window.show_error("Something went wrong", f"{kind.__name__}: {exc}", details)

    sys.excepthook = hook


def open_file(window: MainWindow, path: Path) -> None:
    """Open a lesson, a checkpoint or a lab as the File menu does, anything else as a dataset."""
    if path.name.lower().endswith(LESSON_SUFFIX):
        window.lesson_actions.open_path(path)
    elif path.suffix.lower() in (SUFFIX, LAB_SUFFIX):
        window.workspace.file_actions.open_path(path)
    else:
        window.workspace.data_actions.load_path(path)


def run_gui(exit_after_show: bool = False, open_path: str | Path | None = None) -> int:
    """Run the app; ``open_path`` is a checkpoint, lab file, lesson or dataset to open (``latentlab
    open PATH`` has already checked it). Exits with 1, saying which system packages to
    install, where Qt could not open a window for want of them."""
    missing = missing_libraries_line()
    if missing is not None:
        sys.stderr.write(missing + "\n")
        return 1
    cache = user_cache_folder()
    configure_numba_cache(cache)
    app = create_application()
    engine = Engine(ready=False)
    window = MainWindow(engine)
    install_excepthook(window)
    # The embedded MNIST sample: real 28×28 digits, offline (scikit-learn's 8×8 digits stay a
    # choice under Datasets…).
    window.lab.data.set_dataset(load_builtin(MNIST_SAMPLE), source=DataSource.parse(MNIST_SAMPLE))
    window.show()
    if open_path is None:  # the first screen: what to do with it
        window.start_card.show()
    if cache.problem:  # say what cannot be done, and carry on
        sys.stderr.write(f"latentlab: {cache.problem}\n")
        window.show_message(f"Cache folder unusable: {cache.problem}.", 15_000)

    def engine_changed() -> None:
        if not engine.ready:
            return
        one_torch_thread()
        if open_path is not None:  # a model or a lab needs torch; a dataset waits with them
            open_file(window, Path(open_path))

    engine.changed.connect(engine_changed)
    if exit_after_show:
        # Used by start-up benchmarks and smoke checks: report once the window is up, then quit.
        def report() -> None:
            print("window shown", flush=True)
            window.close()
            app.quit()

        QTimer.singleShot(0, report)
    # Torch, the models and the other workspaces' modules load behind the shown window: from
    # the event loop's first pass, after the window has painted (loading torch's libraries
    # holds the GIL for long stretches).
    QTimer.singleShot(0, lambda: engine.load_in_background(
        CallSoon(window), extra_modules=[later.module for later in LATER]))
    status = app.exec()
    # Let an import of torch still under way end before the interpreter does.
    engine.wait(timeout=60)
    return status
