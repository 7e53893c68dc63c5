"""Padding does not change results: every layer runs on the valid objects only (packed tokens),
so the outputs for valid objects are the same whatever padding an event carries, and padded
outputs are zero. Hand-built events include ones with fewer objects than kNN neighbours (k = 3)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from model_fixtures import ALL_HEADS, make_batch, normalization

from evenet.model.network import build_model
from evenet.model.packing import Packing
from evenet.model.pet import PADDING_SHIFT, LocalEdgeEmbedding


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    model = build_model("tiny", ALL_HEADS, normalization())
    with torch.no_grad():  # move LayerScale and zero-initialised layers off their initial values
        for name, p in model.named_parameters():
            p.copy_(0.3 * torch.randn_like(p)) if name.endswith("gamma") else p.add_(0.05 * torch.randn_like(p))
    return model.eval()


def sparse_batch() -> dict[str, torch.Tensor]:
    batch = make_batch(6, 18, seed=3)
    for event, count in ((0, 1), (1, 3)):  # fewer objects than k + 1 = 4
        batch["source_mask"][event, count:] = False
        batch["source"][event, count:] = 0.0
    return batch


def relayout(batch: dict, length: int, seed: int | None) -> tuple[dict, torch.Tensor]:
    """The same events in ``length`` slots: valid objects first (seed None) or scattered in order
    among the padding. Returns the batch and the (B, 18) slot of each original slot."""
    b, n = batch["source_mask"].shape
    g = torch.Generator().manual_seed(seed or 0)
    slots = torch.empty(b, n, dtype=torch.long)
    for i in range(b):
        count = int(batch["source_mask"][i].sum())
        chosen = torch.arange(count) if seed is None else torch.randperm(length, generator=g)[:count].sort().values
        rest = torch.tensor([s for s in range(length) if s not in set(chosen.tolist())])
        slots[i] = torch.cat([chosen, rest[: n - count]])
    out = dict(batch)
    for key in ("source", "source_mask"):
        value = batch[key]
        moved = value.new_zeros(b, length, *value.shape[2:])
        moved[torch.arange(b)[:, None], slots] = value
        out[key] = moved
    return out, slots


def outputs(model, batch: dict, x_t: torch.Tensor, t: torch.Tensor, x_inv: torch.Tensor) -> dict:
    with torch.no_grad():
        norm = model.normalize(batch)
        # Inpaint every other object (counted among the valid ones), the others stay clean.
        noised = norm["mask"] & (norm["mask"].cumsum(dim=1) % 2 == 1)
        tokens, event = model.encode(norm["source"], norm["mask"], norm["globals"])
        return {
            "tokens": tokens, "event": event, "logits": model.predict(batch)["classification"]["logits"],
            "v_objects": model.point_cloud_velocity(x_t, t, norm, norm["mask"]),
            "v_inpaint": model.point_cloud_velocity(x_t, t, norm, noised),
            "v_invisible": model.invisible_velocity(x_inv, t, norm, norm["invisible_mask"]),
            "v_globals": model.globals_velocity(torch.ones(t.shape[0], 3), t, norm),
        }


@pytest.mark.parametrize("length, seed", [(25, None), (25, 7)], ids=["appended", "scattered"])
def test_valid_objects_do_not_see_padding(model, length, seed):
    batch = sparse_batch()
    g = torch.Generator().manual_seed(1)
    t = torch.linspace(0.1, 0.9, 6)
    x_t = torch.randn(6, 18, 7, generator=g) * batch["source_mask"][..., None]
    x_inv = torch.randn(6, 2, 4, generator=g) * batch["invisible_mask"][..., None]
    reference = outputs(model, batch, x_t, t, x_inv)

    moved, slots = relayout(batch, length, seed)
    moved_x_t = torch.zeros(6, length, 7)
    moved_x_t[torch.arange(6)[:, None], slots] = x_t
    result = outputs(model, moved, moved_x_t, t, x_inv)

    valid = batch["source_mask"]
    rows = torch.arange(6)[:, None].expand_as(slots)[valid]
    for key in ("tokens", "v_objects", "v_inpaint"):
        torch.testing.assert_close(result[key][rows, slots[valid]], reference[key][valid], atol=1e-5, rtol=1e-5)
        assert result[key][~moved["source_mask"]].abs().max() == 0.0, f"{key}: padding is not zero"
    for key in ("event", "logits", "v_invisible", "v_globals"):
        torch.testing.assert_close(result[key], reference[key], atol=1e-5, rtol=1e-5)


def padded_edge_reference(block_stack: LocalEdgeEmbedding, features, points, mask):
    """The kNN edge block computed on every slot (padding included), as evenet-core does."""
    m = mask.unsqueeze(-1).to(features.dtype)
    shift = PADDING_SHIFT * (1.0 - m)
    for block in block_stack.blocks:
        p = points + shift
        b, n, c = features.shape
        squared = (p * p).sum(-1, keepdim=True)
        distance = squared - 2.0 * p @ p.transpose(1, 2) + squared.transpose(1, 2) + 1e-5
        nearest = torch.topk(-distance, k=block.k + 1, dim=-1).indices[:, :, 1:]
        gathered = features.reshape(b * n, c)[nearest + (torch.arange(b) * n).view(b, 1, 1)]
        centre = features.unsqueeze(2).expand_as(gathered)
        features = block.mlp(torch.cat([gathered - centre, centre], dim=-1)).mean(dim=2)
        points = features
    return features * m


@pytest.mark.parametrize("length", [18, 6], ids=["18-slots", "6-slots"])
def test_edge_block_equals_padded_computation(length):
    """Also when N < 2k+1 slots leave a sparse event fewer than k+1 padding slots (6 slots, 2 or 3
    objects): those events get rows for every slot, as in the padded computation."""
    torch.manual_seed(0)
    block = LocalEdgeEmbedding(7, 16, 3, 3)
    counts = torch.tensor([1, 2, 3, 4, 5, 6, 3, 2])
    counts = counts.clamp(max=length) if length < 18 else torch.tensor([1, 2, 3, 5, 8, 12, 17, 18])
    mask = torch.arange(length)[None] < counts[:, None]
    features = torch.randn(len(counts), length, 7, dtype=torch.float64) * mask[..., None]
    block = block.double()
    with torch.no_grad():
        ours = Packing(mask).unpack(block(features, features[..., [2, 3]], Packing(mask)))
        theirs = padded_edge_reference(block, features, features[..., [2, 3]], mask)
    torch.testing.assert_close(ours, theirs, atol=1e-10, rtol=1e-10)
    assert F.l1_loss(theirs, torch.zeros_like(theirs)) > 0  # not trivially zero
