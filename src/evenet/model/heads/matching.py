"""Batched Hungarian matching of predictions to targets (DETR-style set loss).

The assignment itself is not differentiable, so it runs on CPU with scipy's
``linear_sum_assignment`` one event at a time; the costs are computed batched.
"""
from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torch import Tensor


def hungarian_match(cost: Tensor, target_valid: Tensor) -> Tensor:
    """Minimum-cost one-to-one matching of targets to predictions, per event.

    cost: float[B, Q, M], the cost of matching prediction q to target m.
    target_valid: bool[B, M], real targets (padding targets are not matched).
    Returns long[B, M]: the prediction matched to each target, -1 for padding targets.
    Requires at most Q real targets per event.
    """
    cost = cost.detach().float().cpu().numpy()
    valid = target_valid.detach().cpu().numpy()
    if (valid.sum(1) > cost.shape[1]).any():
        raise ValueError("more targets than predictions in an event")
    matched = np.full(valid.shape, -1, dtype=np.int64)
    for b in range(cost.shape[0]):
        targets = np.flatnonzero(valid[b])
        if targets.size:
            queries, columns = linear_sum_assignment(cost[b][:, targets])
            matched[b, targets[columns]] = queries
    return torch.from_numpy(matched).to(target_valid.device)
