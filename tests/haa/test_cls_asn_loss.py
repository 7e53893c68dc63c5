"""The Cls+Asn loss of the H -> aa -> 4b fine-tune is invariant under the allowed permutations
of the targets: a1 <-> a2, and b1 <-> b2 within either a."""

from __future__ import annotations

import pytest
import torch
from haa_testing import TOPOLOGY

from evenet.pointcloud.normalization import compute_normalization
from evenet.train.config import load_config
from evenet.train.dataset import PointCloudStream, index_blocks
from evenet.train.lightning_module import EveNetModule, model_inputs


@pytest.fixture(scope="module")
def losses_of(haa_stream):
    """A function: targets -> the module's per-head losses on one fixed batch and forward pass."""
    config = load_config(None, ["model.preset=tiny", "data.batch_size=64",
                                "model.heads={classification: {num_classes: 2, noised: false}, assignment: {}}"])
    config["model"]["heads"]["assignment"]["topology"] = TOPOLOGY
    torch.manual_seed(0)
    module = EveNetModule(config, compute_normalization(haa_stream)).eval()
    blocks = index_blocks(haa_stream, "train", 4096)
    stream = PointCloudStream(haa_stream, blocks, 64, shuffle=True, seed=2,
                              resonances={r: s["products"] for r, s in TOPOLOGY["resonances"].items()})
    batch = next(iter(stream))
    assert (batch["process"] == 1).any() and (batch["process"] == 0).any()
    with torch.no_grad():
        outputs = module.model(model_inputs(batch), noise_prob=0.0)

    def losses(targets):
        with torch.no_grad():
            return module.model.losses(outputs, {"classification": batch["process"], "assignment": targets},
                                       batch["weight"])

    return losses, batch["targets"]


def _swap_products(targets, resonance):
    out = dict(targets)
    out[resonance] = targets[resonance][:, [1, 0]]
    return out


@pytest.mark.parametrize("permute", [
    lambda t: {"a1": t["a2"], "a2": t["a1"]},
    lambda t: _swap_products(t, "a1"),
    lambda t: _swap_products(t, "a2"),
    lambda t: _swap_products({"a1": t["a2"], "a2": t["a1"]}, "a1"),
], ids=["a1<->a2", "b1<->b2 in a1", "b1<->b2 in a2", "both"])
def test_cls_asn_loss_is_invariant_under_allowed_target_permutations(losses_of, permute):
    losses, targets = losses_of
    reference = losses(targets)
    permuted = losses(permute(targets))
    assert set(reference) == {"classification", "assignment"}
    assert reference["assignment"] > 0
    for name in reference:
        torch.testing.assert_close(permuted[name], reference[name], rtol=1e-6, atol=1e-7)


def test_loss_sees_a_forbidden_permutation(losses_of):
    """Not vacuous: exchanging b1 between the two a's (not a symmetry) changes the assignment loss."""
    losses, targets = losses_of
    both = (targets["a1"] >= 0).all(1) & (targets["a2"] >= 0).all(1)
    assert both.any()
    a1, a2 = targets["a1"].clone(), targets["a2"].clone()
    a1[both, 0], a2[both, 0] = targets["a2"][both, 0], targets["a1"][both, 0]
    assert not torch.isclose(losses({"a1": a1, "a2": a2})["assignment"], losses(targets)["assignment"])
