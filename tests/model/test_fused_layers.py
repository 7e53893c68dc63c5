"""Layers whose CPU computation is rearranged for speed (evenet.model.layers) against their plain
formulas: outputs and gradients."""

from __future__ import annotations

import torch

from evenet.model.layers import GRUGate, StochasticDepth
from evenet.model.packing import Packing


def _grads(out, weight, tensors):
    (out * weight).sum().backward()
    grads = [t.grad.clone() for t in tensors]
    for t in tensors:
        t.grad = None
    return grads


def test_gru_gate_is_gtrxl_gate():
    torch.manual_seed(0)
    gate = GRUGate(8)
    update, residual = torch.randn(5, 3, 8, requires_grad=True), torch.randn(5, 3, 8, requires_grad=True)
    tensors = [update, residual, *gate.parameters()]
    ours = gate(update, residual)
    weight = torch.randn_like(ours)
    grads = _grads(ours, weight, tensors)

    r = torch.sigmoid(gate.w_r(update) + gate.u_r(residual))
    z = torch.sigmoid(gate.w_z(update) + gate.u_z(residual) - gate.gate_bias)
    h = torch.tanh(gate.w_g(update) + gate.u_g(r * residual))
    theirs = (1 - z) * residual + z * h
    assert torch.allclose(ours, theirs, atol=1e-6)
    for a, b in zip(grads, _grads(theirs, weight, tensors)):
        assert torch.allclose(a, b, atol=1e-5)


def test_stochastic_depth_is_scaled_residual_with_per_event_draws():
    mask = torch.rand(6, 7, generator=torch.Generator().manual_seed(0)) < 0.6
    packing = Packing(mask)
    x = torch.randn(packing.num_tokens, 8, requires_grad=True)
    branch = torch.randn(packing.num_tokens, 8, requires_grad=True)
    scale = torch.randn(8, requires_grad=True)
    tensors = [x, branch, scale]
    layer = StochasticDepth(0.3).train()
    torch.manual_seed(1)
    ours = layer(x, branch, scale, packing)
    weight = torch.randn_like(ours)
    grads = _grads(ours, weight, tensors)

    torch.manual_seed(1)
    draw = torch.bernoulli(torch.full((6,), 0.7)) / 0.7
    theirs = x + branch * (packing.per_event(draw)[:, None] * scale)
    assert torch.allclose(ours, theirs, atol=1e-6)
    for a, b in zip(grads, _grads(theirs, weight, tensors)):
        assert torch.allclose(a, b, atol=1e-5)
    layer.eval()
    assert torch.allclose(layer(x, branch, scale, packing), x + branch * scale)
