"""Diffusion heads: they predict the velocity v of noised inputs (see evenet.model.diffusion).

* :class:`PointCloudDenoiser` - a small transformer decoder on top of the PET
  tokens, conditioned on the diffusion time, the event globals, the object
  multiplicity and the process label (with ``num_labels`` > 1); the conditioning
  globals also modulate the PET body of the noised pass (:meth:`PointCloudDenoiser.body_condition`):
  a condition that enters only after the body, where the objects interact, barely shapes
  how they relate to each other (the opening angle of a muon pair given its mass: the
  CATHODE generator ignored its mass condition, docs/cathode.md); used both for the
  self-supervised masked inpainting of objects and for the supervised generation of invisible
  particles (then with a position code telling the neutrino slots apart).
* :class:`GlobalDenoiser` - a FiLM-conditioned MLP for event-level quantities
  (multiplicity and chosen globals), used by the anomaly-detection analysis.

Both are trained with the masked MSE of paper Eq. 4.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from evenet.model.attention import MultiHeadAttention, additive, attention_mask
from evenet.model.config import GenerationConfig, GlobalGenerationConfig
from evenet.model.diffusion import masked_mse
from evenet.model.layers import Dropout, FourierTimeEmbedding, LayerScale, bridge
from evenet.model.packing import Packing


def label_code(label: Tensor, num_labels: int, dtype: torch.dtype) -> Tensor:
    """One-hot process label (B, num_labels); with one label every event gets the same code."""
    if num_labels == 1:
        label = torch.zeros_like(label)
    return F.one_hot(label, num_labels).to(dtype)


class DenoiserBlock(nn.Module):
    """Attention over (condition + tokens), accumulated into the condition stream."""

    def __init__(self, dim: int, heads: int, dropout: float, layer_scale_init: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = MultiHeadAttention(dim, heads, dropout)
        self.scale1 = LayerScale(dim, layer_scale_init)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.scale2 = LayerScale(dim, layer_scale_init)

    def forward(self, tokens: Tensor, cond: Tensor, attn_mask: Tensor, packing: Packing) -> Tensor:
        """``tokens``, ``cond``: (T, D) packed tokens of ``packing``."""
        h = cond + self.scale1(self.attn(self.norm1(cond + tokens), attn_mask, packing=packing))
        return h + self.scale2(self.mlp(self.norm2(h)))


class PointCloudDenoiser(nn.Module):
    def __init__(self, token_dim: int, global_dim: int, output_dim: int, num_labels: int,
                 config: GenerationConfig = GenerationConfig(), positions: bool = False,
                 body_conditions: int = 0):
        super().__init__()
        dim = config.dim
        self.num_labels = num_labels
        self.time_embed = FourierTimeEmbedding(dim)
        self.count_embed = FourierTimeEmbedding(dim)
        self.token_bridge = bridge(token_dim, dim)
        self.global_bridge = bridge(global_dim, dim)
        self.position = nn.Embedding(config.max_positions, dim) if positions else None
        self.cond_mlp = nn.Sequential(
            nn.Linear(2 * dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim), nn.GELU()
        )
        self.label_embed = nn.Linear(num_labels, dim, bias=False)
        self.blocks = nn.ModuleList(
            DenoiserBlock(dim, config.heads, config.dropout, config.layer_scale_init) for _ in range(config.layers)
        )
        self.output = nn.Linear(dim, output_dim)
        if body_conditions:
            # FiLM of the PET body's objects by the (B, body_conditions) conditioning globals; the last
            # map zero-initialised, so the body starts unchanged (and a checkpoint without it loads).
            self.body_film = nn.Sequential(nn.Linear(body_conditions, dim), nn.SiLU(), nn.Linear(dim, 2 * token_dim))
            nn.init.zeros_(self.body_film[2].weight)
            nn.init.zeros_(self.body_film[2].bias)

    def body_condition(self, globals_: Tensor) -> Tensor:
        """(B, 2 D_body) scale and shift of the PET body's object embeddings (PETBody ``condition``)
        from the normalised conditioning globals (B, G) (the others zero)."""
        return self.body_film(globals_)

    def forward(self, tokens: Tensor, mask: Tensor, global_token: Tensor, t: Tensor, label: Tensor,
                noised: Tensor | None = None, count: Tensor | None = None, allowed: Tensor | None = None) -> Tensor:
        """``tokens`` (B, N, D) from the PET body; ``mask`` (B, N) bool; ``global_token`` (B, Dg);
        ``t`` (B,); ``label`` (B,) long; ``noised`` (B, N) bool, the objects being denoised (None: the
        time code reaches every object); ``count`` (B,) normalised multiplicity or None;
        ``allowed`` optional attention restriction. Returns v (B, N, output_dim), zero in padding."""
        packing = Packing(mask)
        x = self.token_bridge(packing.pack(tokens))
        # The condition of an object depends only on its event and on whether it is noised:
        # computed once per (event, noised or not), then handed to the objects.
        time_code = self.time_embed(t)
        time_code = torch.stack([time_code * 0.0, time_code], dim=1)  # (B, 2, D): not noised, noised
        event_code = self.global_bridge(global_token).unsqueeze(1).expand(-1, 2, -1)
        cond = self.cond_mlp(torch.cat([time_code, event_code], dim=-1))
        if count is not None:
            cond = cond + self.count_embed(count).unsqueeze(1)
        cond = cond + self.label_embed(label_code(label, self.num_labels, x.dtype)).unsqueeze(1)
        flag = torch.ones_like(packing.event) if noised is None else packing.pack(noised).long()
        cond = cond.reshape(-1, cond.shape[-1]).index_select(0, 2 * packing.event + flag)
        if self.position is not None:
            # Slots being generated are numbered 1, 2, ... in order (neutrino 1, neutrino 2).
            slot = noised.to(torch.long).cumsum(dim=1)
            x = x + self.position(packing.pack(slot)) * flag.unsqueeze(-1).to(x.dtype)
        attn_mask = additive(attention_mask(mask, allowed))
        for block in self.blocks:
            cond = block(x, cond, attn_mask, packing)
        return packing.unpack(self.output(F.layer_norm(cond + x, (cond.shape[-1],))))

    @staticmethod
    def loss(outputs: Mapping[str, Tensor], targets=None, event_weight: Tensor | None = None) -> Tensor:
        """Paper Eq. 4 over the noised objects; ``targets`` unused (self-contained in ``outputs``)."""
        return masked_mse(outputs["v"], outputs["v_target"], outputs["noise_mask"], event_weight)


class ResidualDense(nn.Module):
    def __init__(self, input_dim: int, dim: int, layers: int, dropout: float, layer_scale_init: float):
        super().__init__()
        self.residual = nn.Linear(input_dim, dim)
        self.layers = nn.Sequential(*[
            nn.Sequential(nn.Linear(input_dim if i == 0 else dim, dim), nn.SiLU(), Dropout(dropout))
            for i in range(layers)
        ])
        self.scale = LayerScale(dim, layer_scale_init)

    def forward(self, x: Tensor) -> Tensor:
        return self.residual(x) + self.scale(self.layers(x))


class GlobalDenoiser(nn.Module):
    """v-prediction for event-level targets (B, T), FiLM-conditioned on time, globals and label."""

    def __init__(self, num_targets: int, condition_indices: list[int], num_labels: int,
                 config: GlobalGenerationConfig = GlobalGenerationConfig()):
        super().__init__()
        dim, width = config.dim, config.resnet_dim
        self.condition_indices = list(condition_indices)
        self.num_labels = num_labels
        self.time_embed = FourierTimeEmbedding(dim)
        if self.condition_indices:
            self.cond_embed = nn.Sequential(nn.Linear(len(self.condition_indices), dim), nn.SiLU())
        else:
            self.time_only = nn.Linear(dim, 2 * dim)
        self.label_embed = nn.Linear(num_labels, 2 * dim, bias=False)
        self.cond_mlp = nn.Sequential(nn.Linear(2 * dim, 2 * dim), nn.SiLU(), nn.Linear(2 * dim, 2 * dim), nn.SiLU())
        self.input_embed = nn.Sequential(nn.Linear(num_targets, dim), nn.SiLU())
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.LayerNorm(dim if i == 0 else width, eps=1e-6),
                ResidualDense(dim if i == 0 else width, width, config.resnet_layers, config.dropout,
                              config.layer_scale_init),
            )
            for i in range(config.layers - 1)
        )
        self.out_norm = nn.LayerNorm(width if config.layers > 1 else dim, eps=1e-6)
        self.output = nn.Linear(width if config.layers > 1 else dim, num_targets)
        nn.init.zeros_(self.output.weight)

    def forward(self, x_t: Tensor, t: Tensor, globals_: Tensor, label: Tensor) -> Tensor:
        """``x_t`` (B, T) noised targets; ``t`` (B,); ``globals_`` (B, G) normalised; ``label`` (B,)."""
        time_code = self.time_embed(t)
        if self.condition_indices:
            token = torch.cat([self.cond_embed(globals_[:, self.condition_indices]), time_code], dim=-1)
        else:
            token = self.time_only(time_code)
        cond = self.cond_mlp(token) + self.label_embed(label_code(label, self.num_labels, x_t.dtype))
        scale, shift = cond.chunk(2, dim=-1)
        h = self.input_embed(x_t) * (1.0 + scale) + shift
        for block in self.blocks:
            h = block(h)
        return self.output(self.out_norm(h))

    @staticmethod
    def loss(outputs: Mapping[str, Tensor], targets=None, event_weight: Tensor | None = None) -> Tensor:
        return masked_mse(outputs["v"].unsqueeze(1), outputs["v_target"].unsqueeze(1), None, event_weight)
