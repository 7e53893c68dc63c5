"""Optimiser and learning-rate schedule.

LION (Chen et al. 2023, ``lion-pytorch``) as in the EveNet paper, or AdamW.
With data parallelism over W devices the learning rate is scaled by sqrt(W)
and the weight decay by 1/sqrt(W). Schedule: linear warm-up, then cosine decay
to ``min_lr_ratio`` x the peak over the run's optimisation steps.
"""

from __future__ import annotations

import math

import torch
from lion_pytorch import Lion
from torch.optim.lr_scheduler import LambdaLR


def scaled_hyperparameters(lr: float, weight_decay: float, world_size: int, enabled: bool = True) -> tuple[float, float]:
    """(lr x sqrt(W), weight_decay / sqrt(W)) for W data-parallel devices."""
    if not enabled:
        return lr, weight_decay
    root = math.sqrt(max(world_size, 1))
    return lr * root, weight_decay / root


def build_optimizer(groups: list[dict], name: str, betas) -> torch.optim.Optimizer:
    betas = tuple(float(b) for b in betas)
    if name == "lion":
        return Lion(groups, betas=betas)
    return torch.optim.AdamW(groups, betas=betas)


class WarmupCosine:
    """Multiplier of the peak rate at step s: linear from 0.01 to 1 over ``warmup`` steps, then
    cosine from 1 to ``floor`` at ``total`` steps (constant after)."""

    def __init__(self, total_steps: int, warmup_steps: int, floor: float):
        self.total = max(int(total_steps), 1)
        self.warmup = max(1, min(int(warmup_steps), self.total - 1)) if self.total > 1 else 1
        self.floor = float(floor)

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return 0.01 + 0.99 * step / self.warmup
        progress = min(1.0, (step - self.warmup) / max(1, self.total - self.warmup))
        return self.floor + (1.0 - self.floor) * 0.5 * (1.0 + math.cos(math.pi * progress))


def build_schedule(optimizer: torch.optim.Optimizer, total_steps: int, warmup_steps: int,
                   min_lr_ratio: float) -> LambdaLR:
    """Per-step warm-up + cosine schedule (the same multiplier for every parameter group)."""
    return LambdaLR(optimizer, WarmupCosine(total_steps, warmup_steps, min_lr_ratio))
