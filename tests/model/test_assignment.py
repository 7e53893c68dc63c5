import math

import pytest
import torch

from evenet.errors import ConfigError
from evenet.model.heads.assignment import (
    AssignmentHead,
    assignment_correct,
    class_balance_weights,
    decode_assignments,
    pairing_efficiency,
)
from evenet.model.heads.topology import ResonanceTopology
from model_fixtures import overfit_head

TTBAR = {
    "resonances": {
        "t1": {"products": ["b", "q1", "q2"], "symmetric": [["q1", "q2"]]},
        "t2": {"products": ["b", "l"], "symmetric": []},
    }
}
HAA = {
    "resonances": {
        "a1": {"products": ["b1", "b2"], "symmetric": [["b1", "b2"]]},
        "a2": {"products": ["b1", "b2"], "symmetric": [["b1", "b2"]]},
    },
    "identical": [["a1", "a2"]],
}
DIM = 16


def random_inputs(batch=3, n=7, seed=0):
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randn(batch, n, DIM, generator=g)
    mask = torch.ones(batch, n, dtype=torch.bool)
    mask[0, 5:] = False
    mask[1, 6:] = False
    return tokens, mask, torch.randn(batch, DIM, generator=g)


def make_head(topology, **kw):
    torch.manual_seed(1)
    return AssignmentHead(DIM, topology, **kw).eval()


# --- topology -------------------------------------------------------------------------------

def test_topology_groups_and_shared_structures():
    ttbar = ResonanceTopology.from_config(TTBAR)
    assert ttbar.resonances[0].product_permutations() == [(0, 1, 2), (0, 2, 1)]
    assert ttbar.event_permutations() == [(0, 1)]
    assert len(ttbar.structures()) == 2
    haa = ResonanceTopology.from_config(HAA)
    assert haa.event_permutations() == [(0, 1), (1, 0)]
    assert list(haa.structures().values()) == [[0, 1]]  # one shared head for both a's
    assert haa.segment_classes() == [1, 1]
    assert ttbar.segment_classes() == [1, 2]


@pytest.mark.parametrize("config, key", [
    ({"resonances": {"t1": TTBAR["resonances"]["t1"], "t2": TTBAR["resonances"]["t2"]},
      "identical": [["t1", "t2"]]}, "identical"),
    ({"resonances": {"t": {"products": ["b", "q"], "symmetric": [["q", "x"]]}}}, "symmetric"),
    ({"resonances": {}}, "resonances"),
    ({"resonances": {"t": {"products": ["b", "q"], "segment_class": 0}}}, "segment_class"),
])
def test_topology_errors_name_the_key(config, key):
    with pytest.raises(ConfigError, match=key):
        ResonanceTopology.from_config(config)


# --- symmetries and equivariance ------------------------------------------------------------

def test_output_invariant_under_product_symmetry():
    head = make_head(TTBAR)
    with torch.no_grad():
        out = head(*random_inputs())
    p = out["assignment/t1"].exp()
    torch.testing.assert_close(p, p.transpose(2, 3))  # q1 <-> q2
    assert not torch.allclose(p, p.transpose(1, 2), atol=1e-4)  # b is not interchangeable with q1
    haa = make_head(HAA)
    with torch.no_grad():
        p = haa(*random_inputs())["assignment/a1"].exp()
    torch.testing.assert_close(p, p.transpose(1, 2))


def test_probabilities_normalised_and_zero_on_padding_and_repeats():
    head = make_head(TTBAR)
    tokens, mask, event = random_inputs()
    with torch.no_grad():
        out = head(tokens, mask, event)
    p3 = out["assignment/t1"].exp()
    torch.testing.assert_close(p3.flatten(1).sum(1), torch.ones(3))
    assert (p3[0, 5:] == 0).all() and (p3[0, :, 5:] == 0).all() and (p3[0, :, :, 5:] == 0).all()
    assert (p3[1, :, :, 6] == 0).all()
    idx = torch.arange(7)
    assert (p3[:, idx, idx, :] == 0).all() and (p3[:, :, idx, idx] == 0).all()
    p2 = out["assignment/t2"].exp()
    assert (p2[0, 5:] == 0).all() and (p2[:, idx, idx] == 0).all()
    assert (p2[2] > 0).sum() == 7 * 6


