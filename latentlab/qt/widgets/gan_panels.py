"""Panels for GANs: InfoGAN's code controls, the live sample grid, and the traversal grid."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from latentlab.core.files.images import save_png
from latentlab.core.models.form_values import CODE_RANGE
from latentlab.lab.latent_lab import LatentLab
from latentlab.lab.model_kinds import is_conditional_vae, is_infogan
from latentlab.qt.throttle import Throttle
from latentlab.qt.widgets.image_tile import ImageTile

SLIDER_STEPS_PER_UNIT = 100
TRAVERSAL_COLUMNS = 9
TRAVERSAL_REDRAW_MS = 500


def _subscript(i: int) -> str:
    return str(i).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


class CodePanel(QWidget):
    """Steer the generator: InfoGAN's category and continuous codes, a conditional GAN's class,
    and the noise."""

    def __init__(self, lab: LatentLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self._syncing = False
        self.title = QLabel("Generator codes")
        self.title.setObjectName("panelTitle")
        self.category = QComboBox()
        self.category.setToolTip("InfoGAN's categorical code")
        self.category.currentIndexChanged.connect(self._on_category)
        self.sliders: list[QSlider] = []
        self.values: list[QLabel] = []
        self.form = QFormLayout()
        self.form.addRow("Category", self.category)
        self.new_noise = QPushButton("New noise")
        self.new_noise.setShortcut("N")
        self.new_noise.setToolTip("Draw a new noise vector z, keeping the codes (N)")
        self.new_noise.clicked.connect(lab.generator.new_noise)
        self.lock_noise = QCheckBox("Lock noise")
        self.lock_noise.setChecked(lab.generator.lock_noise)
        self.lock_noise.setToolTip(
            "Locked: only the codes change while you move them. Unlocked: every change of a "
            "code also draws new noise, to show the code's effect across styles."
        )
        self.lock_noise.toggled.connect(lab.generator.set_lock_noise)
        self.traversal_button = QPushButton("Traversal grid…")
        self.traversal_button.setToolTip("Categories × one continuous code swept across its range")
        self.traversal_button.clicked.connect(self._open_traversal)
        self.hint = QLabel()
        self.hint.setObjectName("caption")
        self.hint.setWordWrap(True)
        noise_row = QHBoxLayout()
        noise_row.addWidget(self.new_noise)
        noise_row.addWidget(self.lock_noise)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addLayout(self.form)
        layout.addLayout(noise_row)
        layout.addWidget(self.traversal_button)
        layout.addWidget(self.hint)
        layout.addStretch(1)
        self.traversal: TraversalDialog | None = None
        lab.model.changed.connect(self._rebuild)
        lab.generator.changed.connect(self._on_code_changed)
        self._rebuild()

    def _rebuild(self) -> None:
        """Match the controls to the model: K categories and one slider per continuous code;
        a conditional VAE's class."""
        gan = self.lab.model.gan
        live = self.lab.model.live_model
        cvae = live if is_conditional_vae(live) else None
        self.setVisible(gan is not None or cvae is not None)
        self.title.setText("Decoder's class" if cvae is not None else "Generator codes")
        self.new_noise.setVisible(cvae is None)
        self.lock_noise.setVisible(cvae is None)
        self.traversal_button.setVisible(cvae is None)
        while self.form.rowCount() > 1:
            self.form.removeRow(1)
        self.sliders, self.values = [], []
        info = is_infogan(gan)
        categorical = cvae is not None or (gan is not None and gan.has_category_input)
        self.category.setEnabled(categorical)
        self.traversal_button.setEnabled(info)
        self._syncing = True
        self.category.clear()
        self.form.labelForField(self.category).setText("Category" if info else "Class")
        self.category.setToolTip("InfoGAN's categorical code" if info else
                                 "The class the conditional VAE's decoder draws every probe's "
                                 "code as" if cvae is not None
                                 else "The class the conditional GAN draws")
        if cvae is not None:
            self.category.addItems(self._class_names(cvae.cfg.n_categories))
            self.hint.setText("Every probe decodes its code as this class. The codes hold the "
                              "style, not the class: pick another class and the same style "
                              "shows another digit.")
        elif categorical and not info:
            assert gan is not None
            self.category.addItems(self._class_names(gan.cfg.n_categories))
            self.hint.setText("Pick the class, then drag the probe through the noise space: "
                              "the same noise, another class, the same style.")
        if info:
            self.category.addItems([f"category {k}" for k in range(gan.cfg.n_categories)])
            lo, hi = (int(v * SLIDER_STEPS_PER_UNIT) for v in CODE_RANGE)
            for i in range(gan.cfg.n_continuous):
                slider = QSlider(Qt.Orientation.Horizontal)
                slider.setRange(lo, hi)
                slider.setToolTip(f"Continuous code c{_subscript(i + 1)}: trained on [−1, 1], "
                                  f"shown on [{CODE_RANGE[0]:g}, {CODE_RANGE[1]:g}]")
                slider.valueChanged.connect(lambda v, i=i: self._on_slider(i, v))
                value = QLabel("+0.00")
                # A fixed width: a label that resizes as it counts would re-lay out the window.
                value.setFixedWidth(value.fontMetrics().horizontalAdvance("+0.00") + 6)
                row = QHBoxLayout()
                row.addWidget(slider, 1)
                row.addWidget(value)
                self.form.addRow(f"c{_subscript(i + 1)}", row)
                self.sliders.append(slider)
                self.values.append(value)
            self.hint.setText("The probe on the InfoGAN map moves the first two codes too.")
        elif gan is not None and not categorical:
            self.hint.setText("A plain GAN has no codes to steer: drag the probe through the "
                              "noise space, or draw new noise.")
        self._syncing = False
        self._on_code_changed()

    def _class_names(self, n: int) -> list[str]:
        """The dataset's class names when they are the model's classes, else numbers."""
        dataset = self.lab.data.dataset
        if dataset is not None and len(dataset.class_names) == n:
            return [str(name) for name in dataset.class_names]
        return [f"class {k}" for k in range(n)]

    def _on_code_changed(self) -> None:
        generator = self.lab.generator
        if is_conditional_vae(self.lab.model.live_model) and self.category.count():
            self._syncing = True
            self.category.setCurrentIndex(generator.decode_class)
            self._syncing = False
            return
        code = generator.code
        if code is None:
            return
        self._syncing = True
        try:
            if self.category.count():
                self.category.setCurrentIndex(code.category)
            for slider, label, value in zip(self.sliders, self.values, code.continuous,
                                            strict=False):
                slider.setValue(round(float(value) * SLIDER_STEPS_PER_UNIT))
                label.setText(f"{value:+.2f}")
        finally:
            self._syncing = False

    def _on_category(self, index: int) -> None:
        if not self._syncing and index >= 0:
            self.lab.generator.set_category(index)

    def _on_slider(self, index: int, position: int) -> None:
        if not self._syncing:
            self.lab.generator.set_continuous_code(index, position / SLIDER_STEPS_PER_UNIT)

    def _open_traversal(self) -> None:
        if self.traversal is None:
            self.traversal = TraversalDialog(self.lab, self.window())
        self.traversal.show()
        self.traversal.raise_()


