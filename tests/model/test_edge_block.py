"""The CPU EdgeConv path (hand-written backward) against autograd's on the same block."""

from __future__ import annotations

import torch

from evenet.model.pet import EdgeConvBlock


def test_edge_block_gradients_equal_autograd():
    torch.manual_seed(0)
    block = EdgeConvBlock(6, 8, k=3)
    features = torch.randn(11, 6)
    neighbours = torch.randint(0, 11, (11, 3))
    neighbours[0] = 10  # a row that is all of another row's neighbours, as the shared padding row

    x1 = features.clone().requires_grad_()
    ours = block(x1, neighbours)
    weight = torch.randn_like(ours)
    (ours * weight).sum().backward()
    grads = [x1.grad] + [p.grad.clone() for p in block.parameters()]
    block.zero_grad()

    x2 = features.clone().requires_grad_()
    edges = torch.cat([x2[neighbours] - x2[:, None], x2[:, None].expand(-1, 3, -1)], dim=-1)
    theirs = block.mlp(edges).mean(dim=1)
    (theirs * weight).sum().backward()
    assert torch.allclose(ours, theirs, atol=1e-6)
    for a, c in zip(grads, [x2.grad] + [p.grad for p in block.parameters()]):
        assert torch.allclose(a, c, atol=1e-5)
