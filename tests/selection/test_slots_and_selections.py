"""Slot order, and the haa / ttbar_2l / dimuon cuts just inside and outside their thresholds."""

import copy

import numpy as np
import pytest
from selection_testing import default_config, make_events

from evenet.errors import ConfigError
from evenet.selection.dimuon import CHANNEL_OS, CHANNEL_SS, REGION_SB, REGION_SR
from evenet.codes import KIND_ELECTRON, KIND_JET, KIND_MUON, KIND_PHOTON, KIND_TAU
from evenet.selection.preselections import select

CONFIG = default_config()


def _run(name, events, config=None):
    return select(make_events(events), name, config or CONFIG[name])


def _far_jets(pts, btags, eta0=-2.0):
    """Jets spread in phi and eta, far from each other and from leptons at eta 2.2."""
    return [{"pt": pt, "eta": eta0 + 0.3 * i, "phi": -3.0 + 1.1 * i, "btag": b} for i, (pt, b) in enumerate(zip(pts, btags))]


def test_pretrain_slot_order_leptons_jets_photons_taus_and_truncation():
    event = {
        "Electron": [{"pt": 20.0, "eta": 2.2, "phi": 0.0}],
        "Muon": [{"pt": 25.0, "eta": 2.2, "phi": 1.5}],
        "Photon": [{"pt": 15.0, "eta": 2.2, "phi": 3.0}],
        "Tau": [{"pt": 40.0, "eta": 2.2, "phi": -1.5}],
        "Jet": _far_jets([30.0 + i for i in range(16)], [0.0] * 16, eta0=-4.5)[::-1],
    }
    objects = _run("pretrain", [event]).events.objects[0]
    assert len(objects) == 18
    assert objects.kind.tolist()[:2] == [KIND_MUON, KIND_ELECTRON]
    assert objects.kind.tolist()[2:] == [KIND_JET] * 16
    assert objects.pt.tolist()[2:] == sorted(objects.pt.tolist()[2:], reverse=True)
    small = copy.deepcopy(CONFIG["pretrain"])
    small["max_objects"] = 21
    assert _run("pretrain", [event], small).events.objects[0].kind.tolist()[-2:] == [KIND_PHOTON, KIND_TAU]


def test_pretrain_needs_one_object():
    result = _run("pretrain", [{"Jet": [{"pt": 10.01}]}, {"Jet": [{"pt": 10.0}]}, {}])
    assert [e["events"] for e in result.cutflow] == [3, 1]


def test_slot_plan_rejects_a_group_taken_twice():
    config = copy.deepcopy(CONFIG["ttbar_2l"])
    config["slots"][2]["take"] = ["jet"]
    with pytest.raises(ConfigError, match="slots"):
        _run("ttbar_2l", [], config)


# ---- haa: >= 4 jets pT > 30, >= 3 b-jets pT > 20, subleading b-jet pT > 30
@pytest.mark.parametrize(
    "pts, btags, expected",
    [
        ([50.0, 40.0, 30.01, 30.01], [1, 1, 1, 0], True),
        ([50.0, 40.0, 30.01, 30.0], [1, 1, 1, 0], False),      # 4th jet at 30.0
        ([50.0, 40.0, 35.0, 31.0, 20.01], [1, 0, 0, 1, 1], True),
        ([50.0, 40.0, 35.0, 31.0, 20.0], [1, 0, 0, 1, 1], False),  # 3rd b-jet fails the jet object pT > 20
        ([50.0, 30.01, 35.0, 33.0, 25.0], [1, 1, 0, 0, 1], True),
        ([50.0, 30.0, 35.0, 33.0, 25.0], [1, 1, 0, 0, 1], False),  # subleading b-jet at 30.0
        ([50.0, 40.0, 35.0, 33.0, 25.0], [1, 1, 0, 0, 0], False),  # two b-jets
    ],
)
def test_haa_thresholds(pts, btags, expected):
    event = {"Jet": _far_jets(pts, [0.9 if b else 0.1 for b in btags])}
    assert (len(_run("haa", [event]).events) == 1) is expected


