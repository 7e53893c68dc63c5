"""Packed token layout: the valid tokens of a padded (B, N) batch, laid out flat as (T, ...).

Per-token layers (linear maps, MLPs, layer norms, gates) run on the T valid tokens
only instead of on all B x N slots; attention scatters its queries, keys and values
back to the padded layout (see :class:`evenet.model.attention.MultiHeadAttention`).
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
