"""The few-labels results: accuracy against the number of labels per method (log scale, mean ±
std over the repeats, the hand-picked labels as stars), the confusion matrix and the test items
got wrong, for the method and number of labels chosen above them."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from latentlab.core.data.text import document_snippet
from latentlab.core.semisup import METHODS
from latentlab.lab.latent_lab import LatentLab
from latentlab.lab.semisup_values import MINE, SWEEP, Choice
from latentlab.qt.widgets.image_tile import to_qimage
from latentlab.qt.widgets.palette import CLASS_COLOURS

#: Pretraining's methods in colour; from scratch, the comparison, in light grey and dashed.
METHOD_COLOURS = {"scratch": "#c8c8c8", "linear": "#1f77b4", "knn": "#2ca02c",
                  "finetune": "#d62728", "propagation": "#9467bd"}
MISTAKES_MAX = 200
THUMB_PX = 48
SNIPPET_CHARS = 120


def method_colour(method: str) -> QColor:
    fallback = CLASS_COLOURS[list(METHODS).index(method) % len(CLASS_COLOURS)] \
        if method in METHODS else "#888888"
    return QColor(METHOD_COLOURS.get(method, fallback))


def _mix(colour: QColor, amount: float) -> QColor:
    """``colour`` faded towards white: 0 is white, 1 the colour."""
    a = float(np.clip(amount, 0.0, 1.0))
    return QColor(round(255 + (colour.red() - 255) * a), round(255 + (colour.green() - 255) * a),
                  round(255 + (colour.blue() - 255) * a))


def _on_light(colour: QColor) -> str:
    """The colour for the key, which sits on the window's light background (the plot's is
    dark): a light grey is darkened."""
    return colour.darker(180).name() if colour.lightness() > 170 else colour.name()


def _unbroken(entry: str) -> str:
    """Text of the key that never breaks across lines (no-break spaces and hyphens): the key
    wraps between its entries."""
    return entry.replace(" ", "&nbsp;").replace("-", "\u2011")



def _caption() -> QLabel:
    label = QLabel()
    label.setObjectName("caption")
    label.setWordWrap(True)
    return label


def _column(*widgets: tuple[QWidget, int]) -> QWidget:
    """Widgets stacked without margins, each with its stretch."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget, stretch in widgets:
        layout.addWidget(widget, stretch)
    return box

