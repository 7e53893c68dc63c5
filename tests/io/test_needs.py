"""Record needs: the --needs spec of evenet ingest, its union over streams and its checks."""

import pytest

from evenet.errors import ConfigError
from evenet.io.needs import FULL_RECORD, RecordNeeds


def test_union_keeps_the_strictest_requirement():
    dimuon = RecordNeeds(frozenset({"Muon", "Muon.tightId", "HLT.IsoMu24"}), frozenset({"MET"}))
    pretrain = RecordNeeds(frozenset({"Electron", "Muon", "Jet", "MET"}), frozenset({"Tau", "Photon"}))
    both = dimuon | pretrain
    assert both.required == {"Electron", "Muon", "Muon.tightId", "Jet", "MET", "HLT.IsoMu24"}
    assert both.optional == {"Tau", "Photon"}
    assert both.collections == {"Electron": True, "Jet": True, "MET": True, "Muon": True, "Photon": False, "Tau": False}
    assert both.fields("Muon") == ("tightId",) and both.triggers == ("IsoMu24",)


def test_json_round_trip_and_fields_are_required():
    needs = RecordNeeds.from_json('{"required": ["Muon"], "optional": ["MET", "Muon.softId"]}')
    assert needs.required == {"Muon", "Muon.softId"} and needs.optional == {"MET"}
    assert RecordNeeds.from_json(FULL_RECORD.to_json()) == FULL_RECORD


@pytest.mark.parametrize("text, message", [
    ("{not json", "--needs: not valid JSON"),
    ('{"required": "Muon"}', "--needs: 'required' must be a list of record keys"),
    ('{"needed": ["Muon"]}', "--needs: expected"),
    ('{"required": ["Muons"]}', "--needs: unknown record key 'Muons'"),
    ('{"optional": ["MET.pt"]}', "--needs: unknown record key 'MET.pt'"),
])
def test_bad_spec_is_one_line_naming_the_option(text, message):
    with pytest.raises(ConfigError, match=message):
        RecordNeeds.from_json(text)
