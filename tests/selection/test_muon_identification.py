"""Muon identification of the dimuon selection from config: id working point, isolation
as a maximum or a minimum, impact parameters, trigger bits; each option needs its branch."""

from __future__ import annotations

import copy

import awkward as ak
import numpy as np
import pytest
import uproot
from selection_testing import default_config, make_events

from evenet.errors import ConfigError, InputFileError
from evenet.io.reader import plan_file
from evenet.selection.objects import ObjectCuts, candidates
from evenet.selection.preselections import record_needs, select

MUONS = [  # one event; each muon fails exactly one of the cuts below, the first passes all
    {"pt": 40.0, "tightId": True, "softId": True, "pfRelIso04_all": 0.60, "dxy": 0.001, "dz": -0.002, "ip3d": 0.003, "sip3d": 1.0},
    {"pt": 39.0, "tightId": False, "softId": True, "pfRelIso04_all": 0.60, "dxy": 0.001, "dz": 0.002, "ip3d": 0.003, "sip3d": 1.0},
    {"pt": 38.0, "tightId": True, "softId": True, "pfRelIso04_all": 0.10, "dxy": 0.001, "dz": 0.002, "ip3d": 0.003, "sip3d": 1.0},
    {"pt": 37.0, "tightId": True, "softId": True, "pfRelIso04_all": 0.60, "dxy": -0.05, "dz": 0.002, "ip3d": 0.003, "sip3d": 1.0},
    {"pt": 36.0, "tightId": True, "softId": True, "pfRelIso04_all": 0.60, "dxy": 0.001, "dz": -0.30, "ip3d": 0.003, "sip3d": 1.0},
    {"pt": 35.0, "tightId": True, "softId": True, "pfRelIso04_all": 0.60, "dxy": 0.001, "dz": 0.002, "ip3d": 0.20, "sip3d": 1.0},
    {"pt": 34.0, "tightId": True, "softId": True, "pfRelIso04_all": 0.60, "dxy": 0.001, "dz": 0.002, "ip3d": 0.003, "sip3d": 9.0},
    {"pt": 33.0, "tightId": True, "softId": False, "pfRelIso04_all": 1.50, "dxy": 0.001, "dz": 0.002, "ip3d": 0.003, "sip3d": 1.0},
]


def _passing(**cuts) -> list[int]:
    obj = ObjectCuts(pt_min=3.0, abs_eta_max=2.4, **cuts)
    return candidates(make_events([{"Muon": MUONS}]), "muon", obj, 0.5).source_index.tolist()[0]


def test_each_option_cuts_what_it_names():
    everything = list(range(len(MUONS)))
    assert _passing() == everything
    assert _passing(muon_id="tight") == [i for i in everything if i != 1]
    assert _passing(muon_id="soft") == [i for i in everything if i != 7]
    assert _passing(iso_max=0.15) == [2]  # isolated
    assert _passing(iso_min=0.55) == [i for i in everything if i != 2]  # anti-isolated
    assert _passing(iso_min=0.55, iso_max=1.0) == [i for i in everything if i not in (2, 7)]
    assert _passing(impact_parameter_max=(("dxy_max", 0.02),)) == [i for i in everything if i != 3]  # |dxy|
    assert _passing(impact_parameter_max=(("dz_max", 0.1),)) == [i for i in everything if i != 4]  # |dz|
    assert _passing(impact_parameter_max=(("ip3d_max", 0.01),)) == [i for i in everything if i != 5]
    assert _passing(impact_parameter_max=(("sip3d_max", 4.0),)) == [i for i in everything if i != 6]


def _block(**muon):
    block = copy.deepcopy(default_config()["dimuon"])
    block["objects"]["muon"] = {"pt_min": 3.0, "abs_eta_max": 2.4, **muon}
    return block


@pytest.mark.parametrize("muon, field", [
    ({"id": "tight"}, "Muon.tightId"), ({"id": "soft"}, "Muon.softId"), ({"iso_max": 0.15}, "Muon.pfRelIso04_all"),
    ({"iso_min": 0.55}, "Muon.pfRelIso04_all"), ({"dxy_max": 0.02}, "Muon.dxy"), ({"dz_max": 0.1}, "Muon.dz"),
    ({"ip3d_max": 0.01}, "Muon.ip3d"), ({"sip3d_max": 4.0}, "Muon.sip3d"),
])
def test_config_reads_each_option_and_needs_its_field(muon, field):
    needs = record_needs("dimuon", _block(**muon))
    assert needs.required == {"Muon", field} and needs.optional == {"MET"}


