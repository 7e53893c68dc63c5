"""Each of the classification and generation heads, trained alone, overfits a tiny batch:
its loss falls at least tenfold. Diffusion time and noise are fixed (reseeded every
step) so that the target is a fixed function the network can memorise."""

from __future__ import annotations

import pytest
import torch
from model_fixtures import ALL_HEADS, NO_DROPOUT, make_batch, normalization

from evenet.model.network import build_model

STEPS = 40


def _train(head: str, targets) -> tuple[float, float]:
    torch.manual_seed(0)
    model = build_model("tiny", {head: ALL_HEADS[head]}, normalization(), **NO_DROPOUT).train()
    batch = make_batch(batch=8, seed=1)
    t = torch.linspace(0.05, 0.3, 8)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(STEPS):
        torch.manual_seed(1)
        loss = model.losses(model(batch, t), {head: targets})[head]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses[0], min(losses[-10:])


@pytest.mark.parametrize("head", ["classification", "point_cloud_generation", "neutrino_generation",
                                  "global_generation"])
def test_head_overfits_tiny_batch(head):
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 2, 1])
    first, last = _train(head, labels if head == "classification" else None)
    assert last < first / 10, f"{head}: loss {first:.3g} -> {last:.3g}"
