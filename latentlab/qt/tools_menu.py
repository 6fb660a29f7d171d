"""The Tools menu (selection gallery, nearest neighbours, interpolation path, metrics) and the
File → Export submenu (embeddings as CSV or for the Embedding Projector, maps and image panels
as PNG).

Owned by the main window, which puts ``menu`` into its menu bar and ``export_menu`` into its File
menu. The tools talk to the lab's ``tools`` and its other models only; the one thing read from
the workspace's views is which widget to photograph for a PNG.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMainWindow, QMenu, QWidget

from latentlab.lab.latent_lab import LatentLab
from latentlab.lab.tools import NEIGHBOURS
from latentlab.qt.actions import make_action
from latentlab.qt.widgets.form_scroll import FormScroll
from latentlab.qt.widgets.tools_gallery import SelectionGallery
from latentlab.qt.widgets.tools_interpolation import InterpolationDialog
from latentlab.qt.widgets.tools_metrics import MetricsPanel

GALLERY_WIDTH = 310  # as the forms it shares the left side with


class ToolsMenu(QObject):
    def __init__(self, lab: LatentLab, window: QMainWindow, views: object) -> None:
        super().__init__(window)
        self.lab = lab
        self.window = window
        #: What the export menu photographs: ``maps``, ``probe_panel`` and ``outputs``.
        self.views = views
        self.tools = lab.tools
        self.last_folder = str(Path.home())
        self.interpolation: InterpolationDialog | None = None

        self.gallery = SelectionGallery(lab)
        self.gallery_dock = self._dock("Selection", "selectionDock", self.gallery)
        self.metrics_panel = MetricsPanel(self.tools)
        self.metrics_dock = self._dock("Metrics", "metricsDock", self.metrics_panel)
        self.metrics_dock.hide()
        self.metrics_dock.visibilityChanged.connect(self._on_metrics_visible)

        self.menu = QMenu("&Tools", window)
        gallery_action = self.gallery_dock.toggleViewAction()
        gallery_action.setText("Selection gallery")
        gallery_action.setShortcut(QKeySequence("Ctrl+G"))
        gallery_action.setStatusTip("Thumbnails of the selected items")
        self.menu.addAction(gallery_action)
        self.latent_neighbours_action = make_action(
            self.window, "Nearest neighbours in latent space", "K",
            lambda: self._neighbours("latent"),
            f"Select the {NEIGHBOURS} items nearest the selected item (or the item nearest the "
            "latent probe) among the model's codes")
        self.input_neighbours_action = make_action(
            self.window, "Nearest neighbours in input space", "Shift+K",
            lambda: self._neighbours("input"),
            f"Select the {NEIGHBOURS} items nearest the selected item (or the item nearest the "
            "latent probe) in pixel or word space")
        self.interpolation_action = make_action(
            self.window, "Interpolation path…", "Ctrl+I", self.show_interpolation,
            "Decode the straight line (and for a VAE the great circle) between two items' codes")
        self.menu.addActions([self.latent_neighbours_action, self.input_neighbours_action,
                              self.interpolation_action])
        self.menu.addSeparator()
        metrics_action = self.metrics_dock.toggleViewAction()
        metrics_action.setText("Metrics")
        metrics_action.setShortcut(QKeySequence("Ctrl+M"))
        metrics_action.setStatusTip("k-NN accuracy, trustworthiness and reconstruction error of "
                                    "the model beside the linear baseline")
        self.menu.addAction(metrics_action)

        self.export_menu = QMenu("&Export", window)
        self.csv_action = make_action(
            self.window, "Embeddings as CSV…", "", self.export_csv,
            "Every item's codes, map coordinates, split and label in one table")
        self.projector_action = make_action(
            self.window, "Embedding Projector…", "", self.export_projector,
            "tensors.tsv, metadata.tsv, sprite.png and the projector config, in a folder")
        self.export_menu.addActions([self.csv_action, self.projector_action])
        self.export_menu.addSeparator()
        self.map_menu = self.export_menu.addMenu("Map as PNG")
        self.map_menu.aboutToShow.connect(self._fill_map_menu)
        self._fill_map_menu()
        self.panel_menu = self.export_menu.addMenu("Image panel as PNG")
        self.panel_menu.aboutToShow.connect(self._fill_panel_menu)
        self._fill_panel_menu()

    def _dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(name)
        left = name == "selectionDock"
        # Beside the forms, it scrolls rather than widen the window (its buttons grow with the
        # presentation's zoom).
        dock.setWidget(FormScroll(widget, GALLERY_WIDTH) if left else widget)
        area = (Qt.DockWidgetArea.LeftDockWidgetArea if left
                else Qt.DockWidgetArea.BottomDockWidgetArea)
        self.window.addDockWidget(area, dock)
        return dock


    # --------------------------------------------------------------- tools
    def _neighbours(self, space: str) -> None:
        if self.tools.nearest_neighbours(space) is not None:
            self.show_gallery()

    def show_gallery(self) -> None:
        self.gallery_dock.show()
        self.gallery_dock.raise_()

    def show_metrics(self) -> MetricsPanel:
        self.metrics_dock.show()
        self.metrics_dock.raise_()
        self.window.resizeDocks([self.metrics_dock], [190], Qt.Orientation.Vertical)
        return self.metrics_panel

    def _on_metrics_visible(self, visible: bool) -> None:
        self.tools.set_auto_metrics(visible)

    def show_interpolation(self) -> InterpolationDialog:
        if self.interpolation is None:
            self.interpolation = InterpolationDialog(self.lab, self.window)
        else:
            self.interpolation.take_selection()
        self.interpolation.show()
        self.interpolation.raise_()
        if self.tools.interpolation_problem() is None and self.tools.default_endpoints():
            self.interpolation.compute()
        return self.interpolation

    # -------------------------------------------------------------- exports
    def _save_name(self, title: str, name: str, pattern: str) -> Path | None:
        target, _ = QFileDialog.getSaveFileName(self.window, title,
                                                str(Path(self.last_folder) / name), pattern)
        if not target:
            return None
        path = Path(target)
        suffix = Path(name).suffix
        if path.suffix.lower() != suffix:
            path = path.with_name(path.name + suffix)
        self.last_folder = str(path.parent)
        return path

    def export_csv(self) -> None:
        stem = self.lab.data.dataset.name if self.lab.data.dataset is not None else "embeddings"
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)
        path = self._save_name("Export the embeddings as CSV", f"{safe}-embeddings.csv",
                               "CSV tables (*.csv)")
        if path is not None:
            self.tools.export_embeddings("csv", path)

    def export_projector(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.window, "Export for the Embedding Projector: choose a folder", self.last_folder)
        if folder:
            self.last_folder = folder
            self.tools.export_embeddings("projector", folder)

    def _fill_map_menu(self) -> None:
        self.map_menu.clear()
        for map_id, view in self.views.maps.items():
            title = getattr(getattr(view, "title", None), "text", lambda: "")() or map_id
            title = " ".join(title.replace("<b>", "").replace("</b>", "").split())
            action = self.map_menu.addAction(f"{title[:60]}…")
            action.triggered.connect(lambda _=False, m=map_id: self.save_map_png(m))

    def _panels(self) -> dict[str, tuple[str, QWidget]]:
        return {"probe": ("Probe images", self.views.probe_panel),
                "outputs": ("Reconstructions or samples", self.views.outputs)}

    def _fill_panel_menu(self) -> None:
        self.panel_menu.clear()
        for key, (text, _widget) in self._panels().items():
            action = self.panel_menu.addAction(f"{text}…")
            action.triggered.connect(lambda _=False, k=key: self.save_panel_png(k))

    def save_map_png(self, map_id: str) -> Path | None:
        return self._grab(self.views.maps[map_id], f"map-{map_id}.png")

    def save_panel_png(self, key: str) -> Path | None:
        return self._grab(self._panels()[key][1], f"{key}.png")

    def _grab(self, widget: QWidget, name: str) -> Path | None:
        path = self._save_name("Save as PNG", name, "PNG images (*.png)")
        if path is None:
            return None
        if not widget.grab().save(str(path), "PNG"):
            self.lab.notes.report_error("Could not save the picture",
                                  f"{path}: cannot be written (is the folder writable?).", "")
            return None
        self.lab.notes.say(f"Saved {path}.")
        return path


