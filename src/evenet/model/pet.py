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

from evenet.model.attention import MultiHeadAttention, attention_mask
from evenet.model.config import BodyConfig
from evenet.model.layers import EventFeatureDrop, FeedForward, FourierTimeEmbedding, LayerScale, StochasticDepth

# Padding objects are moved this far away in every coordinate so that they are
# never the nearest neighbours of a real object (unless an event has fewer than k+1).
PADDING_SHIFT = 999.0


class EdgeConvBlock(nn.Module):
    """EdgeConv (Wang et al. 2019): mean over the k nearest neighbours of MLP([f_j - f_i, f_i])."""

    def __init__(self, input_dim: int, dim: int, k: int):
        super().__init__()
        self.k = k
        self.mlp = nn.Sequential(
            nn.Linear(2 * input_dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim), nn.GELU()
        )

    def forward(self, points: Tensor, features: Tensor) -> Tensor:
        b, n, c = features.shape
        squared = (points * points).sum(dim=-1, keepdim=True)
        distance = squared - 2.0 * points @ points.transpose(1, 2) + squared.transpose(1, 2) + 1e-5
        # k + 1 nearest, the closest one being the object itself.
        neighbours = torch.topk(-distance, k=self.k + 1, dim=-1).indices[:, :, 1:]
        flat = neighbours + (torch.arange(b, device=features.device) * n).view(b, 1, 1)
        gathered = features.reshape(b * n, c)[flat]
        centre = features.unsqueeze(2).expand_as(gathered)
        return self.mlp(torch.cat([gathered - centre, centre], dim=-1)).mean(dim=2)


class LocalEdgeEmbedding(nn.Module):
    """Stack of EdgeConv blocks; the neighbourhood of layer l > 0 is found in layer l-1's features."""

    def __init__(self, num_features: int, dim: int, k: int, num_layers: int):
        super().__init__()
        self.blocks = nn.ModuleList(
            EdgeConvBlock(num_features if i == 0 else dim, dim, k) for i in range(num_layers)
        )

    def forward(self, features: Tensor, points: Tensor, mask: Tensor) -> Tensor:
        """``features``: (B, N, F); ``points``: (B, N, P) coordinates of the first kNN; ``mask``: (B, N, 1)."""
        shift = PADDING_SHIFT * (1.0 - mask)
        for block in self.blocks:
            features = block(points + shift, features)
            points = features
        return features * mask


class PETBlock(nn.Module):
    """Pre-norm transformer block: x + LS(attn(LN x)), then + LS(MLP(LN x)); each norm computed once."""

    def __init__(self, dim: int, num_heads: int, dropout: float, drop_path: float, layer_scale_init: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = MultiHeadAttention(dim, num_heads, dropout)
        self.scale1 = LayerScale(dim, layer_scale_init)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = FeedForward(dim, dropout)
        self.scale2 = LayerScale(dim, layer_scale_init)
        self.drop_path = StochasticDepth(drop_path)

    def forward(self, x: Tensor, mask: Tensor, attn_mask: Tensor) -> Tensor:
        x = x + self.drop_path(self.scale1(self.attn(self.norm1(x), attn_mask)) * mask)
        x = x + self.drop_path(self.scale2(self.mlp(self.norm2(x))) * mask)
        return x * mask


class Adapter(nn.Module):
    """Bottleneck adapter (Houlsby et al. 2019) for parameter-efficient fine-tuning; starts as identity."""

    def __init__(self, dim: int, bottleneck: int, dropout: float):
        super().__init__()
        self.down = nn.Linear(dim, bottleneck, bias=False)
        self.up = nn.Linear(bottleneck, dim, bias=False)
        self.dropout = nn.Dropout(dropout)
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

    def forward(self, features: Tensor, mask: Tensor, object_time: Tensor, allowed: Tensor | None = None) -> Tensor:
        """``features``: (B, N, F) normalised (zero in padding); ``mask``: (B, N) bool;
        ``object_time``: (B, N) diffusion time per object (0 for clean objects);
        ``allowed``: optional (N, N) or (B, N, N) bool, True where query i may attend to key j."""
        m = mask.unsqueeze(-1).to(features.dtype)
        encoded = self.embed(self.feature_drop(features))
        scale, shift = self.time_film(self.time_embed(object_time) * m).chunk(2, dim=-1)
        encoded = encoded * (1.0 + scale) + shift
        if self.local is not None:
            encoded = encoded + self.local(features, features[..., self.point_index], m)
        skip = encoded
        attn_mask = attention_mask(mask, allowed)
        for i, block in enumerate(self.blocks):
            encoded = block(encoded, m, attn_mask)
            if self.adapters is not None:
                encoded = self.adapters[i](encoded) * m
        return encoded + skip
