import math

import pytest
import torch

from evenet.errors import ConfigError
from evenet.model.heads.segmentation import (
    SegmentationHead,
    decode_segment_assignments,
    dice_loss,
    predict_segments,
    segmentation_targets,
    sigmoid_focal_loss,
)
from evenet.model.heads.topology import ResonanceTopology
from model_fixtures import overfit_head

DIM = 16
LN3 = math.log(3.0)


def test_focal_loss_hand_computed():
    logits = torch.tensor([0.0, LN3, -LN3])
    targets = torch.tensor([1.0, 0.0, 0.0])
    # p = 1/2, 3/4, 1/4; p_t = 1/2, 1/4, 3/4; alpha_t = 0.25, 0.75, 0.75.
    expected = torch.tensor([
        0.25 * 0.5 ** 2 * math.log(2),
        0.75 * 0.75 ** 2 * math.log(4),
        0.75 * 0.25 ** 2 * math.log(4 / 3),
    ])
    torch.testing.assert_close(sigmoid_focal_loss(logits, targets, alpha=0.25, gamma=2.0), expected)
    # gamma = 0 and alpha = 0.5 is half the binary cross-entropy.
    torch.testing.assert_close(sigmoid_focal_loss(logits, targets, alpha=0.5, gamma=0.0),
                               0.5 * torch.tensor([math.log(2), math.log(4), math.log(4 / 3)]))


def test_dice_loss_hand_computed_and_ignores_padding():
    logits = torch.tensor([[0.0, LN3, 5.0]])
    targets = torch.tensor([[1.0, 0.0, 1.0]])
    valid = torch.tensor([[1.0, 1.0, 0.0]])
    # p = [1/2, 3/4]; sum(p t) = 1/2; sum(p) = 5/4; sum(t) = 1.
    torch.testing.assert_close(dice_loss(logits, targets, valid), torch.tensor([1 - 2.0 / 3.25]))


def test_segmentation_targets_from_assignment_targets():
    topo = ResonanceTopology.from_config({
        "resonances": {"t1": {"products": ["b", "q1", "q2"]}, "t2": {"products": ["b", "l"]}}})
    targets = {"t1": torch.tensor([[0, 2, -1], [-1, -1, -1]]), "t2": torch.tensor([[1, 3], [4, -1]])}
    seg = segmentation_targets(targets, topo, num_objects=5)
    assert seg["classes"].tolist() == [[1, 2], [0, 2]]
    assert seg["masks"].int().tolist() == [
        [[1, 0, 1, 0, 0], [0, 1, 0, 1, 0]],
        [[0, 0, 0, 0, 0], [0, 0, 0, 0, 1]],
    ]


def test_loss_on_hand_built_prediction():
    head = SegmentationHead(DIM, num_classes=1, num_queries=2, deep_supervision=False)
    outputs = {
        # Query 0: class 1 with p = 3/4 and a good mask; query 1: p(no object) = 1/2.
        "class_logits": torch.tensor([[[0.0, LN3], [0.0, 0.0]]]),
        "mask_logits": torch.tensor([[[LN3, -LN3], [0.0, 0.0]]]),
        "object_mask": torch.tensor([[True, True]]),
    }
    targets = {"classes": torch.tensor([[1]]), "masks": torch.tensor([[[True, False]]])}
    terms = head.loss_terms(outputs, targets)
    # Matched: query 0 -> target. Class weights: 1 for class 1, 0.1 for "no object".
    torch.testing.assert_close(terms["class"], torch.tensor((math.log(4 / 3) + 0.1 * math.log(2)) / 1.1))
    focal = (0.25 * 0.25 ** 2 * math.log(4 / 3) + 0.75 * 0.25 ** 2 * math.log(4 / 3)) / 2
    torch.testing.assert_close(terms["focal"], torch.tensor(focal))
    torch.testing.assert_close(terms["dice"], torch.tensor(1 - 2.5 / 3))
    torch.testing.assert_close(terms["total"], terms["class"] + terms["focal"] + terms["dice"])
    # Swapping the queries swaps the match: same loss.
    swapped = {k: v.flip(1) if k != "object_mask" else v for k, v in outputs.items()}
    torch.testing.assert_close(head.loss_terms(swapped, targets)["total"], terms["total"])


def test_class_weights_must_cover_every_class():
    with pytest.raises(ConfigError, match="class_weights"):
        SegmentationHead(DIM, num_classes=2, class_weights=[0.1, 1.0])


def random_inputs(batch=3, n=7, seed=0):
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randn(batch, n, DIM, generator=g)
    mask = torch.ones(batch, n, dtype=torch.bool)
    mask[0, 4:] = False
    return tokens, mask, torch.randn(batch, DIM, generator=g)


