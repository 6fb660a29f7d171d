"""The Dirac-GAN of the GAN dynamics workspace: one setting (loss, instance noise, penalty,
update method, learning rate, steps), a start point, and what the (θ, ψ) plane shows of them —
the vector field on a grid and the trajectory of gradient steps from the start.

``DiracLab`` is the only writer of its fields; every change recomputes the field and the
trajectory at once (a few milliseconds) and emits ``changed``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from psygnal import Signal

from latentlab.core.gan2d.dirac import DIRAC_LOSSES, METHODS, DiracGan, field_grid, trajectory
from latentlab.core.gan2d.dirac import vector_field as dirac_field
from latentlab.lab.notifications import Notifications

PENALTIES = ("r1", "gp")  # R1 on D's gradient at the data, or the WGAN-GP penalty
#: The plane shown: [−EXTENT, EXTENT]² around the equilibrium (0, 0).
EXTENT = 2.0
#: Arrows per side of the field's grid.
FIELD_N = 17
MAX_STEPS = 100_000


@dataclass(frozen=True)
class DiracSettings:
    loss: str = "saturating"  # the paper's objective
    instance_noise: float = 0.0  # σ
    penalty: str = "r1"  # what γ weighs
    gamma: float = 0.0
    method: str = "simultaneous"  # or "alternating"
    lr: float = 0.1
    steps: int = 1000

    def validate(self) -> list[str]:
        """Every problem, each naming the field as the form shows it."""
        problems: list[str] = []
        if self.loss not in DIRAC_LOSSES:
            problems.append(f"Loss: {self.loss!r} is not one of {', '.join(DIRAC_LOSSES)}.")
        if self.penalty not in PENALTIES:
            problems.append(f"Penalty: {self.penalty!r} is not one of {', '.join(PENALTIES)}.")
        if self.method not in METHODS:
            problems.append(f"Updates: {self.method!r} is not one of {', '.join(METHODS)}.")
        for label, value, high in (("Instance noise σ", self.instance_noise, 10.0),
                                   ("Penalty γ", self.gamma, 100.0)):
            if not (isinstance(value, int | float) and np.isfinite(value) and 0 <= value <= high):
                problems.append(f"{label}: must be a number from 0 to {high:g} (got {value!r}).")
        if not (isinstance(self.lr, int | float) and np.isfinite(self.lr) and 0 < self.lr <= 10):
            problems.append(f"Learning rate: must be a number above 0 to 10 (got {self.lr!r}).")
        if not (isinstance(self.steps, int) and 1 <= self.steps <= MAX_STEPS):
            problems.append(f"Steps: must be a whole number from 1 to {MAX_STEPS} "
                            f"(got {self.steps!r}).")
        return problems

    @property
    def gan(self) -> DiracGan:
        r1, gp = (self.gamma, 0.0) if self.penalty == "r1" else (0.0, self.gamma)
        return DiracGan(loss=self.loss, instance_noise=self.instance_noise, r1=r1, gp=gp)


class DiracLab:
    changed = Signal()

    def __init__(self, notes: Notifications | None = None) -> None:
        self.notes = notes or Notifications()
        self.settings = DiracSettings()
        self.start = (1.0, 1.0)  # (θ₀, ψ₀)
        self.grid = field_grid(extent=EXTENT, n=FIELD_N).reshape(-1, 2)
        self.field = np.zeros_like(self.grid)
        self.path = np.zeros((1, 2))
        self._compute()

    def set_settings(self, **changes: object) -> list[str]:
        """Change some settings; the problems, if any (each names its field), are reported and
        nothing changes."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(DiracSettings)})
        if unknown:
            problems = [f"Dirac-GAN: no setting named {', '.join(unknown)}."]
        else:
            settings = dataclasses.replace(self.settings, **changes)  # type: ignore[arg-type]
            problems = settings.validate()
        if problems:
            self.notes.report_error("Dirac-GAN settings", "\n".join(problems))
            return problems
        self.settings = settings
        self._compute()
        return []

    def set_start(self, theta: float, psi: float) -> list[str]:
        if not (np.isfinite(theta) and np.isfinite(psi)):
            problem = f"Start point: θ and ψ must be finite (got {theta}, {psi})."
            self.notes.report_error("Dirac-GAN settings", problem)
            return [problem]
        self.start = (float(theta), float(psi))
        self._compute()
        return []

    def _compute(self) -> None:
        gan = self.settings.gan
        self.field = dirac_field(self.grid, gan)
        with np.errstate(over="ignore", invalid="ignore"):
            path = trajectory(*self.start, steps=self.settings.steps, lr=self.settings.lr,
                              method=self.settings.method,  # type: ignore[arg-type]
                              gan=gan)
        # A run that blew up ends at its last finite point: the view draws what it can.
        finite = np.isfinite(path).all(axis=1)
        self.path = path[:int(np.argmin(finite))] if not finite.all() else path
        self.changed.emit()

    @property
    def end_distance(self) -> float:
        """How far the trajectory ends from the equilibrium (0, 0)."""
        return float(np.linalg.norm(self.path[-1]))

    @property
    def start_distance(self) -> float:
        return float(np.hypot(*self.start))
