"""The lecture's comparisons as numbers: one table, the linear baseline beside the models."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from latentlab.lab.metrics_table import MetricsRow
from latentlab.lab.tools import Tools

COLUMNS = (
    ("Map or model", "The linear baseline (PCA of pixels; LSA for text), each model trained "
                     "or opened in this session, and each UMAP or t-SNE map on show (fitted on "
                     "train and test items together: they cannot place new items)"),
    ("1-NN", "Accuracy of 1-nearest-neighbour classification in the 2-D map: fit on the train "
             "split's coordinates, scored on the test split"),
    ("5-NN", "The same with 5 neighbours"),
    ("Trust.", "Trustworthiness (scikit-learn): are the map's 5 nearest neighbours near in the "
               "input too? 1 = every one is"),
    ("SSE / image", "Reconstruction error: the sum of squared errors over the pixels, mean per "
                    "test image. PCA keeps as many components as the model's code has dimensions"),
    ("× baseline", "The row's 1-NN accuracy divided by the linear baseline's (PCA of pixels; "
                   "LSA for text): how many times better its map keeps the classes apart"),
    ("Sample FD", "Sample quality: the Fréchet distance between generated images and the test "
                  "images, in the features of a small classifier of the labels (an FID with a "
                  "LeNet). Lower is better; the row's tooltip gives the floor, the distance of "
                  "as many real train images. Autoencoders sample a Gaussian fitted to their "
                  "train codes, the others their prior. Needs labelled images"),
)


def _ratio(value: float | None, baseline: float | None) -> str:
    if value is None or not baseline:
        return "—"
    return f"{value / baseline:.2f}×"


def _cell(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}" if value < 100 else f"{value:,.1f}"


class MetricsPanel(QWidget):
    """Observes the tool state's metrics; "Compute" evaluates the current model."""

    def __init__(self, tools: Tools, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tools = tools
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().hide()
        for col, (name, tip) in enumerate(COLUMNS):
            header = QTableWidgetItem(name)
            header.setToolTip(tip)
            self.table.setHorizontalHeaderItem(col, header)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(COLUMNS)):
            self.table.horizontalHeader().setSectionResizeMode(
                col, QHeaderView.ResizeMode.ResizeToContents)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setObjectName("caption")
        self.compute_button = QPushButton("Compute")
        self.compute_button.setToolTip("Score the current model and the linear baseline on the "
                                       "held-out split (also done after each training run while "
                                       "this panel is open)")
        self.compute_button.clicked.connect(tools.compute_metrics)
        self.status.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.status.setMinimumWidth(260)
        side = QVBoxLayout()
        side.addWidget(self.status, 1)
        side.addWidget(self.compute_button, 0, Qt.AlignmentFlag.AlignRight)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table, 3)
        layout.addLayout(side, 1)
        tools.metrics_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        rows: list[MetricsRow] = self.tools.metrics_rows
        self.table.setRowCount(len(rows))
        baseline_brush = QBrush(QColor(235, 240, 250))
        baseline_knn1 = next((row.knn1 for row in rows if row.kind == "baseline"), None)
        for r, row in enumerate(rows):
            values = (row.name, _cell(row.knn1), _cell(row.knn5), _cell(row.trust),
                      _cell(row.sse), _ratio(row.knn1, baseline_knn1), _cell(row.sample_fd))
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                tip = f"map: {row.map_method}" + (f"\n{row.note}" if row.note else "")
                item.setToolTip(tip)
                if row.kind == "baseline":
                    item.setBackground(baseline_brush)
                else:
                    font = QFont(item.font())
                    font.setBold(c == 0)
                    item.setFont(font)
                self.table.setItem(r, c, item)
        self.status.setText(self.tools.metrics_status)
        self.compute_button.setEnabled(not self.tools.metrics_busy)

    def value(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return "" if item is None else item.text()
