"""Variance-preserving diffusion in v-parameterisation, and its samplers.

Schedule: cosine log-SNR clipped to [-20, 20] (Kingma et al. 2021 / Nichol &
Dhariwal): lambda(t) = -2 log tan(a t + b), alpha^2 = sigmoid(lambda),
sigma^2 = sigmoid(-lambda), so t = 0 is (almost) clean data and t = 1 is
(almost) pure noise. Noised data x_t = alpha x + sigma eps; the network
predicts v = alpha eps - sigma x (Salimans & Ho 2022), trained with the
masked MSE of the EveNet paper (Eq. 4).

Samplers take ``v_fn(x_t, t) -> v`` where ``t`` has shape (B,):

* :func:`ddim_sample` - deterministic DDIM (Song et al. 2021), first order;
* :func:`dpm_solver_pp_sample` - DPM-Solver++(2M) (Lu et al. 2022), second
  order multistep on the data prediction, reaching DDIM's quality with fewer
  network calls.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch import Tensor

LOGSNR_MIN = -20.0
LOGSNR_MAX = 20.0

VFunction = Callable[[Tensor, Tensor], Tensor]


def log_snr(t: Tensor) -> Tensor:
    """Cosine log-SNR schedule clipped to [LOGSNR_MIN, LOGSNR_MAX]; ``t`` in [0, 1]."""
    b = math.atan(math.exp(-0.5 * LOGSNR_MAX))
    a = math.atan(math.exp(-0.5 * LOGSNR_MIN)) - b
    return -2.0 * torch.log(torch.tan(a * t.to(torch.float32) + b))


def alpha_sigma(t: Tensor) -> tuple[Tensor, Tensor]:
    """Signal and noise scales at time ``t`` (same shape as ``t``)."""
    lam = log_snr(t)
    return torch.sigmoid(lam).sqrt(), torch.sigmoid(-lam).sqrt()


def _expand(scale: Tensor, like: Tensor) -> Tensor:
    return scale.view(scale.shape[0], *([1] * (like.ndim - 1))).to(like.dtype)


def add_noise(x0: Tensor, t: Tensor, noise: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Noise clean ``x0`` (B, ...) at per-event times ``t`` (B,). Returns (x_t, v target)."""
    eps = torch.randn_like(x0) if noise is None else noise
    alpha, sigma = alpha_sigma(t)
    alpha, sigma = _expand(alpha, x0), _expand(sigma, x0)
    return alpha * x0 + sigma * eps, alpha * eps - sigma * x0


def masked_mse(v_pred: Tensor, v_target: Tensor, mask: Tensor | None = None, weight: Tensor | None = None) -> Tensor:
    """Paper Eq. 4: sum over noised objects and features of (v_pred - v)^2, divided by
    (number of noised objects x number of features). ``mask``: (B, N) bool or None;
    ``weight``: optional (B,) event weights."""
    err = (v_pred - v_target).pow(2)
    per_object = torch.ones(err.shape[:-1], device=err.device, dtype=err.dtype)
    if mask is not None:
        per_object = per_object * mask.to(err.dtype)
    if weight is not None:
        per_object = per_object * _expand(weight, per_object)
    denominator = per_object.sum() * err.shape[-1]
    return (err.sum(dim=-1) * per_object).sum() / denominator.clamp(min=1e-12)


def time_grid(steps: int, device=None) -> Tensor:
    """Uniform times 1 = t_0 > t_1 > ... > t_steps = 0."""
    return torch.linspace(1.0, 0.0, steps + 1, device=device)


def ddim_sample(v_fn: VFunction, x: Tensor, steps: int, mask: Tensor | None = None) -> Tensor:
    """Deterministic DDIM from prior noise ``x`` (B, ...); ``steps`` network calls.

    ``mask`` (broadcastable to x) keeps padding at zero throughout.
    """
    grid = time_grid(steps, x.device)
    for i in range(steps):
        t = grid[i].expand(x.shape[0])
        alpha, sigma = (_expand(s, x) for s in alpha_sigma(t))
        alpha_next, sigma_next = (_expand(s, x) for s in alpha_sigma(grid[i + 1].expand(x.shape[0])))
        v = v_fn(x, t)
        x0 = alpha * x - sigma * v
        eps = sigma * x + alpha * v
        x = alpha_next * x0 + sigma_next * eps
        if mask is not None:
            x = x * mask
    return x


def dpm_solver_pp_sample(v_fn: VFunction, x: Tensor, steps: int, mask: Tensor | None = None) -> Tensor:
    """DPM-Solver++(2M): exponential-integrator multistep solver on x0-prediction in
    half-log-SNR time h; the first and last steps are first order (DDIM). ``steps`` network calls."""
    grid = time_grid(steps, x.device)
    previous_x0: Tensor | None = None
    previous_h: Tensor | None = None
    for i in range(steps):
        t = grid[i].expand(x.shape[0])
        t_next = grid[i + 1].expand(x.shape[0])
        alpha, sigma = (_expand(s, x) for s in alpha_sigma(t))
        alpha_next, sigma_next = (_expand(s, x) for s in alpha_sigma(t_next))
        h = _expand(0.5 * (log_snr(t_next) - log_snr(t)), x)
        x0 = alpha * x - sigma * v_fn(x, t)
        if previous_x0 is None or i == steps - 1:
            # First order at the start (no history) and at the last step, where the step in
            # log-SNR is much longer than the previous one and extrapolation would overshoot.
            direction = x0
        else:
            r = previous_h / h
            direction = (1.0 + 0.5 / r) * x0 - (0.5 / r) * previous_x0
        x = (sigma_next / sigma) * x - alpha_next * torch.expm1(-h) * direction
        if mask is not None:
            x = x * mask
        previous_x0, previous_h = x0, h
    return x


SAMPLERS = {"ddim": ddim_sample, "dpm++2m": dpm_solver_pp_sample}
