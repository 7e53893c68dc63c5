"""Our foreach LION against the per-parameter update of lion-pytorch, written out."""

from __future__ import annotations

import torch

from evenet.train.optimizers import Lion


def reference_step(params, grads, momenta, lr, wd, beta1, beta2):
    for p, g, m in zip(params, grads, momenta):
        p.mul_(1.0 - lr * wd)
        p.add_(m.clone().mul_(beta1).add(g, alpha=1.0 - beta1).sign_(), alpha=-lr)
        m.mul_(beta2).add_(g, alpha=1.0 - beta2)


def test_lion_matches_the_per_parameter_update():
    torch.manual_seed(0)
    shapes = [(7, 5), (5,), (3, 4, 2)]
    params = [torch.randn(s, requires_grad=True) for s in shapes]
    frozen = torch.randn(3, requires_grad=True)  # no gradient: untouched
    expected = [p.detach().clone() for p in params]
    momenta = [torch.zeros_like(p) for p in params]
    optimizer = Lion([{"params": params + [frozen], "lr": 1e-2, "weight_decay": 0.1}], betas=(0.9, 0.99))
    before = frozen.detach().clone()
    for _ in range(3):
        grads = [torch.randn(s) for s in shapes]
        for p, g in zip(params, grads):
            p.grad = g.clone()
        optimizer.step()
        reference_step(expected, grads, momenta, 1e-2, 0.1, 0.9, 0.99)
    for p, e, m in zip(params, expected, momenta):
        assert torch.allclose(p.detach(), e, atol=1e-6)
        assert torch.allclose(optimizer.state[p]["exp_avg"], m, atol=1e-6)
    assert torch.equal(frozen.detach(), before)
    assert frozen not in optimizer.state