class SampleGrid(QWidget):
    """Images the generator makes from one fixed batch of inputs, refreshed while it trains."""

    def __init__(self, lab: LatentLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.title = QLabel("Samples from a fixed noise batch")
        self.title.setObjectName("panelTitle")
        self.title.setWordWrap(True)  # a progressive GAN's stage must not widen the panel
        self.title.setMinimumWidth(1)  # wrapped, it may be as narrow as the panel gets
        self.tile = ImageTile("Samples appear once training starts", min_side=80)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.tile, 1)
        lab.model.samples_changed.connect(self._on_samples)
        lab.model.changed.connect(self._on_samples)
        lab.model.growth_changed.connect(self._retitle)

    def _retitle(self) -> None:
        if is_infogan(self.lab.model.gan):
            title = "Fixed noise per column, one category per row"
        elif is_conditional_vae(self.lab.model.live_model):
            title = "Fixed prior code per column, one class per row"
        elif self.lab.model.gan is not None and self.lab.model.gan.has_category_input:
            title = "Fixed noise per column, one class per row"
        else:
            title = "Samples from a fixed noise batch"
        growth = self.lab.model.growth  # a progressive GAN's stage: the side it draws at now
        self.title.setText(title if growth is None else f"{title} · {growth.describe()}")

    def _on_samples(self) -> None:
        samples = self.lab.model.samples
        self._retitle()
        self.tile.set_image(None if samples is None else
                            self.lab.model.sample_grid_image())


class TraversalDialog(QDialog):
    """Rows = categories, columns = one continuous code swept across the slider range."""

    def __init__(self, lab: LatentLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        self.setWindowTitle("InfoGAN traversal")
        self.resize(560, 640)
        self.code = QComboBox()
        self.code.currentIndexChanged.connect(lambda _i: self._redraw())
        self.tile = ImageTile("Train an InfoGAN first", min_side=200)
        self.caption = QLabel()
        self.caption.setObjectName("caption")
        self.caption.setWordWrap(True)
        self.save_button = QPushButton("Save PNG…")
        self.save_button.clicked.connect(self._save)
        top = QHBoxLayout()
        top.addWidget(QLabel("Sweep"))
        top.addWidget(self.code, 1)
        top.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tile, 1)
        layout.addWidget(self.caption)
        self._redraw = Throttle(self._draw, TRAVERSAL_REDRAW_MS, self)
        self.image: np.ndarray | None = None
        lab.model.changed.connect(self._on_model_changed)
        lab.generator.changed.connect(self._redraw)
        lab.model.samples_changed.connect(self._redraw)  # new weights
        self._on_model_changed()

    def _on_model_changed(self) -> None:
        gan = self.lab.model.gan
        self.code.blockSignals(True)
        self.code.clear()
        if is_infogan(gan):
            self.code.addItems([f"c{_subscript(i + 1)}" for i in range(gan.cfg.n_continuous)])
        self.code.blockSignals(False)
        self._draw()

    def _draw(self) -> None:
        index = self.code.currentIndex()
        self.image = (self.lab.generator.traversal_grid(index, TRAVERSAL_COLUMNS)
                      if index >= 0 else None)
        self.tile.set_image(self.image)
        self.save_button.setEnabled(self.image is not None)
        lo, hi = CODE_RANGE
        last_category = self.lab.model.model_cfg.n_categories - 1
        self.caption.setText(
            f"Rows: categories 0…{self.code.count() and last_category}. "
            f"Columns: {self.code.currentText()} from {lo:g} to {hi:g}; noise and the other "
            "codes as in the code panel." if self.image is not None else "")

    def _save(self) -> None:
        if self.image is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save traversal grid", "traversal.png",
                                              "PNG images (*.png)")
        if not path:
            return
        try:
            save_png(self.image, path, scale=4)
        except OSError as exc:
            self.lab.notes.report_error("Cannot save the image", str(exc), "")
        else:
            self.lab.notes.say(f"Saved {path}.")
