"""Event-global embedding and the object encoder that fuses objects, globals and an event token."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from evenet.model.attention import MultiHeadAttention, additive, attention_mask
from evenet.model.config import BodyConfig, EncoderConfig
from evenet.model.layers import FeedForward, GatedMLPBlock, GRUGate
from evenet.model.packing import Packing


class GlobalEmbedding(nn.Module):
    """Gated MLP stack embedding the event globals: widths initial, 2x, 4x, ... up to ``dim``."""

    def __init__(self, num_globals: int, config: BodyConfig):
        super().__init__()
        widths = [num_globals, config.global_initial_dim]
        for _ in range(config.global_layers):
            if 2 * widths[-1] > config.dim:
                break
            widths.append(2 * widths[-1])
        widths.append(config.dim)
        self.layers = nn.ModuleList(
            GatedMLPBlock(a, b, config.global_hidden_scale, config.dropout, gated=True)
            for a, b in zip(widths[:-1], widths[1:])
        )

    def forward(self, globals_: Tensor) -> Tensor:
        """(B, G) normalised globals -> (B, D)."""
        x = globals_
        for layer in self.layers:
            x = layer(x)
        return x


class GatedTransformerLayer(nn.Module):
    """GTrXL layer: attention merged by a GRU gate, then a gated MLP block."""

    def __init__(self, dim: int, heads: int, hidden_scale: float, dropout: float):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.attn = MultiHeadAttention(dim, heads, dropout)
        self.gate = GRUGate(dim)
        self.ffn = GatedMLPBlock(dim, dim, hidden_scale, dropout, gated=True)

    def forward(self, x: Tensor, attn_mask: Tensor, packing: Packing) -> Tensor:
        """``x``: (T, D) packed tokens of ``packing``."""
        return self.ffn(self.gate(self.attn(self.norm(x), attn_mask, packing=packing), x))


class ObjectEncoder(nn.Module):
    """Objects and the global token, tagged by a learned type embedding, refined by gated
    MLPs and a gated transformer together with a learned event token.

    Returns (object tokens (B, N, D), event token (B, D)).
    """

    def __init__(self, dim: int, config: EncoderConfig):
        super().__init__()
        self.object_type = nn.Parameter(torch.randn(config.position_dim))
        self.global_type = nn.Parameter(torch.randn(config.position_dim))
        self.merge = GatedMLPBlock(dim + config.position_dim, dim, 1.0, 0.0, gated=False)
        self.refine = nn.ModuleList(
            GatedMLPBlock(dim, dim, 2.0, config.dropout, gated=True) for _ in range(config.embedding_layers)
        )
        self.event_token = nn.Parameter(torch.randn(dim))
        self.layers = nn.ModuleList(
            GatedTransformerLayer(dim, config.heads, config.hidden_scale, config.dropout)
            for _ in range(config.layers)
        )
        # One post-norm MLP shared by every layer (as in the released network).
        self.post_norm = nn.LayerNorm(dim)
        self.post_mlp = FeedForward(dim, config.dropout)

    def forward(self, tokens: Tensor, mask: Tensor, global_token: Tensor) -> tuple[Tensor, Tensor]:
        """Every layer runs on the valid objects, the global token and the event token only;
        object tokens are zero in padding."""
        b, n, _ = tokens.shape
        objects = torch.cat([tokens, self.object_type.expand(b, n, -1)], dim=-1)
        globals_ = torch.cat([global_token, self.global_type.expand(b, -1)], dim=-1).unsqueeze(1)
        inner = Packing(torch.cat([mask, mask.new_ones(b, 1)], dim=1))  # objects, global token
        seq = self.merge(inner.pack(torch.cat([objects, globals_], dim=1)))
        for block in self.refine:
            seq = block(seq)
        full = Packing(torch.cat([mask.new_ones(b, 1), inner.mask], dim=1))  # event token first
        seq = full.pack(torch.cat([self.event_token.expand(b, 1, -1), inner.unpack(seq)], dim=1))
        attn_mask = additive(attention_mask(full.mask))
        for layer in self.layers:
            seq = seq + layer(seq, attn_mask, full)
            seq = seq + self.post_mlp(self.post_norm(seq))
        seq = full.unpack(seq)
        return seq[:, 1 : 1 + n], seq[:, 0]