def test_object_permutation_equivariance_and_padding_independence():
    torch.manual_seed(0)
    head = SegmentationHead(DIM, num_classes=2, num_queries=4).eval()
    tokens, mask, event = random_inputs()
    perm = torch.tensor([6, 2, 0, 5, 1, 3, 4])
    garbage = tokens.clone()
    garbage[~mask] = 50.0
    with torch.no_grad():
        out = head(tokens, mask, event)
        out_perm = head(tokens[:, perm], mask[:, perm], event)
        out_garbage = head(garbage, mask, event)
    torch.testing.assert_close(out_perm["mask_logits"], out["mask_logits"][:, :, perm], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out_perm["class_logits"], out["class_logits"], atol=1e-5, rtol=1e-5)
    for key in ("class_logits", "mask_logits", "aux_mask_logits"):
        torch.testing.assert_close(out_garbage[key], out[key])
    assert (out["mask_logits"][0, :, 4:].sigmoid() == 0).all()


def synthetic_segments(batch=24, n=8, seed=5):
    """Two resonances of class 1 and one of class 2; objects carry their segment in 4 dimensions."""
    g = torch.Generator().manual_seed(seed)
    tokens = 0.3 * torch.randn(batch, n, DIM, generator=g)
    mask = torch.ones(batch, n, dtype=torch.bool)
    classes = torch.tensor([[1, 1, 2]]).repeat(batch, 1)
    masks = torch.zeros(batch, 3, n, dtype=torch.bool)
    for b in range(batch):
        slots = torch.randperm(n, generator=g).tolist()
        groups = [slots[0:2], slots[2:4], slots[4:5]]
        if b % 4 == 0:
            classes[b, 2] = 0
            groups[2] = []
        for segment, group in enumerate(groups):
            masks[b, segment, group] = True
            tokens[b, group, segment] += 2.0
        tokens[b, [s for s in slots if not masks[b, :, s].any()], 3] += 2.0
    return tokens, mask, tokens.mean(1), {"classes": classes, "masks": masks}


def test_segmentation_head_overfits_tiny_batch():
    tokens, mask, event, targets = synthetic_segments()
    torch.manual_seed(0)
    head = SegmentationHead(DIM, num_classes=2, num_queries=4, num_layers=2, num_heads=2)
    initial = overfit_head(head, tokens, mask, event, targets, steps=120)
    head.eval()
    with torch.no_grad():
        out = head(tokens, mask, event)
    assert head.loss(out, targets).item() < initial / 10
    # Every true segment is predicted exactly by some query with the right class.
    classes, masks = predict_segments(out)
    for b in range(tokens.shape[0]):
        for m in range(3):
            if targets["classes"][b, m] > 0:
                hit = (classes[b] == targets["classes"][b, m]) & (masks[b] == targets["masks"][b, m]).all(-1)
                assert hit.any()


HAA = ResonanceTopology.from_config({
    "resonances": {"a1": {"products": ["b1", "b2"], "symmetric": [["b1", "b2"]]},
                   "a2": {"products": ["b1", "b2"], "symmetric": [["b1", "b2"]]}},
    "identical": [["a1", "a2"]]})


def hand_built_segments(n_valid=6):
    """Two events, three queries over six slots; class 1 is "a", 0 "no object".

    Event 0: query 2 is the surest a with mask {4, 1}, query 0 the next with {0, 3}, query 1
    predicts no object. Event 1: both a queries prefer {1, 4}; the less sure one (query 0)
    has {2, 5} next.
    """
    class_logits = torch.tensor([[[0.0, 2.0], [3.0, 0.0], [0.0, 4.0]],
                                 [[0.0, 2.0], [3.0, 0.0], [0.0, 4.0]]])
    mask_logits = torch.full((2, 3, 6), -3.0)
    mask_logits[0, 2, [4, 1]] = torch.tensor([2.0, 1.5])
    mask_logits[0, 0, [0, 3]] = torch.tensor([1.0, 2.5])
    mask_logits[1, 2, [1, 4]] = 3.0
    mask_logits[1, 0, [1, 4, 2, 5]] = torch.tensor([4.0, 4.0, 1.0, 0.5])
    object_mask = torch.arange(6)[None, :].expand(2, 6) < n_valid
    return {"class_logits": class_logits, "mask_logits": mask_logits, "object_mask": object_mask}


def test_segment_pairing_takes_surest_queries_and_free_objects():
    decoded = decode_segment_assignments(hand_built_segments(), HAA)
    assert decoded["a1"].tolist() == [[1, 4], [1, 4]]
    assert decoded["a2"].tolist() == [[0, 3], [2, 5]]


def test_segment_pairing_leaves_minus_one_when_too_few_objects():
    decoded = decode_segment_assignments(hand_built_segments(n_valid=3), HAA)
    # Event 0: a1 = {1, ...} from objects 0-2 only: query 2's best valid is 1 then 0 or 2.
    assert decoded["a1"][0].tolist() in ([0, 1], [1, 2])
    assert decoded["a2"].tolist() == [[-1, -1], [-1, -1]]


def test_segment_pairing_needs_interchangeable_products():
    topology = ResonanceTopology.from_config({"resonances": {"t": {"products": ["b", "l"], "symmetric": []}}})
    with pytest.raises(ConfigError, match="'t'"):
        decode_segment_assignments(hand_built_segments(), topology)