def test_permuting_objects_permutes_assignment_axes():
    head = make_head(TTBAR)
    tokens, mask, event = random_inputs()
    perm = torch.tensor([3, 0, 6, 1, 5, 2, 4])
    with torch.no_grad():
        out = head(tokens, mask, event)
        out_perm = head(tokens[:, perm], mask[:, perm], event)
    p = out["assignment/t1"]
    expected = p[:, perm][:, :, perm][:, :, :, perm]
    torch.testing.assert_close(out_perm["assignment/t1"], expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out_perm["assignment/t2"], out["assignment/t2"][:, perm][:, :, perm],
                               atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out_perm["detection/t1"], out["detection/t1"], atol=1e-5, rtol=1e-5)


def test_padding_content_does_not_matter():
    head = make_head(HAA)
    tokens, mask, event = random_inputs()
    garbage = tokens.clone()
    garbage[~mask] = 100.0
    with torch.no_grad():
        a, b = head(tokens, mask, event), head(garbage, mask, event)
    for key in a:
        torch.testing.assert_close(a[key], b[key])


def test_event_without_objects_stays_finite():
    head = make_head(HAA)
    tokens, mask, event = random_inputs()
    mask[2] = False
    head.train()
    out = head(tokens, mask, event)
    targets = {"a1": torch.tensor([[0, 1], [2, 3], [-1, -1]]), "a2": torch.tensor([[2, 3], [0, 1], [-1, -1]])}
    head.loss(out, targets).backward()
    assert all(torch.isfinite(p.grad).all() for p in head.parameters() if p.grad is not None)
    assert torch.isfinite(out["detection/a1"]).all()
    assert (out["assignment/a1"][2] == -math.inf).all()


# --- loss -----------------------------------------------------------------------------------

def test_loss_unchanged_by_swapping_identical_resonances_or_symmetric_products():
    head = make_head(HAA)
    with torch.no_grad():
        out = head(*random_inputs())
    targets = {"a1": torch.tensor([[0, 1], [2, 4], [1, 3]]), "a2": torch.tensor([[2, 3], [0, -1], [5, 6]])}
    swapped = {"a1": targets["a2"], "a2": targets["a1"]}
    flipped = {"a1": targets["a1"].flip(1), "a2": targets["a2"]}
    base = head.loss_terms(out, targets)
    for other in (swapped, flipped):
        terms = head.loss_terms(out, other)
        for key in base:
            torch.testing.assert_close(terms[key], base[key])


def test_loss_rejects_targets_on_padding_slots():
    head = make_head(TTBAR)
    with torch.no_grad():
        out = head(*random_inputs())
    targets = {"t1": torch.tensor([[0, 1, 6], [0, 1, 2], [0, 1, 2]]), "t2": torch.tensor([[3, 4]] * 3)}
    with pytest.raises(ValueError, match="'t1'"):
        head.loss(out, targets)


def uniform_haa_outputs(n, batch):
    """Hand-built outputs: every ordered pair of distinct objects equally likely."""
    log_p = torch.full((batch, n, n), -math.log(n * (n - 1)))
    log_p[:, torch.arange(n), torch.arange(n)] = -math.inf
    zeros = torch.zeros(batch)
    return {"assignment/a1": log_p, "assignment/a2": log_p.clone(), "detection/a1": zeros,
            "detection/a2": zeros, "multiplicity/a1+a2": torch.zeros(batch, 3)}


def test_loss_on_uniform_prediction_equals_hand_computed_value():
    n = 5
    head = make_head(HAA)
    out = uniform_haa_outputs(n, 2)
    targets = {"a1": torch.tensor([[0, 1], [0, 1]]), "a2": torch.tensor([[2, 3], [2, -1]])}
    terms = head.loss_terms(out, targets)
    # Probability of the unordered pair {i, j}: 2 / (n (n - 1)); patterns (2 found) and (1 found)
    # occur once each, so the class-balance weights are both 1.
    torch.testing.assert_close(terms["assignment"], torch.tensor(-math.log(2 / (n * (n - 1)))))
    torch.testing.assert_close(terms["detection"], torch.tensor(math.log(2.0)))
    torch.testing.assert_close(terms["multiplicity"], torch.tensor(math.log(3.0)))