class SemisupResults(QWidget):
    """Observes ``lab.semisup``'s results; the choosers call ``choose``, a double-clicked
    mistake is selected on the maps."""

    def __init__(self, lab: LatentLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.method = QComboBox()
        self.method.setToolTip("The method whose confusion matrix, mistakes and map colours "
                               "are shown")
        self.n_labels = QComboBox()
        for combo in (self.method, self.n_labels):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.n_labels.setToolTip("How many labels it was trained with (“yours”: the items "
                                 "labelled by hand)")
        self.caption = QLabel()
        self.caption.setObjectName("caption")
        self.caption.setWordWrap(True)
        chooser = QHBoxLayout()
        chooser.addWidget(QLabel("Show"))
        chooser.addWidget(self.method)
        chooser.addWidget(QLabel("with"))
        chooser.addWidget(self.n_labels)
        chooser.addWidget(self.caption, 1)

        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setLogMode(x=True, y=False)
        self.plot.setLabel("bottom", "labelled train items")
        self.plot.setLabel("left", "test accuracy")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setYRange(0, 1, padding=0.02)
        self.plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.plot.setMinimumWidth(260)
        # The key sits under the plot: a legend inside would cover the curves.
        self.key = QLabel()
        self.key.setWordWrap(True)
        self.key.setTextFormat(Qt.TextFormat.RichText)
        curves_box = _column((self.plot, 1), (self.key, 0))
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.error_bars: dict[str, pg.ErrorBarItem] = {}
        self.stars: dict[str, pg.PlotDataItem] = {}
        self.references: dict[str, pg.PlotDataItem] = {}
        self.marker = pg.ScatterPlotItem(size=16, brush=None, pen=pg.mkPen("#000", width=2))
        self.marker.setZValue(20)

        self.confusion = QTableWidget(0, 0)
        self.confusion.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.confusion.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        for header in (self.confusion.horizontalHeader(), self.confusion.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            header.setMinimumSectionSize(18)
        self.confusion_title = _caption()
        confusion_box = _column((self.confusion_title, 0), (self.confusion, 1))

        self.mistakes = QListWidget()
        self.mistakes.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.mistakes.setUniformItemSizes(True)
        self.mistakes.itemDoubleClicked.connect(self._select_on_maps)
        self.mistakes_title = _caption()
        mistakes_box = _column((self.mistakes_title, 0), (self.mistakes, 1))

        row = QSplitter(Qt.Orientation.Horizontal)
        row.addWidget(curves_box)
        row.addWidget(confusion_box)
        row.addWidget(mistakes_box)
        row.setSizes([420, 300, 360])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(chooser)
        layout.addWidget(row, 1)
        self.method.activated.connect(self._on_method_chosen)
        self.n_labels.activated.connect(self._on_labels_chosen)
        lab.semisup.results_changed.connect(self.refresh)
        lab.semisup.running_changed.connect(self._show_caption)
        self.refresh()

    # ---------------------------------------------------------------- choosing
    def _on_method_chosen(self, _index: int) -> None:
        method, chosen = self.method.currentData(), self.lab.semisup.chosen
        choices = [c for c in self.lab.semisup.choices() if c.method == method]
        if not choices or chosen is None:
            return
        same = [c for c in choices if (c.run, c.n_labels) == (chosen.run, chosen.n_labels)]
        self.lab.semisup.choose((same or choices)[0])

    def _on_labels_chosen(self, _index: int) -> None:
        run, n = self.n_labels.currentData()
        chosen = self.lab.semisup.chosen
        choices = [c for c in self.lab.semisup.choices() if (c.run, c.n_labels) == (run, n)]
        if not choices or chosen is None:
            return
        same = [c for c in choices if c.method == chosen.method]
        self.lab.semisup.choose((same or choices)[0])

    # ---------------------------------------------------------------- drawing
    def refresh(self) -> None:
        semisup = self.lab.semisup
        chosen = semisup.chosen
        self._fill_choosers(chosen)
        self._draw_curves(chosen)
        self._draw_confusion(chosen)
        self._fill_mistakes(chosen)
        self._show_caption()

    def _show_caption(self) -> None:
        semisup = self.lab.semisup
        if not semisup.results:
            self.caption.setText(semisup.status)
            return
        self.caption.setText(f"Pretrained: {semisup.results_model or 'a model'}. Curves: mean "
                             "± std of the test accuracy over the repeats.")

    def _fill_choosers(self, chosen: Choice | None) -> None:
        choices = self.lab.semisup.choices()
        methods = list(dict.fromkeys(c.method for c in choices))
        labels = list(dict.fromkeys((c.run, c.n_labels) for c in choices))
        for combo in (self.method, self.n_labels):
            combo.blockSignals(True)
            combo.clear()
        for method in methods:
            self.method.addItem(METHODS.get(method, method), method)
        for run, n in labels:
            self.n_labels.addItem(f"{n:,} labels" + (" (yours)" if run == MINE else ""), (run, n))
        if chosen is not None:
            self.method.setCurrentIndex(methods.index(chosen.method))
            self.n_labels.setCurrentIndex(labels.index((chosen.run, chosen.n_labels)))
        for combo in (self.method, self.n_labels):
            combo.setEnabled(bool(choices))
            combo.blockSignals(False)

    def _draw_curves(self, chosen: Choice | None) -> None:
        semisup = self.lab.semisup
        self.plot.clear()
        key: list[str] = []
        self.curves.clear()
        self.error_bars.clear()
        self.stars.clear()
        self.references.clear()
        dataset = self.lab.data.dataset
        if dataset is not None and dataset.class_names:
            chance = pg.InfiniteLine(1 / len(dataset.class_names), angle=0,
                                     pen=pg.mkPen("#999", width=1, style=Qt.PenStyle.DotLine),
                                     label="chance", labelOpts={"position": 0.05,
                                                                "color": "#777"})
            self.plot.addItem(chance)
        sweep, mine = semisup.results.get(SWEEP), semisup.results.get(MINE)
        for method in (sweep.settings.methods if sweep is not None else ()):
            points = sweep.curve(method)
            if not points:
                continue
            x, mean, std = (np.array(v, np.float64) for v in zip(*points, strict=True))
            colour = method_colour(method)
            style = Qt.PenStyle.DashLine if method == "scratch" else Qt.PenStyle.SolidLine
            self.curves[method] = self.plot.plot(
                x, mean, pen=pg.mkPen(colour, width=2, style=style), symbol="o", symbolSize=6,
                symbolBrush=colour, symbolPen=None)
            line = "╍╍" if method == "scratch" else "━━"
            key.append(f'<span style="color:{_on_light(colour)}"><b>{line}</b></span>&nbsp;'
                       f'{_unbroken(METHODS.get(method, method))}')
            # Error bars are drawn in the view's coordinates: log10 of the labels.
            bars = pg.ErrorBarItem(x=np.log10(x), y=mean, height=2 * std, beam=0.04,
                                   pen=pg.mkPen(colour, width=1.2))
            self.plot.addItem(bars)
            self.error_bars[method] = bars
        key += self._draw_references(sweep)
        for method in (mine.settings.methods if mine is not None else ()):
            points = mine.curve(method)
            if not points:
                continue
            x, mean, _std = (np.array(v, np.float64) for v in zip(*points, strict=True))
            colour = method_colour(method)
            self.stars[method] = self.plot.plot(
                x, mean, pen=None, symbol="star", symbolSize=14, symbolBrush=colour,
                symbolPen=pg.mkPen("#222", width=0.8))
            if sweep is None:
                key.append(f'<span style="color:{_on_light(colour)}">★</span>&nbsp;'
                           f'{_unbroken(METHODS.get(method, method))}')
        if self.stars:
            key.append(_unbroken(f"★ your {mine.runs[0].n_labels:,} labels" if mine.runs
                                 else "★ your labels"))
        # Each entry on one line; the key wraps between entries.
        self.key.setText(" &nbsp; ".join(key))
        # Ticks at the numbers of labels tried: a log axis's own minor ticks crowd each other.
        # Only the sweep's: a hand-picked count near one of them would print over it.
        ticked = list(self.curves.values()) or list(self.stars.values())
        shown = sorted({int(x) for item in ticked for x in item.xData})
        self.plot.getAxis("bottom").setTicks([[(float(np.log10(n)), f"{n:,}") for n in shown]]
                                             if shown else None)
        if chosen is not None:
            runs = semisup.chosen_runs()
            mean = float(np.mean([r.accuracy for r in runs])) if runs else 0.0
            self.marker.setData([np.log10(max(chosen.n_labels, 1))], [mean])
            self.plot.addItem(self.marker)
        self.plot.setYRange(0, 1, padding=0.02)
        self.plot.enableAutoRange(x=True)

    def _draw_references(self, sweep) -> list[str]:
        """The feature methods on the linear baseline's features: thin dotted lines, one key
        entry for all."""
        if sweep is None or not sweep.reference_runs:
            return []
        for method in dict.fromkeys(r.method for r in sweep.reference_runs):
            points = sweep.reference_curve(method)
            if points:
                x, mean, _std = (np.array(v, np.float64) for v in zip(*points, strict=True))
                self.references[method] = self.plot.plot(
                    x, mean, pen=pg.mkPen(method_colour(method), width=1.2,
                                          style=Qt.PenStyle.DotLine))
        if not self.references:
            return []
        return [_unbroken(f"┈┈ the same on {sweep.reference_features or 'the baseline'}")]

    def _draw_confusion(self, chosen: Choice | None) -> None:
        dataset, matrix = self.lab.data.dataset, self.lab.semisup.confusion()
        table = self.confusion
        if dataset is None or matrix is None or chosen is None:
            table.setRowCount(0)
            table.setColumnCount(0)
            self.confusion_title.setText("Confusion matrix: run first.")
            return
        k = len(matrix)
        names = list(dataset.class_names)
        table.setRowCount(k)
        table.setColumnCount(k)
        table.setHorizontalHeaderLabels(names)
        table.setVerticalHeaderLabels(names)
        rows = np.maximum(matrix.sum(1, keepdims=True), 1)
        right, wrong = QColor("#2ca02c"), QColor("#d62728")
        for i in range(k):
            for j in range(k):
                count = int(matrix[i, j])
                cell = QTableWidgetItem(f"{count:,}" if count else "")
                cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                share = matrix[i, j] / rows[i, 0]
                cell.setBackground(QBrush(_mix(right if i == j else wrong,
                                               share if i == j else min(1.0, 2 * share))))
                cell.setToolTip(f"true {names[i]}, predicted {names[j]}: {count:,} "
                                f"({share:.0%} of the row)")
                table.setItem(i, j, cell)
        repeats = len(self.lab.semisup.chosen_runs())
        accuracy = np.trace(matrix) / max(matrix.sum(), 1)  # the first repeat's
        self.confusion_title.setText(
            f"<b>{METHODS.get(chosen.method, chosen.method)}, {chosen.n_labels:,} labels</b>: "
            f"{accuracy:.1%}. Rows: true class; columns: predicted"
            + (f"; the first of {repeats} repeats." if repeats > 1 else "."))

    def _fill_mistakes(self, chosen: Choice | None) -> None:
        dataset = self.lab.data.dataset
        items, truth, predicted = self.lab.semisup.mistakes()
        self.mistakes.clear()
        if dataset is None or chosen is None:
            self.mistakes_title.setText("Test items got wrong: run first.")
            return
        n_test = len(dataset.test_indices)
        self.mistakes_title.setText(
            f"<b>{len(items):,} of {n_test:,} test items wrong</b> (true → predicted"
            + (", the first repeat" if len(self.lab.semisup.chosen_runs()) > 1 else "")
            + "); double-click one to select it on the maps")
        text_mode = dataset.kind == "text"
        if text_mode:
            self.mistakes.setViewMode(QListView.ViewMode.ListMode)
            self.mistakes.setWordWrap(True)
            self.mistakes.setIconSize(QSize())
            self.mistakes.setGridSize(QSize())
        else:
            self.mistakes.setViewMode(QListView.ViewMode.IconMode)
            self.mistakes.setIconSize(QSize(THUMB_PX, THUMB_PX))
            self.mistakes.setGridSize(QSize(THUMB_PX + 14, THUMB_PX + 22))
            self.mistakes.setResizeMode(QListView.ResizeMode.Adjust)
            self.mistakes.setMovement(QListView.Movement.Static)
        names = dataset.class_names
        for item, t, p in zip(items[:MISTAKES_MAX], truth, predicted, strict=False):
            arrow = f"{names[int(t)]} → {names[int(p)]}"
            if text_mode:
                snippet = " ".join(document_snippet(dataset, int(item)).split())[:SNIPPET_CHARS]
                entry = QListWidgetItem(f"#{int(item)} {arrow}: {snippet}")
            else:
                pixmap = QPixmap.fromImage(to_qimage(dataset.images(int(item)))).scaled(
                    THUMB_PX, THUMB_PX, Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.FastTransformation)
                entry = QListWidgetItem(QIcon(pixmap), arrow)
            entry.setToolTip(f"#{int(item)} · test · true {names[int(t)]}, predicted "
                             f"{names[int(p)]}")
            entry.setData(Qt.ItemDataRole.UserRole, int(item))
            self.mistakes.addItem(entry)

    def _select_on_maps(self, entry: QListWidgetItem) -> None:
        item = entry.data(Qt.ItemDataRole.UserRole)
        map_indices = self.lab.data.map_indices
        position = int(np.searchsorted(map_indices, item))
        if position < len(map_indices) and map_indices[position] == item:
            self.lab.selection.select(np.array([position]))
        else:
            self.lab.notes.say(f"Item #{item} is not among the items the maps show.")
