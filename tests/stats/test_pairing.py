"""Pairing purity on hand-built assignments with identical resonances and symmetric products."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from evenet.model.heads.topology import ResonanceTopology
from evenet.pointcloud.topology import assignment_topology
from evenet.stats.intervals import clopper_pearson
from evenet.stats.pairing import assignment_outcome, pairing_purity

REPO = Path(__file__).resolve().parents[2]

HAA = {  # H -> a a -> 4b: the two a's are interchangeable, and so are the b's of each a
    "resonances": {
        "a1": {"products": ["b1", "b2"], "symmetric": [["b1", "b2"]]},
        "a2": {"products": ["b1", "b2"], "symmetric": [["b1", "b2"]]},
    },
    "identical": [["a1", "a2"]],
}

# event: (true a1, true a2, predicted a1, predicted a2)
HAA_EVENTS = [
    ((0, 1), (2, 3), (0, 1), (2, 3)),      # 0: exact                          2 of 2
    ((0, 1), (2, 3), (2, 3), (0, 1)),      # 1: a1 <-> a2 swapped              2 of 2
    ((0, 1), (2, 3), (1, 0), (3, 2)),      # 2: b1 <-> b2 swapped in both      2 of 2
    ((0, 1), (2, 3), (0, 2), (1, 3)),      # 3: b's swapped across resonances  0 of 2
    ((0, 1), (2, 3), (0, 1), (3, 4)),      # 4: one right                      1 of 2
    ((0, 1), (2, -1), (4, 5), (1, 0)),     # 5: a2 unmatched; a1 found as a2   1 of 1
    ((0, 1), (-1, -1), (0, 2), (1, 3)),    # 6: a2 unmatched; a1 wrong         0 of 1
    ((-1, 3), (-1, -1), (0, 1), (2, 3)),   # 7: nothing reconstructable
]


def haa_arrays():
    columns = [np.array([event[i] for event in HAA_EVENTS]) for i in range(4)]
    return {"a1": columns[2], "a2": columns[3]}, {"a1": columns[0], "a2": columns[1]}


def test_identical_and_symmetric_permutations_count_correct_but_cross_swaps_do_not():
    predicted, truth = haa_arrays()
    outcome = assignment_outcome(predicted, truth, HAA)
    assert outcome.correct.sum(axis=1).tolist() == [2, 2, 2, 0, 1, 1, 0, 0]
    assert outcome.n_reconstructable.tolist() == [2, 2, 2, 2, 2, 1, 1, 0]
    assert outcome.event_correct.tolist() == [True, True, True, False, False, True, False, True]
    # event 5: the prediction for a2 is true a1, so a1 (the reconstructable one) is the correct one
    assert outcome.correct[5].tolist() == [True, False]


def test_purity_by_number_of_reconstructable_resonances():
    predicted, truth = haa_arrays()
    report = pairing_purity(predicted, truth, HAA)
    assert [r.category for r in report.rows] == ["0", "1", "2", "all"]
    expected = {  # category: (events, event-correct events, correct resonances, reconstructable resonances)
        "0": (1, None, 0, 0),
        "1": (2, 1, 1, 2),
        "2": (5, 3, 7, 10),
        "all": (7, 4, 8, 12),
    }
    for name, (events, good_events, good, total) in expected.items():
        row = report.row(name)
        assert row.events == events
        assert row.event_fraction.value == pytest.approx(events / 8)
        if good_events is None:
            assert np.isnan(row.event_purity.value) and np.isnan(row.particle_purity.value)
            continue
        assert row.event_purity.value == pytest.approx(good_events / events)
        assert row.particle_purity.value == pytest.approx(good / total)
        p = good_events / events
        assert row.event_purity.error == pytest.approx(np.sqrt(p * (1 - p) / events))
        assert (row.event_purity.low, row.event_purity.high) == pytest.approx(clopper_pearson(good_events, events))
    assert report.fully_reconstructable is report.row(2)


def test_select_restricts_the_table():
    predicted, truth = haa_arrays()
    report = pairing_purity(predicted, truth, HAA, select=np.arange(8) < 4)
    assert report.n_events == 4
    assert report.row(2).events == 4 and report.row(2).event_purity.value == 0.75


def test_swapping_resonances_that_are_not_declared_identical_is_wrong():
    topology = {"resonances": {"t": {"products": ["b", "l"]}, "tbar": {"products": ["b", "l"]}}}
    truth = {"t": np.array([[2, 0]]), "tbar": np.array([[3, 1]])}
    swapped = {"t": np.array([[3, 1]]), "tbar": np.array([[2, 0]])}
    assert assignment_outcome(swapped, truth, topology).correct.sum() == 0
    assert assignment_outcome(truth, truth, topology).correct.sum() == 2


def test_only_declared_symmetric_products_may_be_swapped():
    # The xyh stream's topology as `build` stores it: Y: b1 <-> b2; H: (l, q1, q2) with q1 <-> q2
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    block = assignment_topology(config["streams"]["xyh"]["truth"])
    truth = {"Y": np.array([[4, 5]] * 3), "H": np.array([[0, 2, 3]] * 3)}
    predicted = {"Y": np.array([[5, 4]] * 3), "H": np.array([[0, 3, 2], [2, 0, 3], [0, 2, 3]])}
    outcome = assignment_outcome(predicted, truth, block)
    assert outcome.correct.tolist() == [[True, True], [True, False], [True, True]]


def test_topology_forms_and_product_mappings_agree():
    predicted, truth = haa_arrays()
    by_product = {name: {"b1": slots[:, 0], "b2": slots[:, 1]} for name, slots in truth.items()}
    reference = assignment_outcome(predicted, truth, HAA).correct
    for topology in (HAA, ResonanceTopology.from_config(HAA), {"topology": HAA}):
        assert np.array_equal(assignment_outcome(predicted, by_product, topology).correct, reference)


def test_bad_inputs_name_the_resonance():
    predicted, truth = haa_arrays()
    with pytest.raises(ValueError, match="predicted assignments lack resonance 'a2'"):
        assignment_outcome({"a1": predicted["a1"]}, truth, HAA)
    with pytest.raises(ValueError, match=r"'a1': expected shape \(N, 2\)"):
        assignment_outcome({**predicted, "a1": predicted["a1"][:, :1]}, truth, HAA)
    with pytest.raises(ValueError, match="number of events"):
        assignment_outcome({**predicted, "a1": predicted["a1"][:3]}, truth, HAA)
    with pytest.raises(ValueError, match="lack product"):
        assignment_outcome(predicted, {**truth, "a1": {"b1": truth["a1"][:, 0]}}, HAA)


def test_empty_input_gives_nan_purities():
    empty = {"a1": np.zeros((0, 2), int), "a2": np.zeros((0, 2), int)}
    report = pairing_purity(empty, empty, HAA)
    assert report.n_events == 0 and np.isnan(report.row("all").event_purity.value)


def test_the_module_imports_no_torch():
    code = "import sys, evenet.stats.pairing; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO).returncode == 0