# ---- ttbar_2l: exactly 2 leptons pT > 25 |eta| < 2.5, opposite charge, >= 2 b-jets pT > 25 |eta| < 2.5
def _dilepton(e_pt=30.0, mu_pt=30.0, mu_eta=2.2, mu_charge=1, b_pts=(40.0, 30.0), b_eta=0.0, extra=()):
    return {
        "Electron": [{"pt": e_pt, "eta": 2.2, "phi": 0.0, "charge": -1}],
        "Muon": [{"pt": mu_pt, "eta": mu_eta, "phi": 2.0, "charge": mu_charge}, *extra],
        "Jet": [{"pt": pt, "eta": b_eta, "phi": -1.0 - 1.5 * i, "btag": 0.9} for i, pt in enumerate(b_pts)]
        + [{"pt": 60.0, "eta": -1.5, "phi": 1.0, "btag": 0.1}],
    }


@pytest.mark.parametrize(
    "event, expected",
    [
        (_dilepton(), True),
        (_dilepton(e_pt=25.01), True),
        (_dilepton(e_pt=25.0), False),
        (_dilepton(mu_eta=2.49), True),
        (_dilepton(mu_eta=2.5), False),
        (_dilepton(mu_charge=-1), False),
        (_dilepton(b_pts=(40.0, 25.01)), True),
        (_dilepton(b_pts=(40.0, 25.0)), False),
        (_dilepton(b_eta=2.49), True),
        (_dilepton(b_eta=2.5), False),
        (_dilepton(extra=[{"pt": 12.0, "eta": -2.0, "phi": -2.5, "charge": 1}]), True),   # loose third lepton
        (_dilepton(extra=[{"pt": 26.0, "eta": -2.0, "phi": -2.5, "charge": 1}]), False),  # tight third lepton
    ],
)
def test_ttbar_2l_thresholds(event, expected):
    assert (len(_run("ttbar_2l", [event]).events) == 1) is expected


def test_ttbar_2l_slots_take_leptons_then_bjets_then_light_jets():
    event = _dilepton(e_pt=31.0, extra=[{"pt": 12.0, "eta": -2.0, "phi": -2.5, "charge": 1}])
    objects = _run("ttbar_2l", [event]).events.objects[0]
    # 3 leptons (pt-descending), both b-jets (pt-descending), then the light jet
    assert objects.kind.tolist() == [KIND_ELECTRON, KIND_MUON, KIND_MUON, KIND_JET, KIND_JET, KIND_JET]
    assert objects.btag.tolist() == [False, False, False, True, True, False]
    assert objects.pt.tolist() == [31.0, 30.0, 12.0, 40.0, 30.0, 60.0]


# ---- dimuon: two tight muons, channel OS/SS, region SB/SR by mass
def _dimuon_at(mass, same_sign=False, tight=True, pt=10.0):
    """Two muons of pT ``pt`` at eta 0 whose pair mass is ``mass``: the opening angle solves
    M^2 = 2 m^2 + 2 (E^2 - pt^2 cos dphi) exactly."""
    m_mu = 0.10566
    energy2 = pt**2 + m_mu**2
    dphi = np.arccos((energy2 - (mass**2 / 2 - m_mu**2)) / pt**2)
    return {"Muon": [
        {"pt": pt, "eta": 0.0, "phi": 0.5, "charge": 1},
        {"pt": pt, "eta": 0.0, "phi": 0.5 - dphi, "charge": 1 if same_sign else -1, "tightId": tight},
    ]}


@pytest.mark.parametrize(
    "mass, region",
    [(5.01, REGION_SB), (8.99, REGION_SB), (9.01, REGION_SR), (10.59, REGION_SR), (10.61, REGION_SB), (15.99, REGION_SB)],
)
def test_dimuon_regions(mass, region):
    result = _run("dimuon", [_dimuon_at(mass), _dimuon_at(mass, same_sign=True)])
    assert result.events.region.tolist() == [region, region]
    assert result.events.channel.tolist() == [CHANNEL_OS, CHANNEL_SS]
    assert result.events.dimuon_mass.tolist() == pytest.approx([mass, mass], rel=1e-9)


def test_dimuon_drops_events_outside_windows_and_non_tight_muons():
    events = [_dimuon_at(4.99), _dimuon_at(16.01), _dimuon_at(9.5, tight=False), _dimuon_at(9.5)]
    result = _run("dimuon", events)
    assert result.events.event.tolist() == [3]
    assert [e["events"] for e in result.cutflow] == [4, 3, 1]
