"""Closure: the spin correlation C injected in ttbar_2l_spin (generator convention) is recovered
from the GenPart record of the written file by the decay-angle method in the paper convention,
C_paper = -9 <cos_i+ cos_j-> = -C_generator (evenet.physics.spin)."""

import awkward as ak
import numpy as np
import uproot

from evenet.physics.spin import from_generator_convention, lepton_cosines, spin_coefficients
from evenet.sim.sample import generate_sample

C_TRUE = np.diag([0.8, -0.6, 0.8])


def _four_momenta(gen, mask):
    sel = gen[mask]
    assert ak.all(ak.num(sel.GenPart_pt) == 1)
    pt, eta, phi, mass = (ak.to_numpy(ak.firsts(sel[f"GenPart_{x}"])).astype(float) for x in ("pt", "eta", "phi", "mass"))
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    return np.stack([np.sqrt(px**2 + py**2 + pz**2 + mass**2), px, py, pz], axis=1)


def test_injected_spin_correlation_is_recovered(tmp_path):
    path = tmp_path / "spin.root"
    generate_sample("ttbar_2l_spin", 5000, 21, 0, path, params={"C": C_TRUE.tolist()})
    gen = uproot.open(path)["Events"].arrays(filter_name="GenPart_*")
    pdg = gen.GenPart_pdgId
    # mother links: leptons come from W's, W's from tops
    mothers = pdg[ak.where(gen.GenPart_genPartIdxMother >= 0, gen.GenPart_genPartIdxMother, 0)]
    assert ak.all(abs(mothers[(abs(pdg) == 11) | (abs(pdg) == 13)]) == 24)
    assert ak.all(abs(mothers[abs(pdg) == 24]) == 6)
    cos_plus, cos_minus = lepton_cosines(
        _four_momenta(gen, pdg == 6), _four_momenta(gen, pdg == -6),
        _four_momenta(gen, (pdg == -11) | (pdg == -13)), _four_momenta(gen, (pdg == 11) | (pdg == 13)))
    coefficients = spin_coefficients(cos_plus, cos_minus)
    measured, error = np.diag(coefficients.C), np.diag(coefficients.C_errors)
    pulls = (measured - np.diag(from_generator_convention(C_TRUE)[0])) / error
    assert np.all(np.abs(pulls) < 3), (measured, error)
    assert np.all(np.abs(measured) / error > 10), "zero correlation not excluded"
