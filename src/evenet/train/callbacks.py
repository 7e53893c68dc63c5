"""Callbacks: convergence bookkeeping (steps to the minimum validation loss), a stop on a
scheduler's signal that saves a resume checkpoint, and a step-limit stop for tests."""

from __future__ import annotations

import math
import signal
import threading
from pathlib import Path

import lightning.pytorch as pl


class ConvergenceTracker(pl.Callback):
    """Records (step, epoch, val loss, val AUC) at every validation and where the loss was lowest.

    ``best_step`` is the number of optimisation steps taken when the minimum validation
    loss was reached (the paper's convergence metric). Its state is kept in checkpoints.
    """

    def __init__(self):
        self.history: list[dict] = []

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        metrics = trainer.callback_metrics
        entry = {"step": int(trainer.global_step), "epoch": int(trainer.current_epoch)}
        for key in ("val/loss", "val/auc"):
            if key in metrics:
                entry[key.split("/", 1)[1]] = float(metrics[key])
        self.history.append(entry)

    def best(self) -> dict:
        valid = [h for h in self.history if "loss" in h and math.isfinite(h["loss"])]
        return min(valid, key=lambda h: h["loss"]) if valid else {}

    def state_dict(self) -> dict:
        return {"history": list(self.history)}

    def load_state_dict(self, state: dict) -> None:
        self.history = list(state.get("history", []))


class SimulatedKill(RuntimeError):
    """Raised by :class:`StopAfterSteps`."""


class StopAfterSteps(pl.Callback):
    """Raises after ``steps`` optimisation steps, before that step is checkpointed: a job killed mid-run."""

    def __init__(self, steps: int):
        self.steps = steps

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.global_step >= self.steps:
            raise SimulatedKill(f"stopped after {self.steps} steps")


class TrainingInterrupted(RuntimeError):
    """A run stopped by a signal after saving the checkpoint it resumes from."""

    def __init__(self, signum: int, step: int, checkpoint: Path):
        self.signum, self.step, self.checkpoint = signum, step, checkpoint
        name = signal.Signals(signum).name if signum else "a stop signal on another rank"
        super().__init__(f"stopped by {name} at step {step}; saved {checkpoint}: rerun the same command to resume")


class StopOnSignal(pl.Callback):
    """On SIGUSR1 or SIGTERM, save ``checkpoint`` at the end of the current batch and stop
    with :class:`TrainingInterrupted`.

    A Slurm job asks for a warning before its wall-clock limit with ``--signal=TERM@120``
    (or ``USR1@120``); a scheduler that preempts or cancels a job sends SIGTERM. Use as a
    context manager around the run: the handlers are installed on entry (a signal that
    arrives after training, while outputs are written, is then ignored) and again when
    training starts, over Lightning's SIGTERM handler (which would stop without a
    checkpoint, with exit status 0). In a multi-process run every rank stops at the same
    step: the decision is reduced over the ranks after each batch.
    """

    SIGNALS = (signal.SIGUSR1, signal.SIGTERM)

    def __init__(self, checkpoint: Path):
        self.checkpoint = Path(checkpoint)
        self.received = 0
        self._previous: dict = {}

    def _handle(self, signum, frame) -> None:
        self.received = self.received or signum

    def _install(self) -> None:
        if threading.current_thread() is threading.main_thread():  # signal handlers live in the main thread
            for signum in self.SIGNALS:
                previous = signal.signal(signum, self._handle)
                self._previous.setdefault(signum, previous)

    def __enter__(self) -> StopOnSignal:
        self._install()
        return self

    def __exit__(self, *exc) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous = {}

    def on_train_start(self, trainer, pl_module) -> None:
        self._install()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.strategy.reduce_boolean_decision(bool(self.received), all=False):
            trainer.save_checkpoint(self.checkpoint)
            raise TrainingInterrupted(self.received, int(trainer.global_step), self.checkpoint)
