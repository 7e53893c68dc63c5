"""Segmentation head: learnable queries decoded against the encoded objects (DETR / Mask2Former).

Each of Q queries predicts a class (0 = "no object", 1..C = segment classes, e.g. one per
resonance kind) and a mask over the objects. A decoder layer is masked cross-attention to
the objects (each query sees the objects its previous mask prediction selects, Mask2Former),
self-attention among the queries, and a feed-forward block, all pre-norm; attention runs through
``scaled_dot_product_attention`` with boolean masks. Training matches queries to the target
segments by the Hungarian algorithm and applies (EveNet Eq. 3) a class-reweighted
cross-entropy over all queries plus sigmoid-focal and dice mask losses over the matched ones.

Outputs: ``class_logits`` float[B, Q, C+1], ``mask_logits`` float[B, Q, N], ``object_mask``
bool[B, N], and with deep supervision ``aux_class_logits`` [L, B, Q, C+1] / ``aux_mask_logits``
[L, B, Q, N] (the predictions before each decoder layer).
Targets: ``classes`` long[B, M] (0 marks padding targets), ``masks`` bool[B, M, N], M <= Q
(``segmentation_targets`` builds them from assignment targets, one segment per resonance).
Config: ``SegmentationHead(hidden_dim=D, num_classes=C, num_queries=8, num_layers=2, num_heads=4,
dropout=0, masked_attention=True, deep_supervision=True, focal_alpha=0.25, focal_gamma=2,
class_loss_weight=1, focal_loss_weight=1, dice_loss_weight=1, null_class_weight=0.1,
class_weights=None)``; ``class_weights`` (C+1 values, "no object" first) overrides the default
[null_class_weight, 1, ..., 1], e.g. inverse class frequencies from the training set.
"""
from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from evenet.errors import ConfigError
from evenet.model.attention import MultiHeadAttention
from evenet.model.heads.matching import hungarian_match
from evenet.model.heads.topology import ResonanceTopology
from evenet.model.layers import FeedForward


def sigmoid_focal_loss(logits: Tensor, targets: Tensor, alpha: float = 0.25, gamma: float = 2.0) -> Tensor:
    """Element-wise focal loss (Lin et al. 2017): -alpha_t (1 - p_t)^gamma log p_t."""
    p = logits.sigmoid()
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
    return alpha_t * (1 - p_t) ** gamma * ce


def dice_loss(logits: Tensor, targets: Tensor, valid: Tensor) -> Tensor:
    """1 - (2 sum(p t) + 1) / (sum(p) + sum(t) + 1) over the valid objects (last axis), +1 smoothing."""
    p = logits.sigmoid() * valid
    t = targets * valid
    return 1 - (2 * (p * t).sum(-1) + 1) / (p.sum(-1) + t.sum(-1) + 1)


class QueryDecoderLayer(nn.Module):
    """Masked cross-attention to the objects, self-attention among queries, feed-forward (pre-norm);
    the query positional embedding is added to the normalised queries before each attention."""

    def __init__(self, dim: int, num_heads: int, dropout: float):
        super().__init__()
        if dim % num_heads:
            raise ConfigError(f"segmentation.num_heads: {num_heads} does not divide hidden_dim {dim}")
        self.cross_norm = nn.LayerNorm(dim)
        self.cross_attention = MultiHeadAttention(dim, num_heads, dropout)
        self.self_norm = nn.LayerNorm(dim)
        self.self_attention = MultiHeadAttention(dim, num_heads, dropout)
        self.ffn_norm = nn.LayerNorm(dim)
        self.ffn = FeedForward(dim, dropout)

    def forward(self, queries: Tensor, query_pos: Tensor, memory: Tensor, allowed: Tensor) -> Tensor:
        """allowed: bool[B, 1, Q, N], True where a query may attend to an object."""
        queries = queries + self.cross_attention(self.cross_norm(queries) + query_pos, allowed, context=memory)
        queries = queries + self.self_attention(self.self_norm(queries) + query_pos, None)
        return queries + self.ffn(self.ffn_norm(queries))