@pytest.fixture(scope="module")
def muon_only_skim(tmp_path_factory):
    path = tmp_path_factory.mktemp("skim") / "muons.root"
    counts = np.array([2, 1])
    muons = ak.zip({f: ak.unflatten(np.ones(3, np.float32), counts) for f in ("pt", "eta", "phi", "mass", "charge")})
    with uproot.recreate(path) as f:
        f.mktree("Events", {"Muon": muons}, counter_name=lambda c: f"n{c}", field_name=lambda o, i: f"{o}_{i}")
    return path


@pytest.mark.parametrize("muon, cuts, branch", [
    ({"id": "tight"}, {}, "Muon_tightId"), ({"id": "soft"}, {}, "Muon_softId"),
    ({"iso_min": 0.55}, {}, "Muon_pfRelIso04_all"), ({"dxy_max": 0.02}, {}, "Muon_dxy"),
    ({"dz_max": 0.1}, {}, "Muon_dz"), ({"ip3d_max": 0.01}, {}, "Muon_ip3d"), ({"sip3d_max": 4.0}, {}, "Muon_sip3d"),
    ({}, {"triggers": ["HLT_TrkMu15_DoubleTrkMu5NoFiltersNoVtx"]}, "HLT_TrkMu15_DoubleTrkMu5NoFiltersNoVtx"),
])
def test_option_naming_a_branch_the_file_lacks_is_an_error(muon_only_skim, muon, cuts, branch):
    block = _block(**muon)
    block["cuts"].update(cuts)
    with pytest.raises(InputFileError, match=rf"muons.root: missing branch '{branch}'$"):
        plan_file(muon_only_skim, "nanoaod", record_needs("dimuon", block))


def test_without_options_the_muon_only_skim_is_enough(muon_only_skim):
    plan = plan_file(muon_only_skim, "nanoaod", record_needs("dimuon", _block()))
    assert sorted(plan.branches.values()) == sorted(f"Muon_{f}" for f in ("pt", "eta", "phi", "mass", "charge"))
    assert plan.collections == ("Muon",) and not plan.has_met and not plan.has_generator_weight


def _pair(**fired):
    """Two opposite-sign muons with mass in the signal region, and trigger bits."""
    return {"Muon": [{"pt": 10.0, "eta": 0.0, "phi": 0.5, "charge": 1},
                     {"pt": 10.0, "eta": 0.0, "phi": 0.5 - 1.0, "charge": -1}], "HLT": fired}


def test_triggers_are_an_or_and_leading_pt_thresholds_apply_in_pt_order():
    raw = [_pair(A=True, B=False), _pair(A=False, B=True), _pair(A=False, B=False)]
    events = ak.with_field(make_events(raw), ak.zip({k: np.array([e["HLT"][k] for e in raw]) for k in "AB"}), "HLT")
    block = _block()
    block["cuts"]["triggers"] = ["HLT_A", "HLT_B"]
    result = select(events, "dimuon", block)
    assert result.events.event.tolist() == [0, 1]
    assert [row["cut"] for row in result.cutflow] == ["all", "trigger", "n_muons", "mass_window"]
    block["cuts"]["leading_pt_min"] = [9.0, 10.0]  # the subleading muon has pt 10.0: strict cut fails
    assert len(select(events, "dimuon", block).events) == 0
    block["cuts"]["leading_pt_min"] = [9.9, 9.9]
    assert select(events, "dimuon", block).events.event.tolist() == [0, 1]
    assert record_needs("dimuon", block).required == {"Muon", "HLT.A", "HLT.B"}


@pytest.mark.parametrize("change, message", [
    (lambda b: b["objects"]["muon"].update(id="medium_tight"), "objects.muon.id' must be one of"),
    (lambda b: b["objects"]["muon"].update(iso_min=0.5, iso_max=0.2), "objects.muon.iso_min' must be below iso_max"),
    (lambda b: b["objects"].update(jet={"pt_min": 20.0, "abs_eta_max": 2.4, "iso_max": 0.1}), "objects.jet.iso_max': only muons"),
    (lambda b: b["cuts"].update(triggers=["IsoMu24"]), r"cuts.triggers\[0\]' must name a trigger branch HLT_<path>"),
    (lambda b: b["cuts"].update(leading_pt_min=[17.0, 8.0, 3.0]), "leading_pt_min' has 3 thresholds for 2 muons"),
    (lambda b: b["objects"]["muon"].update(tight_id=True), "unknown configuration key 'selections.dimuon.objects.muon.tight_id'"),
])
def test_bad_muon_options_name_the_key(change, message):
    block = _block()
    change(block)
    with pytest.raises(ConfigError, match=message):
        record_needs("dimuon", block)
