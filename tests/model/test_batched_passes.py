"""The training forward runs its body passes (clean, noised, neutrino) in one stacked body call
(up to network.STACK_LIMIT) or one call each; either way its outputs equal those of the separate
passes (predict, point_cloud_velocity, invisible_velocity)."""

from __future__ import annotations

import pytest
import torch
from model_fixtures import ALL_HEADS, make_batch, normalization

from evenet.model.diffusion import add_noise
from evenet.model import network
from evenet.model.network import build_model


@pytest.mark.parametrize("limit", [network.STACK_LIMIT, 0], ids=["stacked", "one-call-per-pass"])
def test_batched_body_passes_equal_separate_passes(monkeypatch, limit):
    monkeypatch.setattr(network, "STACK_LIMIT", limit)
    torch.manual_seed(0)
    model = build_model("tiny", ALL_HEADS, normalization())
    with torch.no_grad():  # move LayerScale and zero-initialised layers off their initial values
        for name, p in model.named_parameters():
            p.copy_(0.3 * torch.randn_like(p)) if name.endswith("gamma") else p.add_(0.05 * torch.randn_like(p))
    model.eval()
    batch = make_batch(6, 18, seed=2)
    t = torch.linspace(0.1, 0.9, 6)
    torch.manual_seed(1)
    with torch.no_grad():
        out = model(batch, time=t, noise_prob=0.5)
        # The same draws, in the forward's order: noise mask, object noise, neutrino noise.
        torch.manual_seed(1)
        norm = model.normalize(batch)
        noise_mask = (torch.rand(norm["mask"].shape) < 0.5) & norm["mask"]
        x_t, _ = add_noise(norm["source"], t)
        x_inv, _ = add_noise(norm["invisible"], t)
        x_inv = x_inv * norm["invisible_mask"].unsqueeze(-1)
        logits = model.predict(batch)["classification"]["logits"]
        v_objects = model.point_cloud_velocity(x_t, t, norm, noise_mask)
        v_invisible = model.invisible_velocity(x_inv, t, norm, norm["invisible_mask"])
    assert 0 < int(noise_mask.sum()) < int(norm["mask"].sum())  # clean and noised objects in the noised pass
    torch.testing.assert_close(out["classification"]["logits"], logits, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out["point_cloud_generation"]["v"] * noise_mask.unsqueeze(-1), v_objects,
                               atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out["neutrino_generation"]["v"], v_invisible, atol=1e-5, rtol=1e-5)
    assert v_objects.abs().max() > 0.01 and v_invisible.abs().max() > 0.01
