"""Point-edge transformer (PET) body of EveNet.

Per-object embedding of the input features, FiLM conditioning on the diffusion
time, k-nearest-neighbour edge features (first in (eta, phi), then in the
learned feature space of the previous local layer), and pre-norm transformer
blocks with LayerScale and stochastic depth over the objects.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from evenet.model.attention import MultiHeadAttention, additive, attention_mask
from evenet.model.config import BodyConfig
from evenet.model.layers import (
    Dropout, EventFeatureDrop, FeedForward, FourierTimeEmbedding, LayerScale, StochasticDepth,
)
from evenet.model.packing import Packing

# Padding objects are moved this far away in every coordinate so that they are
# never the nearest neighbours of a real object (unless an event has fewer than k+1).
PADDING_SHIFT = 999.0


class EdgeConvBlock(nn.Module):
    """EdgeConv (Wang et al. 2019): mean over the k nearest neighbours of MLP([f_j - f_i, f_i]).

    The first linear map is split, W [f_j - f_i; f_i] = W_d f_j + (W_c - W_d) f_i, so that it
    runs once per object instead of once per edge; only the second one runs per edge.
    """

    def __init__(self, input_dim: int, dim: int, k: int):
        super().__init__()
        self.k = k
        self.mlp = nn.Sequential(
            nn.Linear(2 * input_dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim), nn.GELU()
        )

    def forward(self, features: Tensor, neighbours: Tensor) -> Tensor:
        """``features``: (R, C) object rows; ``neighbours``: (R, k) row index of each row's neighbours.
        Returns (R, dim)."""
        first, second = self.mlp[0], self.mlp[2]
        # A split, not two slices: its backward is one concatenation, not two zero-filled weight-sized buffers.
        w_diff, w_centre = first.weight.chunk(2, dim=1)
        neighbour = F.linear(features, w_diff)
        centre = F.linear(features, w_centre - w_diff, first.bias)
        if neighbour.device.type == "cpu" and neighbour.dtype == torch.float32 == second.weight.dtype:
            return _EdgeMLP.apply(neighbour, centre, neighbours, second.weight, second.bias)
        hidden = F.gelu(neighbour[neighbours] + centre.unsqueeze(1))
        return F.gelu(second(hidden)).mean(dim=1)


class _EdgeMLP(torch.autograd.Function):
    """The per-edge part of :class:`EdgeConvBlock` on CPU in fp32, mean_j GELU(W GELU(n_j + c) + b),
    with the backward written out: the neighbour gather and the centre added in place, the
    mean's gradient broadcast instead of materialised per edge, the neighbours' gradients summed
    with ``index_add_`` (a third of ``index_put_(accumulate=True)``'s time on 512-float rows)."""

    @staticmethod
    def forward(ctx, neighbour, centre, neighbours, weight, bias):
        r, k = neighbours.shape
        pre = neighbour.index_select(0, neighbours.reshape(-1)).view(r, k, -1).add_(centre.unsqueeze(1))
        hidden = F.gelu(pre).view(r * k, -1)
        z = torch.addmm(bias, hidden, weight.t())
        ctx.save_for_backward(pre, hidden, z, neighbours, weight)
        ctx.rows = neighbour.shape[0]
        return F.gelu(z).view(r, k, -1).mean(dim=1)

    @staticmethod
    def backward(ctx, grad):
        pre, hidden, z, neighbours, weight = ctx.saved_tensors
        r, k = neighbours.shape
        grad = (grad / k).unsqueeze(1).expand(r, k, grad.shape[-1])
        grad_z = torch.ops.aten.gelu_backward(grad, z.view(r, k, -1)).view(r * k, -1)
        grad_hidden = torch.ops.aten.gelu_backward(grad_z.mm(weight), pre.view(r * k, -1)).view(r, k, -1)
        grad_neighbour = grad_hidden.new_zeros(ctx.rows, grad_hidden.shape[-1]).index_add_(
            0, neighbours.reshape(-1), grad_hidden.view(r * k, -1)
        )
        return grad_neighbour, grad_hidden.sum(dim=1), None, grad_z.t().mm(hidden), grad_z.sum(dim=0)


class LocalEdgeEmbedding(nn.Module):
    """Stack of EdgeConv blocks; the neighbourhood of layer l > 0 is found in layer l-1's features.

    Rows are computed for valid objects only. Padding slots are all alike (zero input, and
    from then on the output of padding neighbours), so one shared padding row stands for
    them; it matters only to events with fewer than k+1 objects, whose missing neighbours
    are padding. An event that has also fewer than k+1 padding slots (possible only when
    N < 2k+1) gets rows for all its slots, exactly as in the padded computation.
    """

    def __init__(self, num_features: int, dim: int, k: int, num_layers: int):
        super().__init__()
        self.k = k
        self.blocks = nn.ModuleList(
            EdgeConvBlock(num_features if i == 0 else dim, dim, k) for i in range(num_layers)
        )

    def forward(self, features: Tensor, points: Tensor, packing: Packing) -> Tensor:
        """``features``: (B, N, F) (zero in padding); ``points``: (B, N, P) coordinates of the first kNN.
        Returns the packed valid objects (T, dim)."""
        mask = packing.mask
        b, n = mask.shape
        rows = packing
        if n < 2 * self.k + 1:
            counts = mask.sum(dim=1)
            full = (counts < self.k + 1) & (n - counts < self.k + 1)
            if bool(full.any()):
                rows = Packing(mask | full[:, None])
        r = rows.num_tokens
        # Slot -> its row; padding slots without a row of their own -> the shared padding row r.
        lookup = torch.full((b * n,), r, dtype=torch.long, device=mask.device)
        lookup[rows.index] = torch.arange(r, device=mask.device)
        shift = PADDING_SHIFT * (~mask).unsqueeze(-1).to(features.dtype)
        padding_row = features.new_zeros(1, features.shape[-1])
        x = torch.cat([rows.pack(features), padding_row])
        coordinates = torch.cat([rows.pack(points), padding_row[:, : points.shape[-1]]])
        for block in self.blocks:
            with torch.no_grad():
                neighbours = self._neighbours(coordinates[lookup].view(b, n, -1) + shift, rows, lookup)
            x = block(x, neighbours)
            coordinates = x
        x = x[:r]
        return x if rows is packing else packing.pack(rows.unpack(x))

    def _neighbours(self, points: Tensor, rows: Packing, lookup: Tensor) -> Tensor:
        """(R + 1, k) row indices of the k nearest neighbours of each row (padding row: itself)."""
        b, n, _ = points.shape
        squared = (points * points).sum(dim=-1, keepdim=True)
        distance = squared - 2.0 * points @ points.transpose(1, 2) + squared.transpose(1, 2) + 1e-5
        # k + 1 nearest, the closest one being the object itself.
        nearest = torch.topk(-distance, k=self.k + 1, dim=-1).indices[:, :, 1:]
        flat = nearest + (torch.arange(b, device=points.device) * n).view(b, 1, 1)
        neighbours = lookup[flat.reshape(b * n, self.k).index_select(0, rows.index)]
        padding = torch.full((1, self.k), rows.num_tokens, dtype=torch.long, device=points.device)
        return torch.cat([neighbours, padding])


class PETBlock(nn.Module):
    """Pre-norm transformer block on packed tokens: x + LS(attn(LN x)), then + LS(MLP(LN x))."""

    def __init__(self, dim: int, num_heads: int, dropout: float, drop_path: float, layer_scale_init: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = MultiHeadAttention(dim, num_heads, dropout)
        self.scale1 = LayerScale(dim, layer_scale_init)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = FeedForward(dim, dropout)
        self.scale2 = LayerScale(dim, layer_scale_init)
        self.drop_path = StochasticDepth(drop_path)

    def forward(self, x: Tensor, attn_mask: Tensor, packing: Packing) -> Tensor:
        """``x``: (T, D) packed tokens of ``packing``."""
        x = self.drop_path(x, self.attn(self.norm1(x), attn_mask, packing=packing), self.scale1.gamma, packing)
        return self.drop_path(x, self.mlp(self.norm2(x)), self.scale2.gamma, packing)


class Adapter(nn.Module):
    """Bottleneck adapter (Houlsby et al. 2019) for parameter-efficient fine-tuning; starts as identity."""

    def __init__(self, dim: int, bottleneck: int, dropout: float):
        super().__init__()
        self.down = nn.Linear(dim, bottleneck, bias=False)
        self.up = nn.Linear(bottleneck, dim, bias=False)
        self.dropout = Dropout(dropout)
        nn.init.zeros_(self.up.weight)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.dropout(self.up(F.gelu(self.down(x))))


class PETBody(nn.Module):
    """The shared encoder: (B, N, F) normalised objects -> (B, N, D) tokens."""

    def __init__(self, num_features: int, config: BodyConfig):
        super().__init__()
        dim = config.dim
        self.point_index = list(config.knn_features)
        self.feature_drop = EventFeatureDrop(config.feature_drop, config.feature_drop_keep)
        self.embed = nn.Sequential(
            nn.Linear(num_features, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim), nn.GELU()
        )
        self.time_embed = FourierTimeEmbedding(dim)
        self.time_film = nn.Linear(dim, 2 * dim, bias=False)
        self.local = (
            LocalEdgeEmbedding(num_features, dim, config.knn, config.local_layers) if config.local_layers else None
        )
        self.blocks = nn.ModuleList(
            PETBlock(dim, config.heads, config.dropout, config.drop_path, config.layer_scale_init)
            for _ in range(config.layers)
        )
        self.adapters = (
            nn.ModuleList(Adapter(dim, config.adapter_bottleneck, config.dropout) for _ in range(config.layers))
            if config.adapter_bottleneck
            else None
        )

    def forward(self, features: Tensor, mask: Tensor, object_time: Tensor | None = None,
                allowed: Tensor | None = None, condition: Tensor | None = None) -> Tensor:
        """``features``: (B, N, F) normalised (zero in padding); ``mask``: (B, N) bool;
        ``object_time``: (B, N) diffusion time per object (0 for clean objects; None: all clean);
        ``allowed``: optional (N, N) or (B, N, N) bool, True where query i may attend to key j;
        ``condition``: optional (B, 2D) per-event FiLM (scale, shift) of every object's embedding,
        local edge features included, before the transformer blocks (a generation pass's
        conditions, so that they reach the layers where the objects interact).
        Returns (B, N, D), zero in padding; every layer runs on the valid objects only."""
        packing = Packing(mask)
        encoded = self.embed(packing.pack(self.feature_drop(features)))
        if object_time is not None:
            # At t = 0 the time code is exactly zero and the FiLM below the identity. Objects share
            # few times (one per event, and 0): the code is computed once per distinct time.
            times, which = torch.unique(packing.pack(object_time), return_inverse=True)
            film = self.time_film(self.time_embed(times)).index_select(0, which)
            scale, shift = film.chunk(2, dim=-1)
            encoded = encoded * (1.0 + scale) + shift
        if self.local is not None:
            encoded = encoded + self.local(features, features[..., self.point_index], packing)
        if condition is not None:
            scale, shift = packing.per_event(condition).chunk(2, dim=-1)
            encoded = encoded * (1.0 + scale) + shift
        skip = encoded
        attn_mask = additive(attention_mask(mask, allowed))
        for i, block in enumerate(self.blocks):
            encoded = block(encoded, attn_mask, packing)
            if self.adapters is not None:
                encoded = self.adapters[i](encoded)
        return packing.unpack(encoded + skip)
