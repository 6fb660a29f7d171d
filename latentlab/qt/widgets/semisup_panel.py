"""The few-labels panel: the label budgets, repeats, seed and methods; Run with progress and
Cancel (Escape too, while running); and labelling the selected map items by hand.

It observes the lab's ``semisup`` model and calls its methods; the results have their own view
(``semisup_results.py``).
"""

from __future__ import annotations

import contextlib

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from latentlab.config_train import MAX_SEED
from latentlab.core.data.source import LoadProgress
from latentlab.core.semisup import METHODS, SemisupError, SweepSettings
from latentlab.core.semisup.results import MAX_REPEATS
from latentlab.lab.latent_lab import LatentLab
from latentlab.lab.semisup_values import format_budgets, parse_budgets
from latentlab.qt.widgets.escape_cancels import EscapeCancels
from latentlab.qt.widgets.load_status import set_progress

INTRO = ("Pretrain without labels — the model trained on the left — then train classifiers on "
         "a few labelled train items: on the encoder's codes, and from scratch on the inputs. "
         "Each is scored on the test split.")
METHOD_TIPS = {
    "scratch": "No pretraining: the encoder's network, freshly initialised, with a classifier "
               "head, trained on the labelled items only",
    "linear": "Logistic regression on the pretrained encoder's codes (frozen)",
    "knn": "A vote of the nearest labelled items among the codes",
    "finetune": "The pretrained encoder with a classifier head, all trained on the labelled "
                "items: the lecture's recipe",
    "propagation": "Labels spread along a neighbour graph of every item's code, unlabelled "
                   "ones included",
}


