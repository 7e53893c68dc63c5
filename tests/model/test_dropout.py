"""The CPU dropout of evenet.model.layers: the dropout it claims to be."""

from __future__ import annotations

import torch

from evenet.model.layers import Dropout, dropout


def test_drops_the_requested_fraction_and_keeps_the_mean():
    torch.manual_seed(0)
    x = torch.ones(400, 1000)
    out = dropout(x, 0.1, training=True)
    kept = out != 0
    assert abs(kept.float().mean().item() - 0.9) < 0.003  # 4e5 draws: sigma 5e-4
    assert torch.allclose(out[kept], torch.full_like(out[kept], 65536 / (65536 - 6554)))
    assert abs(out.mean().item() - 1.0) < 0.004


def test_draws_are_independent_between_neighbouring_elements():
    """Four 16-bit draws share one 64-bit word: they must not be correlated."""
    torch.manual_seed(1)
    kept = (dropout(torch.ones(200_000, 4), 0.5, training=True) != 0).float()
    corr = torch.corrcoef(kept.T)
    assert (corr - torch.eye(4)).abs().max() < 0.02


def test_gradient_is_the_mask_and_eval_is_identity():
    torch.manual_seed(2)
    x = torch.randn(64, 32, requires_grad=True)
    out = dropout(x, 0.3, training=True)
    out.sum().backward()
    assert torch.equal(x.grad, torch.where(out != 0, 65536 / (65536 - round(0.3 * 65536)), 0.0))
    layer = Dropout(0.3).eval()
    assert layer(x) is x
    assert torch.equal(dropout(x, 1.0, training=True), torch.zeros_like(x))
