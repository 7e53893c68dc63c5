"""Object definitions and overlap removal on hand-built events."""

import awkward as ak
import pytest
from selection_testing import make_events

from evenet.codes import KIND_ELECTRON, KIND_JET
from evenet.selection.objects import ObjectCuts, build_candidates, candidates
from evenet.selection.overlap import clean

CUTS = ObjectCuts(pt_min=30.0, abs_eta_max=2.4)


def test_pt_and_eta_thresholds_are_strict():
    events = make_events([{"Muon": [
        {"pt": 30.01, "eta": 0.0}, {"pt": 30.0, "eta": 0.0}, {"pt": 29.99, "eta": 0.0},
        {"pt": 50.0, "eta": 2.39}, {"pt": 50.0, "eta": -2.4}, {"pt": 50.0, "eta": -2.41},
    ]}])
    muons = candidates(events, "muon", CUTS, 0.5)
    assert muons.source_index.tolist() == [[0, 3]]


def test_common_record_fields():
    events = make_events([{
        "Electron": [{"pt": 40.0, "eta": 0.0, "phi": 1.0, "mass": 0.0, "charge": 1}],
        "Jet": [{"pt": 40.0, "eta": 0.0, "phi": -1.0, "mass": 30.0, "btag": 0.30}, {"pt": 35.0, "eta": 0.0, "phi": 2.0, "btag": 0.27}],
    }])
    electron = candidates(events, "electron", CUTS, 0.2783)[0, 0]
    jets = candidates(events, "jet", CUTS, 0.2783)[0]
    assert electron.tolist() == {"pt": 40.0, "eta": 0.0, "phi": 1.0, "mass": 0.0, "energy": 40.0, "btag": False,
                                 "btag_score": 0.0, "isLepton": True, "charge": 1, "kind": KIND_ELECTRON, "source_index": 0}
    assert jets.btag.tolist() == [True, False]
    assert jets.btag_score.tolist() == pytest.approx([0.30, 0.27])  # the continuous score beside the flag
    assert jets.isLepton.tolist() == [False, False]
    assert jets.kind.tolist() == [KIND_JET, KIND_JET]
    assert jets.energy[0] == pytest.approx(50.0)  # pt 40, eta 0, m 30


def test_muon_identification_cuts():
    events = make_events([{"Muon": [
        {"pt": 40.0, "tightId": True, "pfRelIso04_all": 0.10},
        {"pt": 39.0, "tightId": False, "pfRelIso04_all": 0.01},
        {"pt": 38.0, "tightId": True, "pfRelIso04_all": 0.20},
    ]}])
    cuts = ObjectCuts(pt_min=3.0, abs_eta_max=2.4, muon_id="tight", iso_max=0.15)
    assert candidates(events, "muon", cuts, 0.5).source_index.tolist() == [[0]]


def test_missing_collection_counts_as_empty():
    events = make_events([{"Jet": [{"pt": 40.0}]}, {}])
    events = ak.without_field(events, "Tau")
    assert ak.num(candidates(events, "tau", CUTS, 0.5), axis=1).tolist() == [0, 0]


def _cleaned(event):
    cuts = {name: ObjectCuts(pt_min=20.0, abs_eta_max=2.5) for name in ("electron", "muon", "tau", "jet")}
    return clean(build_candidates(make_events([event]), cuts, 0.5), 0.4)


def test_overlap_removal_removes_exactly_the_expected_objects():
    event = {
        "Electron": [{"pt": 40.0, "eta": 0.0, "phi": 0.0}],
        "Muon": [{"pt": 40.0, "eta": 1.0, "phi": 2.0}],
        "Tau": [
            {"pt": 30.0, "eta": 1.0, "phi": 2.3},   # dR 0.30 to the muon: removed
            {"pt": 30.0, "eta": -1.0, "phi": -2.0},  # isolated: kept
        ],
        "Jet": [
            {"pt": 50.0, "eta": 0.39, "phi": 0.0},   # dR 0.39 to the electron: removed
            {"pt": 49.0, "eta": 0.41, "phi": 0.0},   # dR 0.41: kept
            {"pt": 48.0, "eta": 1.0, "phi": 2.6},    # dR 0.3 to the removed tau, 0.6 to the muon: kept
            {"pt": 47.0, "eta": -1.0, "phi": -2.2},  # dR 0.2 to the kept tau: removed
            {"pt": 46.0, "eta": 1.2, "phi": 2.0},    # dR 0.2 to the muon: removed
        ],
    }
    objects = _cleaned(event)
    assert objects["tau"].source_index.tolist() == [[1]]
    assert objects["jet"].source_index.tolist() == [[1, 2]]
    assert objects["electron"].source_index.tolist() == [[0]]
    assert objects["muon"].source_index.tolist() == [[0]]


def test_overlap_uses_wrapped_phi():
    event = {"Electron": [{"pt": 40.0, "eta": 0.0, "phi": 3.1}], "Jet": [{"pt": 50.0, "eta": 0.0, "phi": -3.1}]}
    assert ak.num(_cleaned(event)["jet"], axis=1).tolist() == [0]
