"""Sampling API: inpainting leaves clean objects and padding alone; shapes and units."""

from __future__ import annotations

import torch
from model_fixtures import ALL_HEADS, normalization

from evenet.model.network import build_model
from evenet.model.sampling import sample_event_quantities, sample_invisible, sample_objects


def test_sampling_api(batch):
    torch.manual_seed(0)
    model = build_model("tiny", ALL_HEADS, normalization()).eval()
    g = torch.Generator().manual_seed(0)
    noise_mask = batch["source_mask"] & (torch.arange(18) < 3)
    out = sample_objects(model, batch, noise_mask, steps=4, generator=g)
    keep = batch["source_mask"] & ~noise_mask
    assert torch.equal(out[keep], batch["source"][keep])
    assert (out[~batch["source_mask"]] == 0).all()
    assert not torch.allclose(out[noise_mask], batch["source"][noise_mask])
    assert (out[noise_mask][:, :2] >= 0).all()  # log1p features come back as energies / pt >= 0

    full = sample_objects(model, batch, steps=4, sampler="ddim", generator=g)
    assert torch.isfinite(full).all() and (full[~batch["source_mask"]] == 0).all()

    inv = sample_invisible(model, batch, batch["invisible_mask"], steps=4, generator=g)
    assert inv.shape == batch["invisible"].shape and (inv[~batch["invisible_mask"]] == 0).all()

    event = sample_event_quantities(model, batch, steps=4, generator=g)
    assert event["multiplicity"].shape == (6,) and event["globals"].shape == (6, 2)
