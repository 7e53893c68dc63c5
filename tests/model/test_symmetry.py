"""Permutation equivariance of per-object outputs, invariance of event outputs, and
independence from whatever sits in padding slots."""

from __future__ import annotations

import pytest
import torch

from evenet.model.network import build_model

from model_fixtures import ALL_HEADS, make_batch, normalization


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = build_model("tiny", ALL_HEADS, normalization())
    # Push LayerScale gammas (init 1e-5) to O(1) so that every block matters in these checks.
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.endswith("gamma"):
                p.fill_(0.5)
    return m.eval()


def _outputs(model, batch, x_t, t):
    with torch.no_grad():
        norm = model.normalize(batch)
        tokens, event = model.encode(norm["source"], norm["mask"], norm["globals"])
        return {
            "tokens": tokens,
            "event": event,
            "logits": model.predict(batch)["classification"]["logits"],
            "v_objects": model.point_cloud_velocity(x_t, t, norm, norm["mask"] & (torch.arange(18) % 2 == 0)),
            "v_invisible": model.invisible_velocity(batch["invisible"] * 0.01, t, norm, norm["invisible_mask"]),
        }


def _permute(batch, perm):
    out = dict(batch)
    out["source"] = batch["source"][:, perm]
    out["source_mask"] = batch["source_mask"][:, perm]
    return out


def test_permutation(model, batch):
    g = torch.Generator().manual_seed(3)
    perm = torch.randperm(18, generator=g)
    x_t = torch.randn(batch["source"].shape, generator=g) * batch["source_mask"][..., None]
    t = torch.full((batch["source"].shape[0],), 0.4)
    ref = _outputs(model, batch, x_t, t)
    # Noise the same objects in both orderings: the noise mask travels with the objects.
    permuted = _permute(batch, perm)
    with torch.no_grad():
        norm = model.normalize(permuted)
        noise_mask = (norm["mask"] & (torch.arange(18) % 2 == 0)[perm])
        v_perm = model.point_cloud_velocity(x_t[:, perm], t, norm, noise_mask)
    new = _outputs(model, permuted, x_t[:, perm], t)
    m = batch["source_mask"][:, perm]
    assert torch.allclose(new["tokens"][m], ref["tokens"][:, perm][m], atol=1e-5)
    assert torch.allclose(new["event"], ref["event"], atol=1e-5)
    assert torch.allclose(new["logits"], ref["logits"], atol=1e-5)
    assert torch.allclose(v_perm, ref["v_objects"][:, perm], atol=1e-5)
    assert torch.allclose(new["v_invisible"], ref["v_invisible"], atol=1e-5)
    assert not torch.allclose(ref["logits"][0], ref["logits"][1], atol=1e-3)  # outputs do depend on the event


def test_padding_content_is_ignored(model, batch):
    g = torch.Generator().manual_seed(4)
    x_t = torch.randn(batch["source"].shape, generator=g) * batch["source_mask"][..., None]
    t = torch.full((batch["source"].shape[0],), 0.7)
    ref = _outputs(model, batch, x_t, t)
    dirty = dict(batch)
    garbage = 1e3 * torch.rand(batch["source"].shape, generator=g)
    dirty["source"] = torch.where(batch["source_mask"][..., None], batch["source"], garbage)
    dirty_x_t = torch.where(batch["source_mask"][..., None], x_t, garbage)
    new = _outputs(model, dirty, dirty_x_t, t)
    m = batch["source_mask"]
    for key in ("event", "logits", "v_invisible"):
        assert torch.allclose(new[key], ref[key], atol=1e-5), key
    assert torch.allclose(new["tokens"][m], ref["tokens"][m], atol=1e-5)
    assert torch.allclose(new["v_objects"], ref["v_objects"], atol=1e-5)
    assert (ref["v_objects"][~m] == 0).all()


def test_event_with_one_object_is_finite(model):
    batch = make_batch(batch=2)
    batch["source_mask"][:, 1:] = False
    batch["source"] = batch["source"] * batch["source_mask"][..., None]
    logits = model.predict(batch)["classification"]["logits"]
    assert torch.isfinite(logits).all()
