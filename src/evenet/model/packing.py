"""Packed token layout: the valid tokens of a padded (B, N) batch, laid out flat as (T, ...).

Per-token layers (linear maps, MLPs, layer norms, gates) run on the T valid tokens
only instead of on all B x N slots; attention gathers its queries, keys and values
per head into the padded layout (:meth:`Packing.head_rows`, used by
:class:`evenet.model.attention.MultiHeadAttention`).
The results on valid tokens are those of the padded computation, and
:meth:`Packing.unpack` gives zero in padding.
"""

from __future__ import annotations

import torch
from torch import Tensor


class Packing:
    """Index bookkeeping of one (B, N) bool mask."""

    def __init__(self, mask: Tensor):
        self.mask = mask
        self.batch, self.length = mask.shape
        self.index = mask.reshape(-1).nonzero().squeeze(1)  # (T,) flat slot b * N + i
        self.event = torch.div(self.index, self.length, rounding_mode="floor")  # (T,) event of each token
        self._head_rows: dict[int, tuple[Tensor, Tensor]] = {}

    @property
    def num_tokens(self) -> int:
        return self.index.numel()

    def pack(self, x: Tensor) -> Tensor:
        """(B, N, ...) -> (T, ...)."""
        return x.reshape(self.batch * self.length, *x.shape[2:]).index_select(0, self.index)

    def unpack(self, x: Tensor) -> Tensor:
        """(T, ...) -> (B, N, ...), zero in padding."""
        out = x.new_zeros(self.batch * self.length, *x.shape[1:])
        return out.index_copy_(0, self.index, x).view(self.batch, self.length, *x.shape[1:])

    def per_event(self, x: Tensor) -> Tensor:
        """(B, ...) -> (T, ...): each token gets its event's row."""
        return x.index_select(0, self.event)

    def head_rows(self, heads: int) -> tuple[tuple[Tensor, Tensor, bool], tuple[Tensor, Tensor, bool]]:
        """Row maps between the packed and the padded per-head layouts for ``heads`` heads of width w,
        as (forward, backward) index pairs for :func:`gather_rows`.

        In: the rows of a packed (T, 3, H, w) projection viewed as (3 T H, w) that make the padded
        (3, B H, N, w) query, key and value. A padding slot reads the rows of token 0, any finite
        values: attention masks padding keys and drops padding queries, so no gradient flows
        through them and the backward is the inverse permutation of the valid rows.
        Out: the rows of a padded (B H N, w) attention output that make the packed (T, H, w) one;
        padding rows get zero gradient."""
        if heads not in self._head_rows:
            b, n, t, device = self.batch, self.length, self.num_tokens, self.index.device
            token = torch.zeros(b * n, dtype=torch.long, device=device)
            token[self.index] = torch.arange(t, device=device)
            part = torch.arange(3, device=device).view(3, 1, 1, 1)
            head = torch.arange(heads, device=device).view(1, 1, heads, 1)
            gather_in = (token.view(1, b, 1, n) * (3 * heads) + part * heads + head).reshape(-1)  # (3 B H N,)
            slot = self.index - self.event * n
            # Padded row of (part, event, head, slot) for every packed row (token, part, head).
            padded = ((part.view(1, 3, 1) * b + self.event.view(t, 1, 1)) * heads + head.view(1, 1, heads)) * n
            inverse_in = (padded + slot.view(t, 1, 1)).reshape(-1)  # (3 T H,)
            gather_out = ((self.event.unsqueeze(1) * heads + head.view(1, heads)) * n + slot.unsqueeze(1)).reshape(-1)
            inverse_out = torch.full((b * heads * n,), t * heads, dtype=torch.long, device=device)
            inverse_out[gather_out] = torch.arange(t * heads, device=device)
            self._head_rows[heads] = ((gather_in, inverse_in, False), (gather_out, inverse_out, True))
        return self._head_rows[heads]


class _GatherRows(torch.autograd.Function):
    """out = source[index]; grad source = grad out[inverse] (with ``zero``: index len(out) = zero)."""

    @staticmethod
    def forward(ctx, source: Tensor, index: Tensor, inverse: Tensor, zero: bool) -> Tensor:
        ctx.save_for_backward(inverse)
        ctx.zero = zero
        return source.index_select(0, index)

    @staticmethod
    def backward(ctx, grad: Tensor):
        (inverse,) = ctx.saved_tensors
        if ctx.zero:
            grad = torch.cat([grad, grad.new_zeros(1, *grad.shape[1:])])
        return grad.index_select(0, inverse), None, None, None


def gather_rows(source: Tensor, maps: tuple[Tensor, Tensor, bool]) -> Tensor:
    """``source[index]`` for ``maps`` = (index, inverse, zero), with a backward that is a gather too:
    ``inverse`` holds, for each source row, the one output row that carries its gradient (with
    ``zero``: len(index) for none). ``index_select``'s own backward, an ``index_add_``, loops over
    the rows on CPU."""
    return _GatherRows.apply(source, *maps)