class SegmentationHead(nn.Module):
    """Query-based segmentation of the objects into classes (config: see module docstring)."""

    def __init__(self, hidden_dim: int, num_classes: int, num_queries: int = 8, num_layers: int = 2,
                 num_heads: int = 4, dropout: float = 0.0, masked_attention: bool = True,
                 deep_supervision: bool = True, focal_alpha: float = 0.25, focal_gamma: float = 2.0,
                 class_loss_weight: float = 1.0, focal_loss_weight: float = 1.0, dice_loss_weight: float = 1.0,
                 null_class_weight: float = 0.1, class_weights: list[float] | None = None):
        super().__init__()
        if class_weights is None:
            class_weights = [null_class_weight] + [1.0] * num_classes
        if len(class_weights) != num_classes + 1:
            raise ConfigError(f"segmentation.class_weights: expected {num_classes + 1} values (no-object first)")
        self.num_queries = num_queries
        self.masked_attention = masked_attention
        self.deep_supervision = deep_supervision
        self.focal_alpha = focal_alpha
        self.focal_gamma = focal_gamma
        self.class_loss_weight = class_loss_weight
        self.focal_loss_weight = focal_loss_weight
        self.dice_loss_weight = dice_loss_weight
        self.register_buffer("class_weights", torch.tensor(class_weights, dtype=torch.float))
        self.query_features = nn.Parameter(torch.randn(num_queries, hidden_dim) * 0.02)
        self.query_pos = nn.Parameter(torch.randn(num_queries, hidden_dim) * 0.02)
        self.event_projection = nn.Linear(hidden_dim, hidden_dim)
        self.memory_projection = nn.Linear(hidden_dim, hidden_dim)
        self.layers = nn.ModuleList(QueryDecoderLayer(hidden_dim, num_heads, dropout) for _ in range(num_layers))
        self.output_norm = nn.LayerNorm(hidden_dim)
        self.class_embed = nn.Linear(hidden_dim, num_classes + 1)
        self.mask_embed = nn.Sequential(nn.Linear(hidden_dim, hidden_dim), nn.GELU(), nn.Linear(hidden_dim, hidden_dim))

    def _predict(self, queries: Tensor, memory: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        h = self.output_norm(queries)
        mask_logits = torch.einsum("bqd,bnd->bqn", self.mask_embed(h), memory).float()
        mask_logits = mask_logits.masked_fill(~mask[:, None, :], torch.finfo(mask_logits.dtype).min)
        return self.class_embed(h).float(), mask_logits

    def _allowed(self, mask_logits: Tensor, mask: Tensor) -> Tensor:
        """Mask2Former attention mask: the objects the query's current mask selects, falling back
        to all real objects when it selects none (and to everything in an empty event)."""
        real = mask[:, None, :].expand_as(mask_logits)
        allowed = real & (mask_logits > 0) if self.masked_attention else real
        allowed = torch.where(allowed.any(-1, keepdim=True), allowed, real)
        allowed = allowed | ~allowed.any(-1, keepdim=True)
        return allowed[:, None].detach()

    def forward(self, tokens: Tensor, mask: Tensor, event: Tensor) -> dict[str, Tensor]:
        batch = tokens.shape[0]
        memory = self.memory_projection(tokens)
        queries = self.query_features.expand(batch, -1, -1) + self.event_projection(event)[:, None, :]
        query_pos = self.query_pos.expand(batch, -1, -1)
        aux_class, aux_mask = [], []
        class_logits, mask_logits = self._predict(queries, memory, mask)
        for layer in self.layers:
            aux_class.append(class_logits)
            aux_mask.append(mask_logits)
            queries = layer(queries, query_pos, memory, self._allowed(mask_logits, mask))
            class_logits, mask_logits = self._predict(queries, memory, mask)
        out = {"class_logits": class_logits, "mask_logits": mask_logits, "object_mask": mask}
        if self.deep_supervision:
            out["aux_class_logits"] = torch.stack(aux_class)
            out["aux_mask_logits"] = torch.stack(aux_mask)
        return out

    def loss(self, outputs: Mapping[str, Tensor], targets: Mapping[str, Tensor],
             event_weight: Tensor | None = None) -> Tensor:
        return self.loss_terms(outputs, targets, event_weight)["total"]

    def loss_terms(self, outputs: Mapping[str, Tensor], targets: Mapping[str, Tensor],
                   event_weight: Tensor | None = None) -> dict[str, Tensor]:
        """Eq. 3 on the final prediction, averaged with the same loss on each auxiliary one."""
        predictions = [(outputs["class_logits"], outputs["mask_logits"])]
        if self.deep_supervision and "aux_class_logits" in outputs:
            predictions += list(zip(outputs["aux_class_logits"].unbind(0), outputs["aux_mask_logits"].unbind(0)))
        per_prediction = [
            self._set_loss(c, m, outputs["object_mask"], targets, event_weight) for c, m in predictions
        ]
        terms = {k: torch.stack([p[k] for p in per_prediction]).mean() for k in per_prediction[0]}
        terms["total"] = (self.class_loss_weight * terms["class"] + self.focal_loss_weight * terms["focal"]
                          + self.dice_loss_weight * terms["dice"])
        return terms

    def matching_cost(self, class_logits: Tensor, mask_logits: Tensor, object_mask: Tensor,
                      target_classes: Tensor, target_masks: Tensor) -> Tensor:
        """Cost float[B, Q, M] of matching query q to target m: -p(class) + focal + dice."""
        valid = object_mask[:, None, :].float()
        prob = class_logits.softmax(-1)
        class_cost = -prob.gather(2, target_classes[:, None, :].expand(-1, prob.shape[1], -1))
        t = target_masks.float() * object_mask[:, None, :]
        # Focal loss is linear in the target: t * loss(target=1) + (1 - t) * loss(target=0).
        pos = sigmoid_focal_loss(mask_logits, torch.ones_like(mask_logits), self.focal_alpha, self.focal_gamma)
        neg = sigmoid_focal_loss(mask_logits, torch.zeros_like(mask_logits), self.focal_alpha, self.focal_gamma)
        n_real = object_mask.sum(1).clamp(min=1)[:, None, None]
        focal_cost = (torch.einsum("bqn,bmn->bqm", pos * valid, t)
                      + torch.einsum("bqn,bmn->bqm", neg * valid, 1 - t)) / n_real
        p = mask_logits.sigmoid() * valid
        dice_cost = 1 - (2 * torch.einsum("bqn,bmn->bqm", p, t) + 1) / (
            p.sum(-1)[:, :, None] + t.sum(-1)[:, None, :] + 1)
        return (self.class_loss_weight * class_cost + self.focal_loss_weight * focal_cost
                + self.dice_loss_weight * dice_cost)

    def _set_loss(self, class_logits: Tensor, mask_logits: Tensor, object_mask: Tensor,
                  targets: Mapping[str, Tensor], event_weight: Tensor | None) -> dict[str, Tensor]:
        target_classes = targets["classes"].long()
        target_masks = targets["masks"].bool()
        batch, num_queries = class_logits.shape[:2]
        target_valid = target_classes > 0
        with torch.no_grad():
            cost = self.matching_cost(class_logits, mask_logits, object_mask, target_classes, target_masks)
        matched_query = hungarian_match(cost, target_valid)  # [B, M]
        weight = torch.ones(batch, device=class_logits.device) if event_weight is None else event_weight.float()

        # Class term over all queries; unmatched queries are "no object" (class 0), weights per class.
        query_class = torch.zeros(batch, num_queries, dtype=torch.long, device=class_logits.device)
        b_idx, m_idx = target_valid.nonzero(as_tuple=True)
        q_idx = matched_query[b_idx, m_idx]
        query_class[b_idx, q_idx] = target_classes[b_idx, m_idx]
        ce = F.cross_entropy(class_logits.transpose(1, 2), query_class, reduction="none")  # [B, Q]
        class_weight = self.class_weights[query_class] * weight[:, None]
        class_term = (class_weight * ce).sum() / class_weight.sum().clamp(min=1e-12)

        # Mask terms over matched (query, target) pairs only.
        logits = mask_logits[b_idx, q_idx]
        valid = object_mask[b_idx].float()
        t = target_masks[b_idx, m_idx].float() * valid
        focal = (sigmoid_focal_loss(logits, t, self.focal_alpha, self.focal_gamma) * valid).sum(-1) \
            / valid.sum(-1).clamp(min=1)
        dice = dice_loss(logits, t, valid)
        pair_weight = weight[b_idx]
        norm = pair_weight.sum().clamp(min=1e-12)
        return {"class": class_term, "focal": (pair_weight * focal).sum() / norm,
                "dice": (pair_weight * dice).sum() / norm}


def segmentation_targets(targets: Mapping[str, Tensor], topology: ResonanceTopology,
                         num_objects: int) -> dict[str, Tensor]:
    """Segmentation targets from assignment targets: one segment per resonance holding its
    reconstructed products, labelled by the resonance's segment class (0 when none was found).

    Returns ``classes`` long[B, R] and ``masks`` bool[B, R, num_objects].
    """
    classes, masks = [], []
    for resonance, label in zip(topology.resonances, topology.segment_classes()):
        products = targets[resonance.name].long()
        found = products >= 0
        one_hot = F.one_hot(products.clamp(min=0), num_objects).bool() & found[..., None]
        masks.append(one_hot.any(1))
        classes.append(torch.where(found.any(1), label, 0))
    return {"classes": torch.stack(classes, 1), "masks": torch.stack(masks, 1)}


@torch.no_grad()
def predict_segments(outputs: Mapping[str, Tensor]) -> tuple[Tensor, Tensor]:
    """Per query: the most probable class long[B, Q] (0 = no object) and its object set
    bool[B, Q, N] (mask probability > 0.5 on real objects)."""
    masks = (outputs["mask_logits"] > 0) & outputs["object_mask"][:, None, :]
    return outputs["class_logits"].argmax(-1), masks


@torch.no_grad()
def decode_segment_assignments(outputs: Mapping[str, Tensor], topology: ResonanceTopology) -> dict[str, Tensor]:
    """The segmentation head's pairing in the layout of ``decode_assignments``:
    {resonance: LongTensor[B, n_products]} (sorted object slots, -1 where too few were left).

    A segment is an unordered set of objects, so every resonance's products must be
    interchangeable. Resonances are filled in topology order; each takes the free query most
    probably of its segment class (identical resonances share a class: the most confident query
    goes to the first) and, among the objects no earlier resonance took, the n_products with the
    highest mask logits of that query. Every event gets a pairing, as with the assignment head.
    """
    for resonance in topology.resonances:
        if sorted(i for group in resonance.symmetric for i in group) != list(range(resonance.degree)):
            raise ConfigError(f"segmentation pairing: the products of resonance {resonance.name!r} are not all "
                              "interchangeable; a segment carries no product roles")
    class_prob = outputs["class_logits"].softmax(-1)
    object_mask = outputs["object_mask"]
    batch, queries = class_prob.shape[:2]
    rows = torch.arange(batch, device=class_prob.device)
    free_query = torch.ones(batch, queries, dtype=torch.bool, device=class_prob.device)
    free_object = object_mask.clone()
    result = {}
    for resonance, label in zip(topology.resonances, topology.segment_classes()):
        query = class_prob[..., label].masked_fill(~free_query, -1.0).argmax(1)
        free_query[rows, query] = False
        logits = outputs["mask_logits"][rows, query].masked_fill(~free_object, -torch.inf)
        top = logits.topk(min(resonance.degree, logits.shape[1]), dim=1)
        found = (top.values > -torch.inf).all(1) & (top.indices.shape[1] == resonance.degree)
        chosen = torch.where(found[:, None], top.indices.sort(1).values, -1)
        free_object[rows[found][:, None], top.indices[found]] = False
        result[resonance.name] = chosen
    return result
