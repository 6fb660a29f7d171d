"""The model form and the training controls: settings in, Train/Pause/Stop, progress with ETA.

The form starts from ``recommended_settings`` for the model type and the kind of data; choosing
a model type or loading another kind of data fills them in again, and the Recommended button
puts them back. Settings the form does not show follow the recipe of the chosen type.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDoubleSpinBox,
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

from latentlab.config import (
    ARCHITECTURES,
    CONDITIONAL_FAMILIES,
    GAN_FAMILIES,
    GAN_LOSSES,
    LIKELIHOODS,
    PRECISIONS,
    WINDOW_FAMILIES,
    ConfigError,
    ModelConfig,
    TrainConfig,
    parse_int_list,
)
from latentlab.core.models.form_values import labels_problem
from latentlab.core.training.events import (
    StepProgress,
    TrainingFailed,
    TrainingFinished,
    TrainingStarted,
)
from latentlab.core.training.recipes import recommended_settings
from latentlab.lab.engine import LOADING_TEXT
from latentlab.lab.latent_lab import LatentLab
from latentlab.qt.widgets.device_combo import device_combo, list_devices
from latentlab.qt.widgets.form_parts import combo, group
from latentlab.qt.widgets.gan_fields import (
    GAN_LOSS_TIP,
    GanRemedyFields,
    InfoCodeFields,
    ProganFields,
)
from latentlab.qt.widgets.run_text import (
    failed_text,
    finished_text,
    opened_text,
    progress_text,
)


class TrainingPanel(QWidget):
    def __init__(self, lab: LatentLab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lab = lab
        m, t = recommended_settings("ae", self._data_kind())
        self._recipe_data = self._data_key()

        self.family = combo(WINDOW_FAMILIES, m.family)
        self.architecture = combo(ARCHITECTURES, m.architecture)
        self.hidden = QLineEdit(", ".join(str(h) for h in m.hidden))
        self.hidden.setToolTip("Widths of the encoder's hidden layers; the decoder mirrors them.")
        self.latent = QSpinBox(minimum=0, maximum=4096, value=m.latent_dim)
        self.latent.setToolTip("Size of the code. 2 is shown directly; larger codes through PCA.")
        self.epochs = QSpinBox(minimum=0, maximum=100_000, value=t.epochs)
        self.batch = QSpinBox(minimum=0, maximum=65_536, value=t.batch_size)
        self.learning_rate = QLineEdit(f"{t.learning_rate:g}")
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=t.seed)
        self.likelihood = combo(LIKELIHOODS, m.likelihood)
        self.beta = QDoubleSpinBox(minimum=-1000.0, maximum=1000.0, value=m.beta, decimals=3,
                                   singleStep=0.1)
        self.gan_loss = combo(GAN_LOSSES, m.gan_loss)
        self.gan_loss.setToolTip(GAN_LOSS_TIP)
        self.remedies = GanRemedyFields(m)
        self.noise = QSpinBox(minimum=0, maximum=4096, value=m.noise_dim)
        self.noise.setToolTip("Size of the noise vector z fed to the generator.")
        self.d_steps = QSpinBox(minimum=0, maximum=100, value=m.d_steps)
        self.d_steps.setToolTip("Discriminator updates per generator update.")
        self.d_learning_rate = QLineEdit(f"{t.d_learning_rate:g}")
        self.codes = InfoCodeFields(m)
        self.umap_weight = QDoubleSpinBox(minimum=-1.0, maximum=1e6, value=m.umap_weight,
                                          decimals=1, singleStep=100.0)
        self.umap_weight.setToolTip("Weight of UMAP's cross-entropy on the neighbour graph\n"
                                    "against the reconstruction error per item.")
        self.recommended_button = QPushButton("Recommended")
        self.recommended_button.setToolTip(
            "Put back the settings recommended for this model type and this kind of data")
        self.device = device_combo()
        self.precision = combo(PRECISIONS, "fp32")  # like the device, a choice of the machine
        self.precision.setToolTip("bf16: GPUs with bfloat16 (Ampere or newer) and the CPU")

        model_box = group("Model", [("Type", self.family), ("Architecture", self.architecture),
                                     ("Hidden sizes", self.hidden), ("Latent size", self.latent)])
        self.vae_box = group("VAE", [("Decoder likelihood", self.likelihood),
                                      ("KL weight β", self.beta)])
        self.gan_box = group("GAN", [("Generator loss", self.gan_loss),
                                      ("Noise size", self.noise),
                                      ("D steps per G step", self.d_steps),
                                      *self.remedies.rows(),
                                      ("D learning rate", self.d_learning_rate)])
        self.infogan_box = group("InfoGAN codes", self.codes.rows())
        self.umap_box = group("UMAP autoencoder", [("UMAP weight", self.umap_weight)])
        self.progan = ProganFields(m, self._validate)
        train_box = group("Training", [("Epochs", self.epochs), ("Batch size", self.batch),
                                        ("Learning rate", self.learning_rate), ("Seed", self.seed),
                                        ("Device", self.device),
                                        ("Precision", self.precision)])

        self.text_note = QLabel("Text: the decoder outputs a distribution over the vocabulary "
                                "(softmax), trained with its cross-entropy against each "
                                "document's word probabilities.")
        self.text_note.setObjectName("caption")
        self.text_note.setWordWrap(True)
        self.problems = QLabel()
        self.problems.setObjectName("problems")
        self.problems.setWordWrap(True)
        self.train_button = QPushButton("Train")
        self.train_button.setObjectName("trainButton")
        self.train_button.setShortcut(QKeySequence("Ctrl+Return"))
        self.pause_button = QPushButton("Pause")
        self.pause_button.setShortcut(QKeySequence("Ctrl+P"))
        self.pause_button.setToolTip("Pause or resume training (Ctrl+P)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setShortcut(QKeySequence("Ctrl+."))
        self.stop_button.setToolTip("Stop training and keep the weights so far (Ctrl+.)")
        buttons = QHBoxLayout()
        for button in (self.train_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_label = QLabel("Ready.")
        self.progress_label.setObjectName("caption")
        self.progress_label.setWordWrap(True)  # the form scrolls; it never widens
        self.device_label = QLabel("")
        self.device_label.setObjectName("caption")

        layout = QVBoxLayout(self)
        for widget in (model_box, self.text_note, self.vae_box, self.gan_box, self.progan.box,
                       self.infogan_box, self.umap_box, train_box, self.recommended_button,
                       self.problems):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.device_label)
        layout.addStretch(1)

        for widget in (self.family, self.architecture, self.likelihood, self.device,
                       self.precision, self.gan_loss):
            widget.currentIndexChanged.connect(self._validate)
        for widget in (self.hidden, self.learning_rate, self.d_learning_rate):
            widget.textChanged.connect(self._validate)
        for widget in (self.latent, self.epochs, self.batch, self.seed, self.beta, self.noise,
                       self.d_steps, self.umap_weight,
                       *(w for _, w in (*self.remedies.rows(), *self.codes.rows()))):
            widget.valueChanged.connect(self._validate)
        self.family.currentIndexChanged.connect(self.apply_recommended)
        self.recommended_button.clicked.connect(self.apply_recommended)
        lab.data.changed.connect(self._on_dataset)
        self.train_button.clicked.connect(self._on_train)
        self.pause_button.clicked.connect(self._on_pause)
        self.stop_button.clicked.connect(lab.model.stop)
        lab.model.status_changed.connect(self._on_status)
        lab.model.changed.connect(self._on_model)
        lab.model.proposed.connect(self.show_settings)
        lab.data.changed.connect(self._validate)
        lab.model.started.connect(self._on_started)
        lab.model.progress.connect(self._on_progress)
        lab.model.finished.connect(self._on_finished)
        lab.model.failed.connect(self._on_failed)
        lab.engine.changed.connect(self._on_engine)
        self._on_engine()
        self._on_status()

    # ------------------------------------------------------------------ form
    def _data_kind(self) -> str:
        return self.lab.data.dataset.kind if self.lab.data.dataset is not None else "image"

    def _recipe(self) -> tuple[ModelConfig, TrainConfig]:
        shape = self.lab.data.dataset.input_shape if self.lab.data.dataset is not None else None
        return recommended_settings(self.family.currentData(), self._data_kind(), shape,
                                    max(1, self.latent.value()))

    def apply_recommended(self) -> None:
        """Fill the form with the recommended settings for the model type and the data."""
        self.show_settings(*self._recipe())

    def _on_model(self) -> None:
        # An opened checkpoint or lab: the form shows the settings its model was trained with.
        session = self.lab.model
        if session.path is not None and session.finished_model() is not None \
                and self.family.findData(session.model_cfg.family) >= 0:
            # The epochs it completed, not those its run planned (a stopped run's fewer).
            t = session.train_cfg
            self.show_settings(session.model_cfg, replace(t, epochs=session.epoch or t.epochs))
            self.progress_label.setText(opened_text(session.epoch, t.epochs))

    def show_settings(self, m: ModelConfig, t: TrainConfig) -> None:
        """Show ``m``'s model type, and fill its fields with ``m`` and ``t``."""
        self.family.blockSignals(True)  # choosing the type would fill in its recipe instead
        self.family.setCurrentIndex(max(0, self.family.findData(m.family)))
        self.family.blockSignals(False)
        arch = "mlp" if self._text_data() else m.architecture  # no convolutions over words
        self.architecture.setCurrentIndex(self.architecture.findData(arch))
        self.hidden.setText(", ".join(str(h) for h in m.hidden))
        self.latent.setValue(m.latent_dim)
        self.epochs.setValue(t.epochs)
        self.batch.setValue(t.batch_size)
        self.learning_rate.setText(f"{t.learning_rate:g}")
        self.d_learning_rate.setText(f"{t.d_learning_rate:g}")
        if not self._text_data():
            self.likelihood.setCurrentIndex(self.likelihood.findData(m.likelihood))
        self.beta.setValue(m.beta)
        self.gan_loss.setCurrentIndex(self.gan_loss.findData(m.gan_loss))
        self.noise.setValue(m.noise_dim)
        self.d_steps.setValue(m.d_steps)
        self.remedies.show(m)
        self.progan.show(m)
        self.codes.show(m)
        self.umap_weight.setValue(m.umap_weight)
        self._validate()

    def _data_key(self) -> tuple[str, tuple[int, ...] | None]:
        data = self.lab.data.dataset  # a text recipe does not depend on the vocabulary's size
        image = data is not None and data.kind == "image"
        return self._data_kind(), data.input_shape if image else None

    def _on_dataset(self) -> None:
        # Text and images, and images of another size, have different recipes (a DCGAN
        # builds 28×28 and 32×32 images only).
        if self._data_key() != self._recipe_data:
            self._recipe_data = self._data_key()
            self.apply_recommended()

    def configs(self) -> tuple[ModelConfig, TrainConfig]:
        """The form's settings; raises ConfigError naming every field that cannot work."""
        problems: list[str] = []
        try:
            hidden = parse_int_list(self.hidden.text(), "Hidden sizes")
        except ConfigError as exc:
            problems += exc.problems
            hidden = (1,)
        lr, d_lr = (self._number(field, name, problems) for field, name in (
            (self.learning_rate, "Learning rate"), (self.d_learning_rate, "D learning rate")))
        base_model, base_train = self._recipe()
        model = replace(
            base_model,
            architecture=self.architecture.currentData(),
            hidden=hidden,
            latent_dim=self.latent.value(),
            likelihood="multinomial" if self._text_data() else self.likelihood.currentData(),
            beta=self.beta.value(),
            gan_loss=self.gan_loss.currentData(),
            noise_dim=self.noise.value(),
            **self.codes.values(),
            d_steps=self.d_steps.value(),
            **self.remedies.values(),
            **self.progan.values(problems),
            umap_weight=self.umap_weight.value(),
        )
        train = replace(
            base_train,
            epochs=self.epochs.value(),
            batch_size=self.batch.value(),
            learning_rate=lr,
            d_learning_rate=d_lr,
            seed=self.seed.value(),
            device=self.device.currentData(),
            precision=self.precision.currentData(),
        )
        dataset = self.lab.data.dataset
        if model.family in CONDITIONAL_FAMILIES and dataset is not None:
            # A class input per class of data.
            model = replace(model, n_categories=len(dataset.class_names) or model.n_categories)
            problems += filter(None, [labels_problem(dataset, model.n_categories, model.family)])
        shape = dataset.input_shape if dataset is not None else None
        problems += model.validate(shape) + train.validate()
        if problems:
            raise ConfigError(problems)
        return model, train

    @staticmethod
    def _number(field: QLineEdit, name: str, problems: list[str]) -> float:
        try:
            return float(field.text())
        except ValueError:
            problems.append(f"{name}: not a number ({field.text()!r}).")
            return 1.0

    def _text_data(self) -> bool:
        return self.lab.data.dataset is not None and self.lab.data.dataset.kind == "text"

    def _validate(self) -> bool:
        family = self.family.currentData()
        gan = family in GAN_FAMILIES
        self.vae_box.setVisible(family in ("vae", "cvae"))
        self.gan_box.setVisible(gan)
        self.infogan_box.setVisible(family == "infogan")
        self.umap_box.setVisible(family == "umap_ae")
        self.progan.box.setVisible(family == "progan")
        self.latent.setEnabled(not gan)
        conv = self.architecture.findData("conv")
        self.architecture.setItemText(conv, "DCGAN" if gan else ARCHITECTURES["conv"])
        self.learning_rate.setToolTip("The generator's learning rate." if gan else "")
        self.hidden.setEnabled(self.architecture.currentData() == "mlp")
        # Word distributions get a softmax decoder and cross-entropy; images never do.
        text = self._text_data()
        self.likelihood.blockSignals(True)
        if text:
            self.likelihood.setCurrentIndex(self.likelihood.findData("multinomial"))
        elif self.likelihood.currentData() == "multinomial":
            self.likelihood.setCurrentIndex(self.likelihood.findData("bernoulli"))
        self.likelihood.blockSignals(False)
        self.likelihood.setEnabled(not text)
        self.text_note.setVisible(text and not gan)
        try:
            self.configs()
        except ConfigError as exc:
            self.problems.setText("\n".join(exc.problems))
            self.problems.show()
            ok = False
        else:
            self.problems.clear()
            self.problems.hide()
            ok = True
        ready = self.lab.engine.ready  # torch loads behind the window: Train waits for it
        self.train_button.setEnabled(ok and ready and self.lab.model.status.state == "idle")
        self.train_button.setToolTip("Train a new model with these settings (Ctrl+Enter)"
                                     if ready else LOADING_TEXT)
        return ok

    def _on_engine(self) -> None:
        list_devices(self.device) if self.lab.engine.ready else None
        self._validate()

    # -------------------------------------------------------------- controls
    def _on_train(self) -> None:
        try:
            model, train = self.configs()
            self.lab.model.start_training(model, train)
        except ConfigError as exc:
            self.problems.setText("\n".join(exc.problems))
            self.problems.show()
        except RuntimeError as exc:  # e.g. the chosen device is not available
            self.lab.notes.report_error("Cannot start training", str(exc), "")

    def _on_pause(self) -> None:
        if self.lab.model.status.state == "paused":
            self.lab.model.resume()
        else:
            self.lab.model.pause()

    def _on_status(self) -> None:
        status = self.lab.model.status.state
        idle = status == "idle"
        self._validate()
        self.pause_button.setEnabled(status in ("running", "paused"))
        self.pause_button.setText("Resume" if status == "paused" else "Pause")
        self.stop_button.setEnabled(status in ("running", "paused"))
        for box in self.findChildren(QGroupBox):
            box.setEnabled(idle)
        self.recommended_button.setEnabled(idle)
        if self.lab.model.status.device:
            self.device_label.setText(f"Device: {self.lab.model.status.device}")
        if status == "running" and self.progress_bar.value() <= 0:
            self.progress_label.setText("Starting…")
        elif status == "paused":
            self.progress_label.setText("Paused.")
        elif status == "stopping":
            self.progress_label.setText("Stopping…")

    def _on_started(self, event: TrainingStarted) -> None:
        self.progress_bar.setRange(0, event.total_steps)
        self.progress_bar.setValue(0)
        self.progress_label.setText("Starting…")  # the last run's end is no longer news
        self.device_label.setText(f"Device: {event.device}")

    def _on_progress(self, event: StepProgress) -> None:
        self.progress_bar.setValue(event.global_step)
        self.progress_label.setText(progress_text(event))

    def _on_finished(self, event: TrainingFinished) -> None:
        self.progress_label.setText(finished_text(event))

    def _on_failed(self, event: TrainingFailed) -> None:
        self.progress_label.setText(failed_text(event))
