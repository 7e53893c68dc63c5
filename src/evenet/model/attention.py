"""Multi-head attention through ``scaled_dot_product_attention`` with boolean masks.

Parameters are laid out like ``torch.nn.MultiheadAttention`` (one fused
query/key/value projection, one output projection) so that released weights
map one to one, but the kernel is SDPA and no attention weights are returned.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from evenet.model.layers import dropout_mask
from evenet.model.packing import Packing, gather_rows


def attention_mask(key_mask: Tensor, allowed: Tensor | None = None, num_queries: int | None = None) -> Tensor:
    """Boolean (B, 1, Nq, Nk) mask, True where a query may attend to a key.

    ``key_mask``: (B, Nk) bool, valid keys. ``allowed``: optional (Nq, Nk) or
    (B, Nq, Nk) bool restriction. A query row left with no key at all (only
    possible for padding queries or empty events) is opened to every key so
    that the softmax stays finite; such rows are masked out downstream.
    """
    nq = num_queries if num_queries is not None else key_mask.shape[1]
    mask = key_mask[:, None, :].expand(-1, nq, -1)
    if allowed is not None:
        mask = mask & allowed
    mask = mask | ~mask.any(dim=-1, keepdim=True)
    return mask.unsqueeze(1)


def additive(mask: Tensor) -> Tensor:
    """Float form (0 where allowed, -inf elsewhere) of a boolean mask from :func:`attention_mask`, for
    a mask that many layers share: SDPA would otherwise convert and check a boolean mask at every call."""
    return torch.zeros(mask.shape, device=mask.device).masked_fill_(~mask, float("-inf"))


class MultiHeadAttention(nn.Module):
    """Self- or cross-attention; ``in_proj`` holds the query, key and value weights stacked."""

    def __init__(self, dim: int, num_heads: int, dropout: float = 0.0):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"attention width {dim} is not divisible by {num_heads} heads")
        self.num_heads = num_heads
        self.dropout = dropout
        self.in_proj = nn.Linear(dim, 3 * dim)
        self.out_proj = nn.Linear(dim, dim)

    def _heads(self, x: Tensor) -> Tensor:
        b, n, d = x.shape
        return x.view(b, n, self.num_heads, d // self.num_heads).transpose(1, 2)

    def forward(self, query: Tensor, mask: Tensor, context: Tensor | None = None,
                packing: Packing | None = None) -> Tensor:
        """``query``: (B, Nq, D); ``context``: (B, Nk, D) or None for self-attention;
        ``mask``: bool broadcastable to (B, H, Nq, Nk) from :func:`attention_mask`.

        With ``packing``: self-attention of packed tokens ``query`` (T, D) -> (T, D) with the additive
        ``mask`` (B, 1, N, N) of :func:`additive`; the projections run on the T tokens, only the
        attention itself on the padded layout."""
        if packing is not None:
            return self._packed(query, mask, packing)
        if context is None:
            q, k, v = self.in_proj(query).chunk(3, dim=-1)
        else:
            d = query.shape[-1]
            (w_q, w_kv), (b_q, b_kv) = self.in_proj.weight.split([d, 2 * d]), self.in_proj.bias.split([d, 2 * d])
            q = F.linear(query, w_q, b_q)
            k, v = F.linear(context, w_kv, b_kv).chunk(2, dim=-1)
        if mask is not None and mask.is_floating_point() and mask.dtype != q.dtype:
            mask = mask.to(q.dtype)  # an additive mask under autocast
        out = F.scaled_dot_product_attention(
            self._heads(q), self._heads(k), self._heads(v),
            attn_mask=mask, dropout_p=self.dropout if self.training else 0.0,
        )
        b, h, n, hd = out.shape
        return self.out_proj(out.transpose(1, 2).reshape(b, n, h * hd))

    def _packed(self, x: Tensor, mask: Tensor, packing: Packing) -> Tensor:
        """Self-attention of packed tokens: the projections on the T tokens, the attention itself on
        the padded per-head layout, reached by one gather in and one out (:meth:`Packing.head_rows`)."""
        b, n, h = packing.batch, packing.length, self.num_heads
        t, d = x.shape
        if t == 0:
            return self.out_proj(x)
        w = d // h
        rows_in, rows_out = packing.head_rows(h)
        projected = self.in_proj(x)
        p = self.dropout if self.training else 0.0
        if projected.device.type == "cpu" and projected.dtype == torch.float32:
            out = _PackedAttentionCPU.apply(projected, mask, rows_in, rows_out, (b, h, n, w), p)
        else:
            q, k, v = gather_rows(projected.view(t * 3 * h, w), rows_in).view(3, b, h, n, w).unbind(0)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask.to(q.dtype), dropout_p=p)
            out = gather_rows(out.reshape(b * h * n, w), rows_out)
        return self.out_proj(out.view(t, d))


class _PackedAttentionCPU(torch.autograd.Function):
    """softmax(Q K^T / sqrt(w) + mask) V on the padded per-head layout, with dropout on the
    weights, from and to the packed projections. Forward and backward written out with
    batched matrix products into contiguous buffers: autograd's version spends most of its time
    on the layout (stacking the query, key and value gradients, transposed key gradients)."""

    @staticmethod
    def forward(ctx, projected, mask, rows_in, rows_out, shape, p):
        b, h, n, w = shape
        t = projected.shape[0]
        qkv = projected.reshape(t * 3 * h, w).index_select(0, rows_in[0]).view(3, b * h, n, w)
        q, k, v = qkv.unbind(0)
        scores = torch.bmm(q, k.transpose(1, 2)).view(b, h, n, n)
        probs = torch.add(mask.to(scores.dtype), scores, alpha=w ** -0.5).softmax(dim=-1)
        keep = dropout_mask(probs.shape, p, probs.dtype) if p > 0.0 else None
        weights = probs if keep is None else probs * keep
        out = torch.bmm(weights.view(b * h, n, n), v)
        ctx.shape, ctx.tokens = shape, t
        ctx.save_for_backward(qkv, probs, weights, keep, rows_in[1], rows_out[1])
        return out.view(b * h * n, w).index_select(0, rows_out[0]).view(t, h * w)

    @staticmethod
    def backward(ctx, grad):
        qkv, probs, weights, keep, inverse_in, inverse_out = ctx.saved_tensors
        b, h, n, w = ctx.shape
        t = ctx.tokens
        grad = grad.reshape(t * h, w)
        grad_out = torch.cat([grad, grad.new_zeros(1, w)]).index_select(0, inverse_out).view(b * h, n, w)
        q, k, v = qkv.unbind(0)
        grad_qkv = torch.empty_like(qkv)
        torch.bmm(weights.view(b * h, n, n).transpose(1, 2), grad_out, out=grad_qkv[2])
        grad_weights = torch.bmm(grad_out, v.transpose(1, 2)).view(b, h, n, n)
        if keep is not None:
            grad_weights.mul_(keep)
        grad_scores = torch._softmax_backward_data(grad_weights, probs, -1, probs.dtype).mul_(w ** -0.5)
        grad_scores = grad_scores.view(b * h, n, n)
        torch.bmm(grad_scores, k, out=grad_qkv[0])
        torch.bmm(grad_scores.transpose(1, 2), q, out=grad_qkv[1])
        grad_projected = grad_qkv.view(-1, w).index_select(0, inverse_in).view(t, 3 * h * w)
        return grad_projected, None, None, None, None, None
