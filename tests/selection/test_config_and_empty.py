"""Config validation (names the key) and the empty-input contract, for every selection."""

import copy
import json

import awkward as ak
import pytest
from selection_testing import default_config, make_events

from evenet.errors import ConfigError
from evenet.selection.objects import OBJECT_FIELDS
from evenet.selection.preselections import PRESELECTIONS, select

NAMES = sorted(PRESELECTIONS)


def test_default_config_has_one_block_per_selection():
    assert sorted(default_config()) == NAMES


def test_unknown_selection_is_a_config_error():
    with pytest.raises(ConfigError, match="selections.nope"):
        select(make_events([]), "nope", {})


@pytest.mark.parametrize(
    "name, path",
    [
        ("xyh", ["cuts", "topness_min"]),
        ("xyh", ["cuts", "topness", "sigma_w"]),
        ("pretrain", ["btag_wp"]),
        ("dimuon", ["cuts", "windows", "signal_region"]),
        ("ttbar_2l", ["objects", "jet", "pt_min"]),
        ("haa", ["max_objects"]),
    ],
)
def test_missing_key_is_named(name, path):
    params = copy.deepcopy(default_config()[name])
    block = params
    for key in path[:-1]:
        block = block[key]
    del block[path[-1]]
    with pytest.raises(ConfigError, match="selections." + name + "." + r"\.".join(path)):
        select(make_events([]), name, params)


def test_unknown_key_is_named():
    params = copy.deepcopy(default_config()["haa"])
    params["cuts"]["min_jet"] = 4
    with pytest.raises(ConfigError, match=r"selections\.haa\.cuts\.min_jet"):
        select(make_events([]), "haa", params)


def test_wrong_type_and_bad_choice_are_named():
    params = copy.deepcopy(default_config()["xyh"])
    params["cuts"]["topness_variable"] = "sqrt_chi2"
    with pytest.raises(ConfigError, match="topness_variable"):
        select(make_events([]), "xyh", params)
    params = copy.deepcopy(default_config()["pretrain"])
    params["objects"]["jet"]["pt_min"] = "ten"
    with pytest.raises(ConfigError, match=r"objects\.jet\.pt_min"):
        select(make_events([]), "pretrain", params)


def test_overlapping_dimuon_windows_are_rejected():
    params = copy.deepcopy(default_config()["dimuon"])
    params["cuts"]["windows"]["sidebands"] = [[5.0, 9.5], [10.6, 16.0]]
    with pytest.raises(ConfigError, match="sidebands"):
        select(make_events([]), "dimuon", params)


@pytest.mark.parametrize("name", NAMES)
def test_empty_input_gives_empty_selection_and_zero_cutflow(name):
    result = select(make_events([]), name, default_config()[name])
    assert len(result.events) == 0
    assert set(result.events.objects.fields) == set(OBJECT_FIELDS)
    assert result.cutflow[0]["cut"] == "all"
    assert all(entry["events"] == 0 and entry["weighted"] == 0.0 for entry in result.cutflow)
    json.dumps(result.cutflow)


@pytest.mark.parametrize("name", NAMES)
def test_passthrough_fields_are_kept(name):
    events = make_events([{"MET": {"pt": 12.0, "phi": 0.5}, "genWeight": 2.5}])
    gen = ak.Array([[{"pt": 1.0, "eta": 0.0, "phi": 0.0, "mass": 0.0, "pdgId": 6, "motherIdx": -1, "status": 22, "statusFlags": 0}]])
    events = ak.with_field(events, gen, "GenPart")
    result = select(events, name, default_config()[name])
    for field in ("run", "luminosityBlock", "event", "genWeight", "MET", "GenPart", "objects"):
        assert field in result.events.fields
