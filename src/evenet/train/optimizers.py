"""Optimiser and learning-rate schedule.

LION (Chen et al. 2023) as in the EveNet paper, or AdamW. :class:`Lion` is the update of
``lion-pytorch`` (same state, ``exp_avg``) on all parameters of a group at once with the
``torch._foreach_*`` kernels instead of a Python loop of six tensor ops per parameter.
With data parallelism over W devices the learning rate is scaled by sqrt(W)
and the weight decay by 1/sqrt(W). Schedule: linear warm-up, then cosine decay
to ``min_lr_ratio`` x the peak over the run's optimisation steps.
"""

from __future__ import annotations

import math

import torch
from torch.optim.lr_scheduler import LambdaLR


class Lion(torch.optim.Optimizer):
    """p <- p (1 - lr wd) - lr sign(beta1 m + (1 - beta1) g);  m <- beta2 m + (1 - beta2) g."""

    def __init__(self, params, lr: float = 1e-4, betas=(0.9, 0.99), weight_decay: float = 0.0):
        if lr <= 0.0 or not all(0.0 <= beta <= 1.0 for beta in betas):
            raise ValueError(f"Lion: lr must be > 0 and betas in [0, 1], got lr={lr}, betas={betas}")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            momenta = []
            for p in params:
                state = self.state[p]
                if "exp_avg" not in state:
                    state["exp_avg"] = torch.zeros_like(p)
                momenta.append(state["exp_avg"])
            lr, wd, (beta1, beta2) = group["lr"], group["weight_decay"], group["betas"]
            if wd:
                torch._foreach_mul_(params, 1.0 - lr * wd)
            update = torch._foreach_lerp(momenta, grads, 1.0 - beta1)
            torch._foreach_sign_(update)
            torch._foreach_add_(params, update, alpha=-lr)
            torch._foreach_lerp_(momenta, grads, 1.0 - beta2)
        return loss


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
