"""Callbacks: convergence bookkeeping (steps to the minimum validation loss) and a step-limit stop."""

from __future__ import annotations

import math

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
