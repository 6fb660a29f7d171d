"""QApplication set-up, the error dialog for unexpected exceptions, and the GUI's main()."""

from __future__ import annotations

import sys
import threading
import traceback
from importlib import resources
from pathlib import Path
from types import TracebackType

import pyqtgraph as pg
import torch
from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from latentlab.core.data import load_builtin
from latentlab.core.data.source import DataSource
from latentlab.core.files.checkpoint import SUFFIX
from latentlab.core.files.labfile import LAB_SUFFIX
from latentlab.core.files.userdirs import configure_numba_cache, user_cache_folder
from latentlab.core.training.loop import warm_up
from latentlab.qt.main_window import MainWindow
from latentlab.qt.system_libs import missing_libraries_line


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
    # The GUI thread only decodes single codes: one torch thread is fastest for that, and an idle
    # pool of spinning workers would steal the core that training runs on.
    torch.set_num_threads(1)
    return app


def install_excepthook(window: MainWindow) -> None:
    """Unexpected exceptions on the GUI thread become a readable dialog; the app keeps running."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        details = "".join(traceback.format_exception(kind, exc, tb))
        sys.stderr.write(details)
        window.show_error("Something went wrong", f"{kind.__name__}: {exc}", details)

    sys.excepthook = hook


def open_file(window: MainWindow, path: Path) -> None:
    """Open a checkpoint or a lab as File → Open does, anything else as a dataset."""
    if path.suffix.lower() in (SUFFIX, LAB_SUFFIX):
        window.workspace.file_actions.open_path(path)
    else:
        window.workspace.data_actions.load_path(path)


def run_gui(exit_after_show: bool = False, open_path: str | Path | None = None) -> int:
    """Run the app; ``open_path`` is a checkpoint, lab file or dataset to open (``latentlab
    open PATH`` has already checked it). Exits with 1, saying which system packages to
    install, where Qt could not open a window for want of them."""
    missing = missing_libraries_line()
    if missing is not None:
        sys.stderr.write(missing + "\n")
        return 1
    cache = user_cache_folder()
    configure_numba_cache(cache)
    app = create_application()
    window = MainWindow()
    install_excepthook(window)
    window.lab.data.set_dataset(load_builtin("digits"), source=DataSource.parse("digits"))
    window.show()
    if open_path is not None:
        open_file(window, Path(open_path))
    if cache.problem:  # say what cannot be done, and carry on
        sys.stderr.write(f"latentlab: {cache.problem}\n")
        window.show_message(f"Cache folder unusable: {cache.problem}.", 15_000)
    threading.Thread(target=warm_up, name="latentlab-warm-up", daemon=True).start()
    if exit_after_show:
        # Used by start-up benchmarks and smoke checks: report once the window is up, then quit.
        def report() -> None:
            print("window shown", flush=True)
            window.close()
            app.quit()

        QTimer.singleShot(0, report)
    return app.exec()
