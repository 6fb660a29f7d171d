"""The main window: hosts the workspaces (one shown at a time), the menus they share, the status
bar, and shows every workspace's errors and messages."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox, QStackedWidget

from latentlab import __version__
from latentlab.core.files.safe_io import printable
from latentlab.lab.latent_lab import LatentLab
from latentlab.qt.lesson_actions import LessonActions
from latentlab.qt.widgets.start_card import StartCard
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
        latent = next(w for w in self.workspaces if isinstance(w, LatentMapsWorkspace))
        self.lesson_actions = LessonActions(self, self.workspaces, latent.recent,
                                            self.show_workspace)
        for workspace in self.workspaces:
            self.pages.addWidget(workspace.central)
            for bar in workspace.toolbars:
                self.addToolBar(bar)
            for widget in workspace.status_widgets:
                self.statusBar().addPermanentWidget(widget)
        for notes in (*(w.notes for w in self.workspaces), self.lesson_actions.notes):
            notes.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
            notes.error.connect(self.show_error)
            notes.notice.connect(self.show_notice)
        self._build_menus()
        self._route_checkpoints()
        self.start_card = StartCard(self.pages, {
            "lecture": self.lesson_actions.open_lecture, "vae": latent.quick_start,
            "data": latent.data_actions.open_folder})
        self.start_card.hide()  # the app's first screen shows it (``run_gui``)
        for signal in (self.lesson_actions.lessons.lesson_changed, latent.lab.model.started,
                       latent.lab.data.load_ended):
            # The user has started something else.
            signal.connect(lambda *_: self.start_card.hide())
        self.workspace = self.workspaces[0]
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
        file_menu.addActions(self.lesson_actions.file_items)
        file_menu.addSeparator()
        quit_action = QAction("Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        for workspace in self.workspaces:
            for menu in workspace.menus:
                bar.addMenu(menu)
        bar.addMenu(self.lesson_actions.menu)
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
        if hasattr(self, "start_card") and not isinstance(workspace, LatentMapsWorkspace):
            self.start_card.hide()  # it offers the latent maps' first steps
        for other in self.workspaces:
            other.set_active(other is workspace)
        self.workspace = workspace
        self.pages.setCurrentWidget(workspace.central)

    def show_error(self, title: str, message: str, details: str = "") -> None:
        """A readable, non-blocking error dialog; the technical details stay folded away."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, printable(message, 4000, lines=True),
                          QMessageBox.StandardButton.Ok, self)
        box.setTextFormat(Qt.TextFormat.PlainText)  # a file's name or content is never markup
        if details:
            box.setDetailedText(printable(details, 100_000, lines=True))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def show_notice(self, title: str, message: str, details: str = "") -> None:
        """One non-blocking summary (e.g. files skipped), the list folded into its details."""
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
        # Stop background work and wait: a QThread destroyed while running aborts the process.
        for workspace in self.workspaces:
            workspace.shutdown()
        super().closeEvent(event)
