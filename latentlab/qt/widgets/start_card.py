"""The "Start here" card over the first screen: the built-in lecture, a quick start (train a VAE
now) and opening your own data. Each button does its thing and closes the card; so does ×, and
anything else the user starts (the window closes it then)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

CHOICES = (
    ("lecture", "The lecture, step by step",
     "PCA against autoencoders, VAEs, GANs and InfoGAN: one lesson per part, each step ready "
     "in seconds, offline."),
    ("vae", "Train a VAE now",
     "A variational autoencoder on these digits, live: watch its 2-D map form beside PCA's."),
    ("data", "Open your own data…",
     "A folder of images (one subfolder per class) or of texts; File → Open dataset… takes "
     "IDX, NumPy and CSV files."),
)


class StartCard(QFrame):
    def __init__(self, over: QWidget, actions: dict[str, Callable[[], object]]) -> None:
        super().__init__(over)
        self.setObjectName("startCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        title = QLabel("Start here")
        title.setObjectName("startTitle")
        close = QPushButton("×")
        close.setObjectName("startClose")
        close.setToolTip("Close (the Lesson and File menus offer the same)")
        close.setFlat(True)
        close.setFixedWidth(28)
        close.clicked.connect(self.hide)
        head = QHBoxLayout()
        head.addWidget(title, 1)
        head.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        intro = QLabel("5,000 handwritten digits from MNIST, each a dot placed by PCA. "
                       "Drag the cross to decode any point of the map.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.buttons: dict[str, QPushButton] = {}
        for key, text, detail in CHOICES:
            button = QPushButton(text)
            button.setObjectName("startChoice")
            button.clicked.connect(lambda _=False, k=key: self._choose(actions[k]))
            note = QLabel(detail)
            note.setObjectName("caption")
            note.setWordWrap(True)
            layout.addWidget(button)
            layout.addWidget(note)
            self.buttons[key] = button
        self.setFixedWidth(400)
        over.installEventFilter(self)  # stays centred over the maps
        self._centre()

    def _choose(self, action: Callable[[], object]) -> None:
        self.hide()
        action()

    def _centre(self) -> None:
        parent = self.parentWidget()
        # Wrapped text needs its height for this width (a plain size hint would cut it).
        self.setFixedHeight(self.layout().totalHeightForWidth(self.width()))
        self.move(max(0, (parent.width() - self.width()) // 2),
                  max(0, (parent.height() - self.height()) // 3))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._centre()
        return False
