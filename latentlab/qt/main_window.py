"""The main window: hosts the workspaces (one shown at a time), the menus they share, the status
bar, and shows every workspace's errors and messages."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox, QSizePolicy, QStackedWidget

from latentlab import __version__
from latentlab.core.files.safe_io import printable
from latentlab.lab.latent_lab import LatentLab
from latentlab.qt.presentation import PresentationController
from latentlab.qt.workspace import Workspace
from latentlab.qt.workspaces import WORKSPACES
from latentlab.qt.workspaces.latent_maps import LatentMapsWorkspace


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("latentlab")
        self.resize(1440, 900)
        self.pages = QStackedWidget()
        self.setCentralWidget(self.pages)
        self.workspaces: list[Workspace] = [cls(self) for cls in WORKSPACES]
        for workspace in self.workspaces:
            self.pages.addWidget(workspace.central)
            for bar in workspace.toolbars:
                self.addToolBar(bar)
            for widget in workspace.status_widgets:
                self.statusBar().addPermanentWidget(widget)
            workspace.notes.message.connect(self.show_message)
            workspace.notes.error.connect(self.show_error)
            workspace.notes.notice.connect(self.show_notice)
        self._page_policies = {w.central: w.central.sizePolicy() for w in self.workspaces}
        self.workspace = self.workspaces[0]
        #: Presentation mode: full screen, zoom, high contrast, a lesson's controls and keys.
        self.presentation = PresentationController(self)
        self._build_menus()
        self._route_checkpoints()
        self.show_workspace(self.workspace)

    @property
    def lab(self) -> LatentLab:
        """The latent-map workspace's lab (the command line opens files into it)."""
        return next(w for w in self.workspaces if isinstance(w, LatentMapsWorkspace)).lab

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for workspace in self.workspaces:
            for item in workspace.file_items:
                if item is None:
                    file_menu.addSeparator()
                elif isinstance(item, QAction):
                    file_menu.addAction(item)
                else:
                    file_menu.addMenu(item)
            file_menu.addSeparator()
        quit_action = QAction("Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        for workspace in self.workspaces:
            for menu in workspace.menus:
                bar.addMenu(menu)
        view_menu = bar.addMenu("&View")
        if len(self.workspaces) > 1:
            group = QActionGroup(self)
            for index, workspace in enumerate(self.workspaces, start=1):
                action = QAction(workspace.title, self, checkable=True)
                action.setShortcut(QKeySequence(f"Ctrl+{index}"))
                action.triggered.connect(lambda _=False, w=workspace: self.show_workspace(w))
                group.addAction(action)
                view_menu.addAction(action)
            view_menu.addSeparator()
        for workspace in self.workspaces:
            view_menu.addActions(workspace.view_actions)
        view_menu.addSeparator()
        view_menu.addActions(self.presentation.view_actions)
        help_menu = bar.addMenu("&Help")
        for workspace in self.workspaces:
            help_menu.addActions(workspace.help_actions)
        about = QAction("About latentlab", self)
        about.triggered.connect(self._show_about)
        help_menu.addAction(about)

    def _route_checkpoints(self) -> None:
        """File → Open model (and ``latentlab open``) sends a checkpoint of a family another
        workspace opens (``checkpoint_families``: pix2pix, CycleGAN) to that workspace."""
        files = next(w for w in self.workspaces if isinstance(w, LatentMapsWorkspace)).file_actions
        for workspace in self.workspaces:
            for family in getattr(workspace, "checkpoint_families", ()):
                files.send_elsewhere(family, partial(self.open_in, workspace))

    def open_in(self, workspace: Workspace, path: Path) -> None:
        """Show ``workspace`` and open the checkpoint at ``path`` there."""
        self.show_workspace(workspace)
        workspace.open_path(path)  # type: ignore[attr-defined]

    def show_workspace(self, workspace: Workspace) -> None:
        self.presentation.release_controls()  # the one leaving gets its controls back
        for other in self.workspaces:
            other.set_active(other is workspace)
        self.workspace = workspace
        self.pages.setCurrentWidget(workspace.central)
        # Only the page shown sets the window's minimum size: a hidden workspace's, zoomed for
        # a projector, would otherwise widen the window past the screen.
        for other in self.workspaces:
            other.central.setSizePolicy(self._page_policies[other.central] if other is workspace
                                        else QSizePolicy(QSizePolicy.Policy.Ignored,
                                                         QSizePolicy.Policy.Ignored))
        self.presentation.apply_controls()

    def show_message(self, text: str, timeout_ms: int = 6000) -> None:
        """One line in the status bar; while presenting (no status bar), in the banner."""
        if self.presentation.presenting:
            self.presentation.model.show_banner(text)
        else:
            self.statusBar().showMessage(text, timeout_ms)

    def show_error(self, title: str, message: str, details: str = "") -> None:
        """A readable, non-blocking error dialog; the technical details stay folded away.
        While presenting nothing modal covers the audience's view: the banner says it."""
        if self.presentation.presenting:
            self.presentation.model.show_banner(f"{title}: {message}", error=True)
            return
        box = QMessageBox(QMessageBox.Icon.Warning, title, printable(message, 4000, lines=True),
                          QMessageBox.StandardButton.Ok, self)
        box.setTextFormat(Qt.TextFormat.PlainText)  # a file's name or content is never markup
        if details:
            box.setDetailedText(printable(details, 100_000, lines=True))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def show_notice(self, title: str, message: str, details: str = "") -> None:
        """One non-blocking summary (e.g. files skipped), the list folded into its details;
        while presenting, a line in the banner."""
        if self.presentation.presenting:
            self.presentation.model.show_banner(f"{title}: {message}")
            return
        box = QMessageBox(QMessageBox.Icon.Information, title, printable(message, 4000, lines=True),
                          QMessageBox.StandardButton.Ok, self)
        box.setObjectName("noticeBox")
        box.setTextFormat(Qt.TextFormat.PlainText)
        if details:
            box.setDetailedText(printable(details, 100_000, lines=True))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _show_about(self) -> None:
        QMessageBox.about(
            self, "About latentlab",
            f"<b>latentlab {__version__}</b><p>A desktop laboratory for latent spaces.</p>"
            "<p><b>Bundled data.</b> The embedded digits are the UCI ML hand-written digits "
            "(E. Alpaydin, C. Kaynak), shipped with scikit-learn; licensed CC BY 4.0. The "
            "embedded MNIST sample is 5,000 digits of MNIST (Y. LeCun, C. Cortes); licensed "
            "CC BY-SA 3.0.</p>"
            "<p><b>Built on</b> Qt and PySide6 (LGPL-3.0), pyqtgraph (MIT), PyTorch, NumPy, "
            "SciPy, scikit-learn, umap-learn, openTSNE, numba (BSD licences) and Pillow "
            "(MIT-CMU).</p>",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        self.presentation.shutdown()  # the application's font and colours as they were
        # Stop background work and wait: a QThread destroyed while running aborts the process.
        for workspace in self.workspaces:
            workspace.shutdown()
        super().closeEvent(event)
