"""--level hadron: anti-kT jets from hadronised events carry b flavour from b hadrons."""

import awkward as ak
import pytest
import uproot

from evenet.sim.sample import generate_sample


@pytest.mark.slow
def test_shower_mode_ttbar_has_b_flavoured_jets(tmp_path):
    path = tmp_path / "shower.root"
    generate_sample("ttbar_1l", 100, 3, 0, path, level="hadron")
    events = uproot.open(path)["Events"].arrays(["Jet_hadronFlavour", "nJet", "GenPart_pdgId"])
    n_b_jets = ak.sum(events.Jet_hadronFlavour == 5, axis=1)
    assert ak.mean(n_b_jets >= 1) > 0.8  # two b quarks per event, ~central
    assert ak.mean(events.nJet) > 3
    assert ak.all(ak.sum(abs(events.GenPart_pdgId) == 6, axis=1) >= 2)
