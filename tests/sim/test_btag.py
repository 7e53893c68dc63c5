"""Working-point efficiencies of Jet_btagDeepFlavB by hadron flavour on generated jets."""

import awkward as ak
import numpy as np
import uproot

from evenet.sim.detector_config import DEFAULTS


def test_btag_efficiencies_at_working_point(ttbar_files):
    jets = uproot.open(ttbar_files["nanoaod"])["Events"].arrays(["Jet_btagDeepFlavB", "Jet_hadronFlavour", "Jet_eta"])
    disc = ak.to_numpy(ak.flatten(jets.Jet_btagDeepFlavB))
    flavour = ak.to_numpy(ak.flatten(jets.Jet_hadronFlavour))
    eta = ak.to_numpy(ak.flatten(jets.Jet_eta))
    assert disc.min() >= 0.0 and disc.max() <= 1.0
    central = np.abs(eta) < DEFAULTS["btag"]["eta_max"]
    wp = 0.2783
    for code, expected in ((5, 0.70), (4, 0.10), (0, 0.01)):
        selected = disc[central & (flavour == code)]
        assert len(selected) > 500, code
        efficiency = np.mean(selected > wp)
        sigma = np.sqrt(expected * (1 - expected) / len(selected))
        assert abs(efficiency - expected) < 4 * sigma, (code, efficiency, len(selected))
    assert np.all(disc[np.abs(eta) > DEFAULTS["btag"]["eta_max"]] == 0.0)
