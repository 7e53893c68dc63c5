"""Event classification head: class-attention of the event token over the objects, then a gated MLP.

Loss (EveNet paper Eq. 1): cross entropy on the clean event plus, when the
model also ran a noise-perturbed pass at diffusion time t, alpha(t)^2 times the
cross entropy on the perturbed event, so lightly noised events teach the
classifier and heavily noised ones (alpha -> 0) do not.

Parameterised classification (``num_parameters`` > 0, Baldi et al. arXiv:1601.07913):
the hypothesis the event is tested against (e.g. (M_X, M_Y), from
``INPUTS/Parameters/data``) is embedded by a small MLP and added to the event token
before the head reads the objects. Parameters enter as sign(p) log(1 + |p|), so
masses of a few GeV to TeV are of order one.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from evenet.model.attention import MultiHeadAttention, attention_mask
from evenet.model.config import ClassificationConfig
from evenet.model.layers import FeedForward, GatedMLPBlock, bridge


class ClassificationHead(nn.Module):
    def __init__(self, hidden_dim: int, num_classes: int, config: ClassificationConfig = ClassificationConfig(),
                 class_weights: list[float] | None = None, num_parameters: int = 0):
        super().__init__()
        self.num_parameters = int(num_parameters)
        self.parameter_embedding = (
            nn.Sequential(nn.Linear(self.num_parameters, hidden_dim), nn.GELU(), nn.Linear(hidden_dim, hidden_dim))
            if self.num_parameters else None
        )
        self.attn_norm = nn.LayerNorm(hidden_dim)
        self.attn = MultiHeadAttention(hidden_dim, config.heads, config.dropout)
        self.update_norm = nn.LayerNorm(hidden_dim)
        self.mlp_norm = nn.LayerNorm(hidden_dim)
        self.mlp = FeedForward(hidden_dim, config.dropout)
        self.project = bridge(hidden_dim, config.dim)
        self.blocks = nn.ModuleList(
            GatedMLPBlock(config.dim, config.dim, 2.0, config.dropout, gated=True) for _ in range(config.layers)
        )
        self.batch_norm = nn.BatchNorm1d(config.dim)
        self.output = nn.Linear(config.dim, num_classes)
        self.register_buffer(
            "class_weights", torch.tensor(class_weights if class_weights else [1.0] * num_classes)
        )

    def forward(self, tokens: Tensor, mask: Tensor, event: Tensor, parameters: Tensor | None = None) -> dict[str, Tensor]:
        """``tokens`` (B, N, D), ``mask`` (B, N) bool, ``event`` (B, D), ``parameters`` (B, P)
        for a parameterised head -> {"logits": (B, C)}."""
        if self.parameter_embedding is not None:
            if parameters is None or parameters.shape[-1] != self.num_parameters:
                got = None if parameters is None else parameters.shape[-1]
                raise ValueError(f"classification head expects {self.num_parameters} parameters per event, got {got}")
            p = parameters.to(event.dtype)
            event = event + self.parameter_embedding(torch.sign(p) * torch.log1p(p.abs()))
        query = event.unsqueeze(1)
        update = self.attn(query, attention_mask(mask, num_queries=1), context=self.attn_norm(tokens))
        summary = self.update_norm(update) + query
        h = self.project(event + self.mlp(self.mlp_norm(summary)).squeeze(1)).unsqueeze(1)
        for block in self.blocks:
            h = block(h)
        return {"logits": self.output(self.batch_norm(h.squeeze(1))).float()}

    def _cross_entropy(self, logits: Tensor, labels: Tensor, weight: Tensor, scale: Tensor | float = 1.0) -> Tensor:
        """Class- and event-weighted mean of ``scale`` x CE (the normalisation ignores ``scale``)."""
        per_event = F.cross_entropy(logits, labels.clamp(min=0), weight=self.class_weights, reduction="none")
        valid = (labels >= 0).to(logits.dtype)
        norm = (self.class_weights[labels.clamp(min=0)] * valid * weight).sum().clamp(min=1e-12)
        return (per_event * scale * valid * weight).sum() / norm

    def loss(self, outputs: Mapping[str, Tensor], targets: Tensor, event_weight: Tensor | None = None) -> Tensor:
        """``targets``: LongTensor (B,) class index, -1 = ignore; ``event_weight``: (B,) or None."""
        weight = torch.ones_like(outputs["logits"][:, 0]) if event_weight is None else event_weight.float()
        total = self._cross_entropy(outputs["logits"], targets, weight)
        if "logits_noised" in outputs:
            total = total + self._cross_entropy(outputs["logits_noised"], targets, weight, outputs["alpha"] ** 2)
        return total
