"""Packed self-attention (gathers per head, hand-written backward) against SDPA on the padded
layout: same outputs and same gradients for the valid tokens, with and without a restriction."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from evenet.model.attention import MultiHeadAttention, additive, attention_mask
from evenet.model.layers import dropout_mask
from evenet.model.packing import Packing


def padded_reference(attn: MultiHeadAttention, x: torch.Tensor, mask: torch.Tensor, allowed) -> torch.Tensor:
    b, n, d = x.shape
    h = attn.num_heads
    q, k, v = attn.in_proj(x).chunk(3, dim=-1)
    heads = [t.view(b, n, h, d // h).transpose(1, 2) for t in (q, k, v)]
    out = F.scaled_dot_product_attention(*heads, attn_mask=attention_mask(mask, allowed))
    return attn.out_proj(out.transpose(1, 2).reshape(b, n, d))


@pytest.mark.parametrize("restricted", [False, True])
def test_packed_attention_equals_padded_sdpa_with_gradients(restricted):
    torch.manual_seed(0)
    b, n, d, h = 5, 7, 16, 4
    counts = torch.tensor([1, 3, 7, 2, 5])
    mask = torch.arange(n)[None] < counts[:, None]
    allowed = None
    if restricted:  # objects 0, 2 of each event blind to the others, as the clean-blind pass
        hidden = (torch.arange(n) % 2 == 1)[None].expand(b, n) | ~mask
        allowed = ~(~hidden[:, :, None] & hidden[:, None, :])
    attn = MultiHeadAttention(d, h).eval()
    x = torch.randn(b, n, d) * mask[..., None]
    packing = Packing(mask)

    x1 = packing.pack(x).requires_grad_()
    ours = attn(x1, additive(attention_mask(mask, allowed)), packing=packing)
    weight = torch.randn_like(ours)
    (ours * weight).sum().backward()
    ours_grads = [x1.grad] + [p.grad.clone() for p in attn.parameters()]
    attn.zero_grad()

    x2 = x.clone().requires_grad_()
    theirs = padded_reference(attn, x2, mask, allowed)
    (packing.pack(theirs) * weight).sum().backward()
    their_grads = [packing.pack(x2.grad)] + [p.grad for p in attn.parameters()]

    assert torch.allclose(ours, packing.pack(theirs), atol=1e-6)
    for a, c in zip(ours_grads, their_grads):
        assert torch.allclose(a, c, atol=1e-5)


def test_fallback_path_and_training_dropout_gradients():
    """float64 takes the generic path (gathers + SDPA), as CUDA does; in training the CPU path's
    hand-written backward equals autograd's through the same dropout mask."""
    torch.manual_seed(1)
    b, n, d, h = 4, 6, 16, 4
    mask = torch.arange(n)[None] < torch.tensor([2, 6, 4, 1])[:, None]
    packing = Packing(mask)
    bias = additive(attention_mask(mask))
    attn = MultiHeadAttention(d, h).eval()
    x = torch.randn(packing.num_tokens, d)
    expected = packing.pack(padded_reference(attn, packing.unpack(x), mask, None))
    assert torch.allclose(attn.double()(x.double(), bias.double(), packing=packing).float(), expected, atol=1e-6)

    attn = MultiHeadAttention(d, h, dropout=0.3).float().train()
    x1 = x.clone().requires_grad_()
    torch.manual_seed(7)
    ours = attn(x1, bias, packing=packing)
    ours.sum().backward()
    grads = [x1.grad] + [p.grad.clone() for p in attn.parameters()]
    attn.zero_grad()

    x2 = x.clone().requires_grad_()
    q, k, v = packing.unpack(attn.in_proj(x2)).chunk(3, dim=-1)
    q, k, v = (t.view(b, n, h, d // h).transpose(1, 2) for t in (q, k, v))
    probs = (bias + q @ k.transpose(-1, -2) / (d // h) ** 0.5).softmax(dim=-1)
    torch.manual_seed(7)
    out = (probs * dropout_mask(probs.shape, 0.3, probs.dtype)) @ v
    theirs = attn.out_proj(packing.pack(out.transpose(1, 2).reshape(b, n, d)))
    theirs.sum().backward()
    assert torch.allclose(ours, theirs, atol=1e-6)
    for a, c in zip(grads, [x2.grad] + [p.grad for p in attn.parameters()]):
        assert torch.allclose(a, c, atol=1e-5)
