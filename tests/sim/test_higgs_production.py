"""H -> a a -> 4b production modes: at rest (ggH) or recoiling against a parton (Hjet)."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
import uproot

from evenet.errors import ConfigError
from evenet.sim.sample import generate_sample


def _higgs_and_a(path):
    gp = uproot.open(path)["Events"].arrays(["GenPart_pdgId", "GenPart_pt", "GenPart_mass"])
    higgs = gp.GenPart_pt[gp.GenPart_pdgId == 25]
    a_mass = gp.GenPart_mass[gp.GenPart_pdgId == 36]
    return ak.to_numpy(ak.firsts(higgs)), ak.to_numpy(ak.flatten(a_mass))


def test_recoiling_higgs_is_above_pthat(tmp_path):
    path = tmp_path / "hjet.root"
    generate_sample("haa4b", 300, 5, 0, path, params={"production": "Hjet", "pthat_min": 120.0, "m_a": 25.0})
    higgs_pt, a_mass = _higgs_and_a(path)
    # 2 -> 2 at process level: the Higgs recoils against the parton with pT = pTHat > 120 GeV.
    assert len(higgs_pt) == 300 and np.all(higgs_pt > 120.0)
    assert np.allclose(a_mass, 25.0, atol=0.5)


def test_higgs_at_rest_by_default(tmp_path):
    path = tmp_path / "ggh.root"
    generate_sample("haa4b", 200, 5, 0, path)
    higgs_pt, _ = _higgs_and_a(path)
    assert np.all(higgs_pt < 1.0)  # no initial-state radiation at process level


def test_unknown_production_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="production"):
        generate_sample("haa4b", 10, 5, 0, tmp_path / "x.root", params={"production": "VBF"})
