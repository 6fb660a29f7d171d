"""What the training controls say about a run: its progress, how it ended (finished, stopped,
or failed and where), and what an opened model was trained for."""

from __future__ import annotations

from latentlab.core.training.events import (
    StepProgress,
    TrainingFailed,
    TrainingFinished,
    format_duration,
)


def losses_text(losses: dict[str, float]) -> str:
    if "d_loss" in losses:
        return f"D {losses['d_loss']:.3g} · G {losses['g_loss']:.3g}"
    return f"loss {losses['loss']:.3g}"


def progress_text(event: StepProgress) -> str:
    return (f"Epoch {event.epoch}/{event.total_steps // event.steps_per_epoch} · "
            f"step {event.step}/{event.steps_per_epoch} · {losses_text(event.losses)} · "
            f"ETA {format_duration(event.eta_s)}")


def finished_text(event: TrainingFinished) -> str:
    verb = "Finished" if event.reason in ("completed", "early_stopped") else "Stopped"
    kept = (f" The held-out loss stopped improving: the weights of epoch "
            f"{event.best_epoch} are kept." if event.best_epoch is not None else "")
    return (f"{verb}: {event.epochs_done} epoch(s), {event.global_step:,} steps in "
            f"{format_duration(event.elapsed_s)}.{kept}")


def failed_text(event: TrainingFailed) -> str:
    """The failure's own words say at which epoch and step, and which weights are kept."""
    return f"Failed after {event.global_step:,} steps: {event.message}"


def opened_text(epochs_done: int, epochs_planned: int) -> str:
    if epochs_done and epochs_done < epochs_planned:
        return f"Opened: trained {epochs_done} of the {epochs_planned} epochs planned."
    return f"Opened: trained {epochs_done or epochs_planned} epoch(s)."
