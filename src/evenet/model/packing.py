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

    def head_rows(self, heads: int) -> tuple[Tensor, Tensor]:
        """Row indices between packed and padded per-head layouts, for ``heads`` heads of width w.

        ``gather`` (3 B H N,): the rows of a packed (T, 3, H, w) projection viewed as (3 T H, w) that
        make the padded (3, B H, N, w) query, key and value; a padding slot takes the rows of token 0,
        any finite values: attention masks padding keys, and padding queries are dropped.
        ``scatter`` (T H,): the rows of a padded (B H N, w) attention output that make the packed
        (T, H, w) one."""
        if heads not in self._head_rows:
            b, n, device = self.batch, self.length, self.index.device
            token = torch.zeros(b * n, dtype=torch.long, device=device)
            token[self.index] = torch.arange(self.num_tokens, device=device)
            part = torch.arange(3, device=device).view(3, 1, 1, 1) * heads
            head = torch.arange(heads, device=device).view(1, 1, heads, 1)
            gather = token.view(1, b, 1, n) * (3 * heads) + part + head
            slot = self.index - self.event * n
            scatter = (self.event.unsqueeze(1) * heads + head.view(1, heads)) * n + slot.unsqueeze(1)
            self._head_rows[heads] = (gather.reshape(-1), scatter.reshape(-1))
        return self._head_rows[heads]