class SemisupPanel(QWidget):
    def __init__(self, lab: LatentLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        semisup = lab.semisup
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        intro.setObjectName("caption")

        self.budgets = QLineEdit()
        self.budgets.setToolTip("Numbers of labelled train items to try, separated by commas; "
                                "“all” uses every label")
        self.per_class = QCheckBox("per class")
        self.per_class.setToolTip("Count the labels per class (10 → 10 of each class) instead "
                                  "of in all")
        self.repeats = QSpinBox()
        self.repeats.setRange(1, MAX_REPEATS)
        self.repeats.setToolTip("Runs per budget, each with other labelled items (mean ± std)")
        self.seed = QSpinBox()
        self.seed.setRange(0, min(MAX_SEED, 2**31 - 1))
        self.seed.setToolTip("Which items are labelled, and the classifiers' initialisation")
        budget_row = QHBoxLayout()
        budget_row.addWidget(self.budgets, 1)
        budget_row.addWidget(self.per_class)
        self.methods = {key: QCheckBox(title) for key, title in METHODS.items()}
        methods = QVBoxLayout()
        methods.setContentsMargins(0, 0, 0, 0)
        methods.setSpacing(2)
        for key, box in self.methods.items():
            box.setToolTip(METHOD_TIPS.get(key, ""))
            methods.addWidget(box)
        self.references = QCheckBox("Also on PCA of the inputs (reference)")
        self.references.setToolTip(
            "Also run logistic regression, k-NN and propagation on the PCA of the inputs (LSA "
            "for text) with up to 50 components: what the codes add over a linear map")
        methods.addWidget(self.references)
        form = QFormLayout()
        form.addRow("Labels", budget_row)
        form.addRow("Repeats", self.repeats)
        form.addRow("Seed", self.seed)
        form.addRow("Methods", methods)

        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("trainButton")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the run (Esc); the results shown stay")
        self.cancel_button.clicked.connect(semisup.cancel)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button, 1)
        buttons.addWidget(self.cancel_button)
        self.reason = QLabel()  # why Run is disabled
        self.reason.setWordWrap(True)
        self.reason.setObjectName("problems")
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setObjectName("caption")
        compare = QGroupBox("Many images, few labels")
        compare_layout = QVBoxLayout(compare)
        compare_layout.addWidget(intro)
        compare_layout.addLayout(form)
        compare_layout.addLayout(buttons)
        compare_layout.addWidget(self.reason)
        compare_layout.addWidget(self.bar)
        compare_layout.addWidget(self.status)

        self.label_class = QComboBox()
        self.label_class.setToolTip("The class the selected train items get")
        self.label_as = QPushButton("Label selection as")
        self.label_as.clicked.connect(
            lambda: semisup.label_selection(self.label_class.currentData()))
        self.label_own = QPushButton("… with the dataset's labels")
        self.label_own.setToolTip("Give the selected train items their own labels")
        self.label_own.clicked.connect(lambda: semisup.label_selection(None))
        self.unlabel = QPushButton("Unlabel selection")
        self.unlabel.clicked.connect(semisup.unlabel_selection)
        self.clear = QPushButton("Clear labels")
        self.clear.clicked.connect(semisup.clear_labels)
        self.labels_status = QLabel()
        self.labels_status.setWordWrap(True)
        self.run_mine = QPushButton("Run on my labels")
        self.run_mine.setToolTip("Train the checked methods on exactly the labelled items and "
                                 "score them on the test split")
        self.run_mine.clicked.connect(semisup.run_on_my_labels)
        hint = QLabel("Select train items on a map (box B, lasso L), then label them; they are "
                      "ringed on every map in their label's colour.")
        hint.setWordWrap(True)
        hint.setObjectName("caption")
        grid = QGridLayout()
        grid.addWidget(self.label_as, 0, 0)
        grid.addWidget(self.label_class, 0, 1)
        grid.addWidget(self.label_own, 1, 0, 1, 2)
        grid.addWidget(self.unlabel, 2, 0)
        grid.addWidget(self.clear, 2, 1)
        by_hand = QGroupBox("Label by hand")
        hand_layout = QVBoxLayout(by_hand)
        hand_layout.addWidget(hint)
        hand_layout.addLayout(grid)
        hand_layout.addWidget(self.labels_status)
        hand_layout.addWidget(self.run_mine)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(compare)
        layout.addWidget(by_hand)
        layout.addStretch(1)

        self.budgets.editingFinished.connect(self._store_settings)
        self.per_class.toggled.connect(self._store_settings)
        self.repeats.valueChanged.connect(self._store_settings)
        self.seed.valueChanged.connect(self._store_settings)
        for box in (*self.methods.values(), self.references):
            box.toggled.connect(self._store_settings)
        self._escape = EscapeCancels(self, lambda: self.lab.semisup.running is not None,
                                     self.lab.semisup.cancel)
        semisup.settings_changed.connect(self._show_settings)
        semisup.running_changed.connect(self._refresh)
        semisup.progress.connect(self._on_progress)
        semisup.labels_changed.connect(self._refresh_labels)
        lab.data.changed.connect(self._on_dataset_changed)
        lab.model.status_changed.connect(self._refresh)
        lab.model.run_ended.connect(self._refresh)
        lab.selection.changed.connect(self._refresh_labels)
        self._show_settings()
        self._on_dataset_changed()

    # --------------------------------------------------------------- settings
    def form_settings(self) -> SweepSettings:
        """The settings the form shows; SemisupError naming the setting that cannot be read."""
        methods = tuple(key for key, box in self.methods.items() if box.isChecked())
        if not methods:
            raise SemisupError("Methods: check at least one.")
        per_class = self.per_class.isChecked()
        return SweepSettings(budgets=parse_budgets(self.budgets.text(), per_class),
                             methods=methods, repeats=self.repeats.value(), per_class=per_class,
                             seed=self.seed.value(), references=self.references.isChecked())

    def _store_settings(self) -> None:
        # What cannot be read is said when Run is pressed; the lab keeps the last good settings.
        with contextlib.suppress(SemisupError):
            self.lab.semisup.set_settings(self.form_settings())

    def _show_settings(self) -> None:
        settings = self.lab.semisup.settings
        widgets = (self.budgets, self.per_class, self.repeats, self.seed, self.references,
                   *self.methods.values())
        for widget in widgets:
            widget.blockSignals(True)
        self.budgets.setText(format_budgets(settings.budgets))
        self.per_class.setChecked(settings.per_class)
        self.repeats.setValue(settings.repeats)
        self.seed.setValue(settings.seed)
        for key, box in self.methods.items():
            box.setChecked(key in settings.methods)
        self.references.setChecked(settings.references)
        for widget in widgets:
            widget.blockSignals(False)

    def run(self) -> bool:
        """Run the sweep with the form's settings; a setting that cannot work is said, and
        nothing starts."""
        try:
            settings = self.form_settings()
        except SemisupError as exc:
            self.status.setText(str(exc))
            self.lab.notes.say(str(exc))
            return False
        return self.lab.semisup.run(settings)

    # -------------------------------------------------------------- observers
    def _on_dataset_changed(self) -> None:
        dataset = self.lab.data.dataset
        self.label_class.clear()
        for i, name in enumerate(dataset.class_names if dataset is not None else ()):
            self.label_class.addItem(name, i)
        self._refresh()

    def _refresh(self) -> None:
        semisup = self.lab.semisup
        running = semisup.running is not None
        problem = semisup.problem()
        self.run_button.setEnabled(problem is None and not running)
        self.run_button.setToolTip(problem or "Train the checked methods on each number of "
                                              "labels and score them on the test split")
        self.reason.setText(problem or "")
        self.reason.setVisible(problem is not None and not running)
        self.cancel_button.setEnabled(running)
        self.bar.setVisible(running)
        if running:
            self.bar.setRange(0, 0)  # busy until the first report
        self.status.setText(semisup.status)
        self._escape.watch(running)
        self._refresh_labels()

    def _on_progress(self, progress: LoadProgress) -> None:
        set_progress(self.bar, progress)
        self.status.setText(progress.text)

    def _refresh_labels(self) -> None:
        semisup, dataset = self.lab.semisup, self.lab.data.dataset
        n = len(semisup.hand_items)
        selected = len(self.lab.selection.items) > 0
        has_classes = dataset is not None and bool(dataset.class_names)
        self.label_as.setEnabled(selected and has_classes)
        self.label_own.setEnabled(selected and dataset is not None and dataset.labels is not None)
        self.unlabel.setEnabled(selected and n > 0)
        self.clear.setEnabled(n > 0)
        running = semisup.running is not None
        self.run_mine.setEnabled(n > 0 and semisup.problem() is None and not running)
        if n == 0:
            self.labels_status.setText("No items labelled by hand.")
            return
        classes = len(set(semisup.hand_labels.tolist()))
        self.labels_status.setText(f"<b>{n:,} item{'s' if n != 1 else ''} labelled</b> · "
                                   f"{classes} class{'es' if classes != 1 else ''}")
