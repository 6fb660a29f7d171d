"""The main window: hosts the workspaces (one shown at a time), the menus they share, the status
bar, and shows every workspace's errors and messages.

It opens before torch is loaded: given an engine that is not ready, it builds the first workspace
only and the others once the engine is (their View entries wait, disabled, until then)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QMainWindow,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QStackedWidget,
    QWidget,
)

from latentlab import __version__
from latentlab.core.files.safe_io import printable
from latentlab.lab.engine import LOADING_TEXT, Engine
from latentlab.lab.latent_lab import LatentLab
from latentlab.lab.notifications import Notifications
from latentlab.qt.lesson_actions import LessonActions
from latentlab.qt.presentation import PresentationController
from latentlab.qt.widgets.start_card import StartCard
from latentlab.qt.workspace import Workspace
from latentlab.qt.workspaces import FIRST, LATER
from latentlab.qt.workspaces.latent_maps import LatentMapsWorkspace


class MainWindow(QMainWindow):
    def __init__(self, engine: Engine | None = None) -> None:
        super().__init__()
        #: Whether torch is loaded; scripts and tests pass none: ready, every workspace at once.
        self.engine = engine if engine is not None else Engine()
        self.setWindowTitle("latentlab")
        self.resize(1440, 900)
        self.pages = QStackedWidget()
        self.setCentralWidget(self.pages)
        self.file_menu = QMenu("&File", self)
        self.view_menu = QMenu("&View", self)
        self.help_menu = QMenu("&Help", self)
        self.quit_action = QAction("Quit", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)
        self.about_action = QAction("About latentlab", self)
        self.about_action.triggered.connect(self._show_about)
        self.workspaces: list[Workspace] = []
        self._switches: list[QAction] = []  # View → one per workspace, built or still waiting
        self._page_policies: dict[QWidget, QSizePolicy] = {}
        latent = self._host(FIRST(self))
        self.workspace = latent
        #: Presentation mode: full screen, zoom, high contrast, a lesson's controls and keys.
        self.presentation = PresentationController(self)
        # Lessons span the workspaces: the later ones join them when they are built.
        self.lesson_actions = LessonActions(self, latent.recent, self.show_workspace)
        self.lesson_actions.add_workspace(latent)
        self._show_notes(self.lesson_actions.notes)
        self.presentation.set_lessons(self.lesson_actions.lessons)
        self.presentation.model.zoom_changed.connect(self.lesson_actions.set_zoom)
        self._switch_group = QActionGroup(self)
        for index, title in enumerate([FIRST.title, *(w.title for w in LATER)], start=1):
            action = QAction(title, self, checkable=True)
            action.setShortcut(QKeySequence(f"Ctrl+{index}"))
            action.triggered.connect(lambda _=False, i=index - 1: self._switch_to(i))
            self._switch_group.addAction(action)
            self._switches.append(action)
        if self.engine.ready:
            self._build_later()
        else:
            for action in self._switches[1:]:
                action.setEnabled(False)
                action.setToolTip(LOADING_TEXT)
            self.statusBar().showMessage(LOADING_TEXT)
            self.engine.changed.connect(self._on_engine)
        self._build_menus()
        self.start_card = StartCard(self.pages, {
            "lecture": self.lesson_actions.open_lecture, "vae": latent.quick_start,
            "data": latent.data_actions.open_folder})
        self.start_card.hide()  # the app's first screen shows it (``run_gui``)
        self._gate_quick_start()
        for signal in (self.lesson_actions.lessons.lesson_changed, latent.lab.model.started,
                       latent.lab.data.load_ended):
            # The user has started something else.
            signal.connect(lambda *_: self.start_card.hide())
        self.show_workspace(self.workspace)

    def _host(self, workspace: Workspace) -> Workspace:
        """Give ``workspace`` its page, toolbars, status widgets and notifications."""
        self.workspaces.append(workspace)
        self.pages.addWidget(workspace.central)
        self._page_policies[workspace.central] = workspace.central.sizePolicy()
        for bar in workspace.toolbars:
            self.addToolBar(bar)
        for widget in workspace.status_widgets:
            self.statusBar().addPermanentWidget(widget)
        self._show_notes(workspace.notes)
        return workspace

    def _show_notes(self, notes: Notifications) -> None:
        notes.message.connect(self.show_message)
        notes.error.connect(self.show_error)
        notes.notice.connect(self.show_notice)

    def _build_later(self) -> None:
        """The workspaces that need torch from the start: built once it is loaded."""
        for later in LATER:
            workspace = self._host(later.load()(self))
            workspace.set_active(False)
            look = self.presentation.model  # zoomed or in high contrast already: so are they
            if look.zoom != 1.0:
                workspace.set_zoom(look.zoom)
            if look.high_contrast:
                workspace.set_high_contrast(True)
            self.lesson_actions.add_workspace(workspace)
        for action in self._switches:
            action.setEnabled(True)
            action.setToolTip("")
        self._route_checkpoints()

    def _on_engine(self) -> None:
        if self.engine.problem is not None:
            self.show_message("PyTorch could not be loaded.", 0)
            message, _, details = self.engine.problem.partition("\n\n")
            self.show_error("PyTorch could not be loaded", message, details)
            return
        self._build_later()
        self._build_menus()
        self._gate_quick_start()
        self.show_workspace(self.workspace)
        self.show_message("PyTorch loaded: ready to train.", 4000)

    def _gate_quick_start(self) -> None:
        """The Start card's *Train a VAE now* waits for torch, as Train does."""
        button = self.start_card.buttons["vae"]
        button.setEnabled(self.engine.ready)
        button.setToolTip("" if self.engine.ready else LOADING_TEXT)

    def _switch_to(self, index: int) -> None:
        if index < len(self.workspaces):
            self.show_workspace(self.workspaces[index])

    @property
    def lab(self) -> LatentLab:
        """The latent-map workspace's lab (the command line opens files into it)."""
        return next(w for w in self.workspaces if isinstance(w, LatentMapsWorkspace)).lab

    def _build_menus(self) -> None:
        """Fill the menu bar from the workspaces built so far (again when the others come)."""
        bar = self.menuBar()
        bar.clear()
        file_menu, view_menu, help_menu = self.file_menu, self.view_menu, self.help_menu
        for menu in (file_menu, view_menu, help_menu):
            menu.clear()
        bar.addMenu(file_menu)
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
        file_menu.addAction(self.quit_action)
        for workspace in self.workspaces:
            for menu in workspace.menus:
                bar.addMenu(menu)
        bar.addMenu(self.lesson_actions.menu)
        bar.addMenu(view_menu)
        if len(self._switches) > 1:
            view_menu.addActions(self._switches)
            view_menu.addSeparator()
        for workspace in self.workspaces:
            view_menu.addActions(workspace.view_actions)
        view_menu.addSeparator()
        view_menu.addActions(self.presentation.view_actions)
        bar.addMenu(help_menu)
        for workspace in self.workspaces:
            help_menu.addActions(workspace.help_actions)
        help_menu.addAction(self.about_action)

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
        if not isinstance(workspace, LatentMapsWorkspace):
            self.start_card.hide()  # it offers the latent maps' first steps
        self.presentation.release_controls()  # the one leaving gets its controls back
        for other in self.workspaces:
            other.set_active(other is workspace)
        self.workspace = workspace
        self.pages.setCurrentWidget(workspace.central)
        self._switches[self.workspaces.index(workspace)].setChecked(True)
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