def test_loss_takes_minimum_over_identical_resonance_swaps():
    n, eps = 4, 1e-3

    def peaked(i, j):
        t = torch.full((1, n, n), eps / (n * (n - 1) - 2))
        t[0, i, j] = t[0, j, i] = (1 - eps) / 2
        t[:, torch.arange(n), torch.arange(n)] = 0
        return t.log()

    out = {"assignment/a1": peaked(2, 3), "assignment/a2": peaked(0, 1), "detection/a1": torch.zeros(1),
           "detection/a2": torch.zeros(1), "multiplicity/a1+a2": torch.zeros(1, 3)}
    targets = {"a1": torch.tensor([[0, 1]]), "a2": torch.tensor([[2, 3]])}
    with_swaps = make_head(HAA).loss_terms(out, targets)["assignment"]
    no_swaps = make_head({"resonances": HAA["resonances"]}).loss_terms(
        {k: v for k, v in out.items() if not k.startswith("multiplicity")}, targets)["assignment"]
    torch.testing.assert_close(with_swaps, torch.tensor(-math.log(1 - eps)))
    torch.testing.assert_close(no_swaps, torch.tensor(-math.log(2 * eps / (n * (n - 1) - 2))))


def test_class_balance_weights_are_inverse_frequency():
    torch.testing.assert_close(class_balance_weights(torch.tensor([3.0, 1.0, 0.0])),
                               torch.tensor([4 / 6, 4 / 2, 0.0]))


def test_class_balance_reweights_rare_reconstruction_patterns():
    n = 5
    head = make_head(HAA)
    out = uniform_haa_outputs(n, 4)
    # Make event 3 (the only partial one) better predicted: its a1 pair gets probability 1/2.
    special = torch.full((n, n), math.log(0.5 / (n * (n - 1) - 2)))
    special[0, 1] = special[1, 0] = math.log(0.25)
    special[torch.arange(n), torch.arange(n)] = -math.inf
    out["assignment/a1"][3] = special
    out["assignment/a2"][3] = special
    targets = {"a1": torch.tensor([[0, 1]] * 4), "a2": torch.tensor([[2, 3]] * 3 + [[2, -1]])}
    nll_uniform, nll_special = -math.log(2 / (n * (n - 1))), -math.log(0.5)
    # Pattern "2 found": 3 events, weight 4/6; pattern "1 found": 1 event, weight 4/2.
    w_full, w_partial = 4 / 6, 4 / 2
    expected = (w_full * 3 * 2 * nll_uniform + w_partial * nll_special) / (w_full * 3 * 2 + w_partial * 1)
    torch.testing.assert_close(head.loss_terms(out, targets)["assignment"], torch.tensor(expected))
    # Fixed dataset weights override the batch estimate.
    head.set_class_balance(torch.tensor([0.0, 1.0, 1.0]))
    expected_equal = (3 * 2 * nll_uniform + nll_special) / 7
    torch.testing.assert_close(head.loss_terms(out, targets)["assignment"], torch.tensor(expected_equal))
    unbalanced = make_head(HAA, class_balance=False)
    torch.testing.assert_close(unbalanced.loss_terms(out, targets)["assignment"], torch.tensor(expected_equal))


# --- decoding and pairing efficiency --------------------------------------------------------

def symmetric_pair_tensor(n, entries):
    p = torch.full((n, n), 1e-4)
    for (i, j), v in entries.items():
        p[i, j] = p[j, i] = v
    p[torch.arange(n), torch.arange(n)] = 0
    return (p / p.sum()).log()[None]


def test_decode_greedy_non_overlapping_on_hand_built_tensor():
    n = 5
    topo = ResonanceTopology.from_config(HAA)
    out = {
        "assignment/a1": symmetric_pair_tensor(n, {(3, 1): 0.5}),
        # a2's best pair (1, 4) overlaps a1's; its best disjoint pair is (2, 0).
        "assignment/a2": symmetric_pair_tensor(n, {(1, 4): 0.4, (2, 0): 0.3}),
    }
    decoded = decode_assignments(out, topo)
    assert decoded["a1"].tolist() == [[1, 3]]
    assert decoded["a2"].tolist() == [[0, 2]]
    truth = {"a1": torch.tensor([[2, 0]]), "a2": torch.tensor([[3, 1]])}  # swapped names and orders
    assert pairing_efficiency(decoded, truth, topo) == (1.0, 1)


