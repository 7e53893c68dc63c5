"""Resonance assignment head: SPANet symmetric tensor attention with detection and multiplicity.

For a resonance with d decay products the head outputs a joint distribution over
ordered d-tuples of distinct real objects, P[b, i1, ..., id] (Shmakov et al.,
SciPost Phys. 12, 178 (2022)): each product k gets its own projection
q_k of the encoded objects, the tensor of products of the projections is
averaged over the permutation group of the decay products (so P is exactly
invariant under e.g. q1 <-> q2) and normalised by a softmax over all valid
entries (real, pairwise distinct objects). Resonances with the same decay
structure share one branch, conditioned on a learned per-resonance embedding
(plus a linear map of the resonance ``properties`` when given). Each resonance
also gets a detection logit (is it fully reconstructed, Fenton et al. 2022), and
each group of identical resonances a multiplicity classifier (how many of them
are fully reconstructed, EveNet).

Outputs (flat dict): ``assignment/<r>`` log-probabilities float[B, N, ..., N]
(-inf on invalid entries), ``detection/<r>`` logit float[B],
``multiplicity/<r1+r2>`` logits float[B, k+1] for each identical group of k >= 2.
Targets: ``{resonance: LongTensor[B, n_products]}`` of object slots, -1 = missing.
Config: ``AssignmentHead(hidden_dim=D, topology={resonances: ..., identical: ...}, num_layers=1,
num_heads=4, attention_dim=D, dropout=0, focal_gamma=0, detection_weight=1, multiplicity_weight=1,
class_balance=True)``; the topology mapping is described in ``evenet.model.heads.topology``.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from evenet.errors import ConfigError
from evenet.model.attention import MultiHeadAttention, attention_mask
from evenet.model.heads.topology import Resonance, ResonanceTopology
from evenet.model.layers import FeedForward

_AXES = "ijklmn"


def _mlp(in_dim: int, hidden_dim: int, out_dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dim, hidden_dim), nn.GELU(), nn.Linear(hidden_dim, out_dim))


def _axis_view(x: Tensor, axis: int, degree: int) -> Tensor:
    """View x[B, N] as [B, 1, .., N (at axis), .., 1] for broadcasting over a degree-d tensor."""
    shape = [x.shape[0]] + [1] * degree
    shape[1 + axis] = x.shape[1]
    return x.view(shape)


def valid_tuples(mask: Tensor, degree: int) -> Tensor:
    """bool[B, N, ..., N]: entries whose d object indices are all real and pairwise distinct."""
    valid = _axis_view(mask, 0, degree)
    for axis in range(1, degree):
        valid = valid & _axis_view(mask, axis, degree)
    n = mask.shape[1]
    distinct = ~torch.eye(n, dtype=torch.bool, device=mask.device)
    for a in range(degree):
        for b in range(a + 1, degree):
            shape = [1] * (degree + 1)
            shape[1 + a] = shape[1 + b] = n
            valid = valid & distinct.view(shape)
    return valid


class SelfAttentionBlock(nn.Module):
    """Pre-norm transformer block over the objects (padding keys masked)."""

    def __init__(self, dim: int, num_heads: int, dropout: float):
        super().__init__()
        self.attention_norm = nn.LayerNorm(dim)
        self.attention = MultiHeadAttention(dim, num_heads, dropout)
        self.ffn_norm = nn.LayerNorm(dim)
        self.ffn = FeedForward(dim, dropout)

    def forward(self, x: Tensor, allowed: Tensor) -> Tensor:
        x = x + self.attention(self.attention_norm(x), allowed)
        return x + self.ffn(self.ffn_norm(x))


class ResonanceBranch(nn.Module):
    """One SPANet branch, shared by every resonance with the same decay structure."""

    def __init__(self, hidden_dim: int, resonance: Resonance, num_layers: int, num_heads: int,
                 attention_dim: int, dropout: float):
        super().__init__()
        self.degree = resonance.degree
        if self.degree > len(_AXES):
            raise ConfigError(f"assignment: resonance {resonance.name!r} has more than {len(_AXES)} products")
        self.permutations = resonance.product_permutations()
        self.attention_dim = attention_dim
        self.condition = _mlp(2 * hidden_dim, hidden_dim, hidden_dim)
        self.encoder = nn.ModuleList(SelfAttentionBlock(hidden_dim, num_heads, dropout) for _ in range(num_layers))
        self.norm = nn.LayerNorm(hidden_dim)
        self.product_projection = nn.Linear(hidden_dim, self.degree * attention_dim)
        self.detection = _mlp(2 * hidden_dim, hidden_dim, 1)
        axes = _AXES[: self.degree]
        self.contraction = ",".join(f"b{a}x" for a in axes) + f"->b{axes}"

    def forward(self, tokens: Tensor, mask: Tensor, event: Tensor, condition: Tensor):
        """Returns log-probabilities [B, N^d], detection logits [B] and resonance vectors [B, D]."""
        cond = self.condition(torch.cat([condition, event], dim=-1))
        allowed = attention_mask(mask)
        x = tokens + cond[:, None, :]
        for block in self.encoder:
            x = block(x, allowed)
        x = torch.where(mask[..., None], self.norm(x), 0.0)
        pooled = x.sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        resonance_vector = pooled + cond
        detection = self.detection(torch.cat([pooled, cond], dim=-1)).squeeze(-1)

        b, n, _ = x.shape
        products = self.product_projection(x).view(b, n, self.degree, self.attention_dim).unbind(2)
        logits = torch.einsum(self.contraction, *products).float() / math.sqrt(self.attention_dim)
        # Average over the decay-product permutation group: exact symmetry (SPANet symmetric tensor attention).
        logits = sum(logits.permute(0, *(1 + p for p in perm)) for perm in self.permutations) / len(
            self.permutations
        )
        valid = valid_tuples(mask, self.degree)
        masked = logits.masked_fill(~valid, torch.finfo(logits.dtype).min)
        log_prob = masked.flatten(1).log_softmax(-1).view_as(logits).masked_fill(~valid, -math.inf)
        return log_prob, detection, resonance_vector


class AssignmentHead(nn.Module):
    """SPANet-style assignment for every resonance of a topology (outputs, targets, config: module docstring)."""

    def __init__(self, hidden_dim: int, topology, num_layers: int = 1, num_heads: int = 4,
                 attention_dim: int | None = None, dropout: float = 0.0, focal_gamma: float = 0.0,
                 detection_weight: float = 1.0, multiplicity_weight: float = 1.0, class_balance: bool = True):
        super().__init__()
        if hidden_dim % num_heads:
            raise ConfigError(f"assignment.num_heads: {num_heads} does not divide hidden_dim {hidden_dim}")
        self.topology = ResonanceTopology.from_config(topology)
        self.focal_gamma = focal_gamma
        self.detection_weight = detection_weight
        self.multiplicity_weight = multiplicity_weight
        self.class_balance = class_balance
        resonances = self.topology.resonances
        self.resonance_embedding = nn.Parameter(0.02 * torch.randn(len(resonances), hidden_dim))
        if self.topology.num_properties:
            self.register_buffer("properties", torch.tensor([r.properties for r in resonances]))
            self.property_projection = nn.Linear(self.topology.num_properties, hidden_dim, bias=False)
        self.structures = self.topology.structures()
        self.branches = nn.ModuleDict({
            name: ResonanceBranch(hidden_dim, resonances[members[0]], num_layers, num_heads,
                                  attention_dim or hidden_dim, dropout)
            for name, members in self.structures.items()
        })
        self.groups = self.topology.identical_groups()
        self.multiplicity = nn.ModuleDict({
            self._group_name(g): _mlp(hidden_dim, hidden_dim, len(g) + 1) for g in self.groups if len(g) > 1
        })
        self.register_buffer("balance_weights", torch.ones(math.prod(len(g) + 1 for g in self.groups)))
        self.register_buffer("balance_from_dataset", torch.tensor(False))

    def _group_name(self, group) -> str:
        return "+".join(self.topology.names[i] for i in group)

    def resonance_conditions(self) -> Tensor:
        cond = self.resonance_embedding
        if self.topology.num_properties:
            cond = cond + self.property_projection(self.properties)
        return cond

    def forward(self, tokens: Tensor, mask: Tensor, event: Tensor) -> dict[str, Tensor]:
        batch = tokens.shape[0]
        names = self.topology.names
        conditions = self.resonance_conditions()
        vectors: dict[int, Tensor] = {}
        out: dict[str, Tensor] = {}
        for structure, members in self.structures.items():
            # Resonances sharing a branch run as one stacked batch [k*B, ...].
            k = len(members)
            log_prob, detection, vector = self.branches[structure](
                tokens.repeat(k, 1, 1), mask.repeat(k, 1), event.repeat(k, 1),
                conditions[members].repeat_interleave(batch, 0),
            )
            for j, r in enumerate(members):
                out[f"assignment/{names[r]}"] = log_prob[j * batch:(j + 1) * batch]
                out[f"detection/{names[r]}"] = detection[j * batch:(j + 1) * batch]
                vectors[r] = vector[j * batch:(j + 1) * batch]
        for group in self.groups:
            if len(group) > 1:
                pooled = torch.stack([vectors[r] for r in group]).sum(0)
                out[f"multiplicity/{self._group_name(group)}"] = self.multiplicity[self._group_name(group)](pooled)
        return out

    def reconstruction_pattern(self, reconstructable: Tensor) -> Tensor:
        """Class index [B] of an event's partial-reconstruction pattern: the number of fully
        reconstructed resonances in each identical group (invariant under the event symmetry)."""
        index = torch.zeros_like(reconstructable[:, 0], dtype=torch.long)
        for group in self.groups:
            index = index * (len(group) + 1) + reconstructable[:, list(group)].sum(1)
        return index

    @torch.no_grad()
    def set_class_balance(self, pattern_counts: Tensor) -> None:
        """Fix the class-balance weights from dataset counts per reconstruction pattern
        (``torch.bincount(head.reconstruction_pattern(...), minlength=...)`` over the training set)."""
        self.balance_weights.copy_(class_balance_weights(pattern_counts.to(self.balance_weights)))
        self.balance_from_dataset.fill_(True)

    def loss(self, outputs: Mapping[str, Tensor], targets: Mapping[str, Tensor],
             event_weight: Tensor | None = None) -> Tensor:
        return self.loss_terms(outputs, targets, event_weight)["total"]

    def loss_terms(self, outputs: Mapping[str, Tensor], targets: Mapping[str, Tensor],
                   event_weight: Tensor | None = None) -> dict[str, Tensor]:
        """EveNet Eq. 2: per event, the minimum over resonance swaps of the summed assignment
        cross-entropies (plus detection BCE), weighted by the inverse frequency of the event's
        reconstruction pattern; plus the multiplicity cross-entropy of each identical group."""
        names = self.topology.names
        missing = [n for n in names if n not in targets]
        if missing:
            raise ConfigError(f"assignment targets: missing resonance {missing[0]!r}")
        target = [targets[n].long() for n in names]
        recon = torch.stack([(t >= 0).all(1) for t in target], dim=1)  # [B, R]

        assignment_nll: dict[tuple[int, int], Tensor] = {}
        detection_bce: dict[tuple[int, int], Tensor] = {}

        def pair_losses(r: int, s: int):
            if (r, s) not in assignment_nll:
                log_prob = outputs[f"assignment/{names[r]}"]
                assignment_nll[r, s] = self._assignment_nll(log_prob, target[s], recon[:, s], r)
                detection_bce[r, s] = F.binary_cross_entropy_with_logits(
                    outputs[f"detection/{names[r]}"], recon[:, s].to(log_prob.dtype), reduction="none"
                )
            return assignment_nll[r, s], detection_bce[r, s]

        per_permutation_assign, per_permutation_detect = [], []
        for perm in self.topology.event_permutations():
            pairs = [pair_losses(r, s) for r, s in enumerate(perm)]
            per_permutation_assign.append(sum(p[0] for p in pairs))
            per_permutation_detect.append(sum(p[1] for p in pairs))
        assign = torch.stack(per_permutation_assign)  # [S, B]
        detect = torch.stack(per_permutation_detect)
        best = (assign + self.detection_weight * detect).argmin(0, keepdim=True)
        assign = assign.gather(0, best)[0]
        detect = detect.gather(0, best)[0]

        weight = self._event_weights(recon, event_weight)
        n_reconstructed = recon.sum(1).to(weight.dtype)
        terms = {
            "assignment": (weight * assign).sum() / (weight * n_reconstructed).sum().clamp(min=1e-12),
            "detection": (weight * detect).sum() / (weight.sum() * len(names)).clamp(min=1e-12),
        }
        multiplicity = [
            F.cross_entropy(outputs[f"multiplicity/{self._group_name(g)}"], recon[:, list(g)].sum(1), reduction="none")
            for g in self.groups if len(g) > 1
        ]
        terms["multiplicity"] = (
            (weight * torch.stack(multiplicity).mean(0)).sum() / weight.sum().clamp(min=1e-12)
            if multiplicity else torch.zeros((), device=weight.device)
        )
        terms["total"] = (terms["assignment"] + self.detection_weight * terms["detection"]
                          + self.multiplicity_weight * terms["multiplicity"])
        return terms

    def _assignment_nll(self, log_prob: Tensor, target: Tensor, reconstructable: Tensor, r: int) -> Tensor:
        """-log P(unordered target tuple) [B], focal-scaled; zero where not reconstructable."""
        batch, n = log_prob.shape[0], log_prob.shape[1]
        degree = target.shape[1]
        strides = torch.tensor([n ** (degree - 1 - k) for k in range(degree)], device=target.device)
        flat = (target.clamp(min=0) * strides).sum(1)
        picked = log_prob.reshape(batch, -1).gather(1, flat[:, None])[:, 0]
        # The symmetric tensor splits the probability of one unordered assignment over |G| orderings.
        group_size = len(self.topology.resonances[r].product_permutations())
        picked = torch.where(reconstructable, picked + math.log(group_size), torch.zeros_like(picked))
        if not torch.isfinite(picked).all():
            name = self.topology.names[r]
            raise ValueError(f"assignment targets: a {name!r} target points at a padding slot or repeats an object")
        nll = -picked
        if self.focal_gamma:
            nll = nll * (1 - picked.exp()).clamp(min=0) ** self.focal_gamma
        return nll

    def _event_weights(self, recon: Tensor, event_weight: Tensor | None) -> Tensor:
        weight = torch.ones(recon.shape[0], device=recon.device) if event_weight is None else event_weight.float()
        if not self.class_balance:
            return weight
        pattern = self.reconstruction_pattern(recon)
        if bool(self.balance_from_dataset):
            table = self.balance_weights
        else:
            table = class_balance_weights(torch.bincount(pattern, minlength=self.balance_weights.numel()).float())
        return weight * table[pattern]


def class_balance_weights(counts: Tensor) -> Tensor:
    """Inverse-frequency weights per class, normalised so that the weighted count equals the
    total: w_c = N / (n_classes_present * N_c) (SPANet's partial-event balancing)."""
    counts = counts.float()
    present = counts > 0
    weights = torch.zeros_like(counts)
    weights[present] = counts.sum() / (present.sum() * counts[present])
    return weights


def _canonical(indices: Tensor, resonance: Resonance) -> Tensor:
    """Sort the object indices within each set of interchangeable products."""
    indices = indices.clone()
    for group in resonance.symmetric:
        cols = list(group)
        indices[:, cols] = indices[:, cols].sort(1).values
    return indices


@torch.no_grad()
def decode_assignments(outputs: Mapping[str, Tensor], topology: ResonanceTopology) -> dict[str, Tensor]:
    """Best non-overlapping object indices per resonance, {name: LongTensor[B, n_products]}.

    Greedy, as in SPANet: repeatedly take the resonance whose best remaining tuple is the most
    probable, assign it, and forbid its objects to the others. Indices within a symmetric set are
    sorted; -1 where no valid tuple was left (too few objects).
    """
    names = topology.names
    log_probs = [outputs[f"assignment/{n}"] for n in names]
    batch, n = log_probs[0].shape[:2]
    device = log_probs[0].device
    used = torch.zeros(batch, n, dtype=torch.bool, device=device)
    done = torch.zeros(batch, len(names), dtype=torch.bool, device=device)
    result = [torch.full((batch, r.degree), -1, dtype=torch.long, device=device) for r in topology.resonances]
    rows = torch.arange(batch, device=device)
    for _ in names:
        best_value, best_index = [], []
        for r, log_prob in enumerate(log_probs):
            free = valid_tuples(~used, log_prob.dim() - 1)
            value, index = log_prob.masked_fill(~free, -math.inf).flatten(1).max(1)
            best_value.append(value.masked_fill(done[:, r], -math.inf))
            best_index.append(index)
        values = torch.stack(best_value, 1)  # [B, R]
        chosen = values.masked_fill(done, -math.inf).argmax(1)
        found = values[rows, chosen] > -math.inf
        for r, resonance in enumerate(topology.resonances):
            take = (chosen == r) & ~done[:, r]
            degree = resonance.degree
            strides = torch.tensor([n ** (degree - 1 - k) for k in range(degree)], device=device)
            objects = (best_index[r][:, None] // strides) % n
            result[r] = torch.where((take & found)[:, None], objects, result[r])
            used[rows[take & found][:, None], objects[take & found]] = True
            done[:, r] |= take
    return {name: _canonical(res, resonance) for name, res, resonance in zip(names, result, topology.resonances)}


@torch.no_grad()
def assignment_correct(predicted: Mapping[str, Tensor], targets: Mapping[str, Tensor],
                       topology: ResonanceTopology) -> tuple[Tensor, Tensor]:
    """Per-resonance correctness, modulo product symmetries and swaps of identical resonances.

    Returns (correct bool[B, R], reconstructable bool[B, R]); correct[b, s] is True when target
    resonance s is fully reconstructed and some prediction (under the best resonance swap) has
    exactly its products.
    """
    names = topology.names
    preds = [_canonical(predicted[n].long(), r) for n, r in zip(names, topology.resonances)]
    truth = [_canonical(targets[n].long(), r) for n, r in zip(names, topology.resonances)]
    recon = torch.stack([(t >= 0).all(1) for t in truth], 1)
    best_correct, best_score = None, None
    for perm in topology.event_permutations():
        correct = torch.zeros_like(recon)
        for r, s in enumerate(perm):
            correct[:, s] = recon[:, s] & (preds[r] == truth[s]).all(1)
        score = correct.sum(1)
        if best_correct is None:
            best_correct, best_score = correct, score
        else:
            better = score > best_score
            best_correct = torch.where(better[:, None], correct, best_correct)
            best_score = torch.maximum(score, best_score)
    return best_correct, recon


def pairing_efficiency(predicted: Mapping[str, Tensor], targets: Mapping[str, Tensor],
                       topology: ResonanceTopology) -> tuple[float, int]:
    """Fraction of fully reconstructable events (every resonance's products matched) in which every
    resonance is assigned exactly right; returns (efficiency, number of such events)."""
    correct, recon = assignment_correct(predicted, targets, topology)
    full = recon.all(1)
    n_full = int(full.sum())
    if n_full == 0:
        return float("nan"), 0
    return float(correct[full].all(1).float().mean()), n_full
