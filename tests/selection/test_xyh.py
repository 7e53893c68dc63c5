"""xyh preselection: each cut just inside / just outside its threshold."""

import copy

import numpy as np
import pytest
from selection_testing import default_config, make_events, perfect_ttbar_event

from evenet.codes import KIND_JET, KIND_MUON
from evenet.selection.preselections import select

CONFIG = default_config()["xyh"]


def base_event():
    """Passes every xyh cut: 1 muon, 2 b-jets, 2 light jets (one at dR 0.94), no top-like masses."""
    return {
        "Muon": [{"pt": 40.0, "eta": 0.0, "phi": 0.0}],
        "Jet": [
            {"pt": 60.0, "eta": 1.5, "phi": -1.0, "btag": 0.9},
            {"pt": 50.0, "eta": 0.5, "phi": 0.8, "btag": 0.1},
            {"pt": 45.0, "eta": -1.0, "phi": 2.5, "btag": 0.1},
            {"pt": 40.0, "eta": -0.5, "phi": -2.5, "btag": 0.9},
        ],
        "MET": {"pt": 50.0, "phi": -2.0},
    }


def passes(event, config=CONFIG):
    return len(select(make_events([event]), "xyh", config).events) == 1


def test_base_event_passes_with_its_objects_in_slot_order():
    result = select(make_events([base_event()]), "xyh", CONFIG)
    objects = result.events.objects[0]
    assert objects.kind.tolist() == [KIND_MUON, KIND_JET, KIND_JET, KIND_JET, KIND_JET]
    assert objects.pt.tolist() == [40.0, 60.0, 50.0, 45.0, 40.0]
    assert objects.btag.tolist() == [False, True, False, False, True]
    assert result.events.topness[0] > CONFIG["cuts"]["topness_min"]


def _with(change):
    event = base_event()
    change(event)
    return event


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda e: e["Muon"][0].update(pt=30.01), True),
        (lambda e: e["Muon"][0].update(pt=30.0), False),
        (lambda e: (e["Muon"][0].update(eta=2.39), e["Jet"][1].update(eta=2.0)), True),
        (lambda e: (e["Muon"][0].update(eta=2.4), e["Jet"][1].update(eta=2.0)), False),
        (lambda e: e.update(Muon=[], Electron=[{"pt": 35.01, "eta": 0.0, "phi": 0.0}]), True),
        (lambda e: e.update(Muon=[], Electron=[{"pt": 35.0, "eta": 0.0, "phi": 0.0}]), False),
        (lambda e: e.update(Electron=[{"pt": 35.01, "eta": -2.0, "phi": 1.5}]), False),
        (lambda e: e.update(Electron=[{"pt": 34.9, "eta": -2.0, "phi": 1.5}]), True),
        (lambda e: e.update(Tau=[{"pt": 30.01, "eta": 2.29, "phi": 1.8}]), False),
        (lambda e: e.update(Tau=[{"pt": 30.0, "eta": 2.29, "phi": 1.8}]), True),
        (lambda e: e.update(Tau=[{"pt": 50.0, "eta": 2.3, "phi": 1.8}]), True),
        (lambda e: e.update(Tau=[{"pt": 50.0, "eta": 0.2, "phi": 0.2}]), True),  # within dR 0.4 of the muon
        (lambda e: e["Jet"][3].update(btag=0.2783), True),
        (lambda e: e["Jet"][3].update(btag=0.2782), False),
        (lambda e: e["Jet"][2].update(pt=20.0), False),
        (lambda e: e["Jet"][2].update(eta=-2.4), False),
        (lambda e: e["Jet"][1].update(eta=0.0, phi=1.59), True),
        (lambda e: e["Jet"][1].update(eta=0.0, phi=1.61), False),
    ],
)
def test_threshold(change, expected):
    assert passes(_with(change)) is expected


def test_perfect_ttbar_fails_topness_but_passes_everything_before():
    event = perfect_ttbar_event()
    result = select(make_events([event]), "xyh", CONFIG)
    assert len(result.events) == 0
    assert [e["events"] for e in result.cutflow] == [1, 1, 1, 1, 1, 1, 0]
    loose = copy.deepcopy(CONFIG)
    loose["cuts"]["topness_min"] = -1.0
    kept = select(make_events([event]), "xyh", loose)
    assert kept.events.topness[0] == pytest.approx(0.0, abs=1e-6)


def test_log_chi2_topness_variable():
    config = copy.deepcopy(CONFIG)
    config["cuts"]["topness_variable"] = "log_chi2"
    config["cuts"]["topness_min"] = -np.inf
    chi2 = select(make_events([base_event()]), "xyh", CONFIG).events.topness[0]
    assert select(make_events([base_event()]), "xyh", config).events.topness[0] == pytest.approx(np.log(chi2))