def test_decode_degree_three_and_canonical_order():
    n = 6
    topo = ResonanceTopology.from_config(TTBAR)
    p3 = torch.full((1, n, n, n), 1e-6)
    p3[0, 2, 4, 0] = p3[0, 2, 0, 4] = 0.3  # best: b = 2, {q1, q2} = {0, 4}
    p3[0, 2, 4, 3] = p3[0, 2, 3, 4] = 0.1  # best without object 0
    p3[0, 1, 1, 1] = 0.5  # a repeated object is never a valid assignment
    p3 = (p3 / p3.sum()).log()
    p2 = torch.full((1, n, n), 1e-6)
    p2[0, 0, 5] = 0.9  # more probable than t1's best and overlapping it: taken first
    p2[0, 3, 5] = 0.05
    p2 = (p2 / p2.sum()).log()
    decoded = decode_assignments({"assignment/t1": p3, "assignment/t2": p2}, topo)
    assert decoded["t2"].tolist() == [[0, 5]]
    assert decoded["t1"].tolist() == [[2, 3, 4]]
    p2[0, 0, 5] = math.log(1e-7)
    decoded = decode_assignments({"assignment/t1": p3, "assignment/t2": p2}, topo)
    assert decoded["t1"].tolist() == [[2, 0, 4]]  # q1, q2 sorted
    assert decoded["t2"].tolist() == [[3, 5]]


def test_pairing_efficiency_counts_fully_reconstructable_events():
    topo = ResonanceTopology.from_config(TTBAR)
    predicted = {"t1": torch.tensor([[0, 1, 2], [0, 1, 2], [0, 1, 2], [5, 1, 2]]),
                 "t2": torch.tensor([[3, 4], [4, 3], [3, 4], [3, 4]])}
    truth = {"t1": torch.tensor([[0, 2, 1], [0, 1, 2], [0, 1, 2], [0, 1, 2]]),
             "t2": torch.tensor([[3, 4], [3, 4], [3, -1], [3, 4]])}
    correct, recon = assignment_correct(predicted, truth, topo)
    assert correct.tolist() == [[True, True], [True, False], [True, False], [False, True]]
    assert recon.tolist() == [[True, True], [True, True], [True, False], [True, True]]
    assert pairing_efficiency(predicted, truth, topo) == (pytest.approx(1 / 3), 3)


# --- learning -------------------------------------------------------------------------------

def synthetic_ttbar(batch=24, n=8, seed=3):
    """Objects carry their true role in 4 feature dimensions; t2's lepton is missing in some events."""
    g = torch.Generator().manual_seed(seed)
    tokens = 0.3 * torch.randn(batch, n, DIM, generator=g)
    mask = torch.ones(batch, n, dtype=torch.bool)
    t1, t2 = [], []
    for b in range(batch):
        slots = torch.randperm(n, generator=g)[:5].tolist()
        lepton_found = b % 4 != 0
        for role, slot in zip([0, 1, 1, 2, 3], slots):
            if role == 3 and not lepton_found:
                continue
            tokens[b, slot, role] += 2.0
        t1.append(slots[:3])
        t2.append([slots[3], slots[4] if lepton_found else -1])
        if b % 3 == 0:
            mask[b, [s for s in range(n) if s not in slots][:1]] = False
    tokens[~mask] = 0
    return tokens, mask, tokens.mean(1), {"t1": torch.tensor(t1), "t2": torch.tensor(t2)}


def synthetic_haa(batch=24, n=8, seed=4):
    """Two b pairs; objects carry 'from a pair' and which pair (arbitrary label) in 3 dimensions.
    The second pair lacks one b in some events."""
    g = torch.Generator().manual_seed(seed)
    tokens = 0.3 * torch.randn(batch, n, DIM, generator=g)
    mask = torch.ones(batch, n, dtype=torch.bool)
    a1, a2 = [], []
    for b in range(batch):
        slots = torch.randperm(n, generator=g)[:4].tolist()
        complete = b % 3 != 0
        for k, slot in enumerate(slots if complete else slots[:3]):
            tokens[b, slot, 0] += 2.0
            tokens[b, slot, 1 + k // 2] += 2.0
        a1.append(slots[:2])
        a2.append([slots[2], slots[3] if complete else -1])
    return tokens, mask, tokens.mean(1), {"a1": torch.tensor(a1), "a2": torch.tensor(a2)}


@pytest.mark.parametrize("topology, data, n_full", [(TTBAR, synthetic_ttbar, 18), (HAA, synthetic_haa, 16)])
def test_assignment_head_overfits_tiny_batch(topology, data, n_full):
    tokens, mask, event, targets = data()
    torch.manual_seed(0)
    head = AssignmentHead(DIM, topology, num_layers=1, num_heads=2)
    initial = overfit_head(head, tokens, mask, event, targets, steps=80)
    head.eval()
    with torch.no_grad():
        out = head(tokens, mask, event)
    terms = head.loss_terms(out, targets)
    assert terms["total"].item() < initial / 10
    decoded = decode_assignments(out, head.topology)
    efficiency, n_events = pairing_efficiency(decoded, targets, head.topology)
    assert n_events == n_full and efficiency == 1.0
