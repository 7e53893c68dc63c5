"""Neutrino pz from the W-mass constraint, against injected truth."""

import awkward as ak
import numpy as np
import pytest
from ttbar_kinematics import MUON_MASS, W_MASS, w_to_mu_nu

from evenet.physics.neutrino_pz import neutrino_pz


def _solve(muon, neutrino, w_mass=W_MASS):
    return neutrino_pz(muon.pt, muon.eta, muon.phi, MUON_MASS, neutrino.pt, neutrino.phi, w_mass)


@pytest.mark.parametrize(
    "w_p3, theta, phi",
    [((30.0, -20.0, 150.0), 1.2, 0.4), ((-80.0, 10.0, -300.0), 2.5, -2.0), ((5.0, 5.0, 0.0), 0.3, 3.0)],
)
def test_true_pz_is_one_of_the_two_solutions(w_p3, theta, phi):
    muon, neutrino = w_to_mu_nu(w_p3, theta, phi)
    plus, minus, is_complex = _solve(muon, neutrino)
    assert not is_complex
    assert min(abs(plus - neutrino.pz), abs(minus - neutrino.pz)) < 1e-6 * max(1.0, abs(neutrino.pz))


def test_both_solutions_satisfy_the_w_mass_constraint():
    muon, neutrino = w_to_mu_nu()
    for pz in _solve(muon, neutrino)[:2]:
        e_nu = np.hypot(neutrino.pt, pz)
        total_e = muon.E + e_nu
        px, py, pz_tot = muon.px + neutrino.px, muon.py + neutrino.py, muon.pz + pz
        assert np.sqrt(total_e**2 - px**2 - py**2 - pz_tot**2) == pytest.approx(W_MASS, rel=1e-9)


def test_complex_case_takes_the_real_part():
    # Massless-lepton limit, lepton and MET back to back (pT 60 each): transverse mass 120 > mW,
    # no real solution. mu = mW^2/2 - 60*60, a = 60^2, real part = mu * pz_l / a.
    eta_l = 0.5
    plus, minus, is_complex = neutrino_pz(60.0, eta_l, 0.0, 0.0, 60.0, np.pi, W_MASS)
    expected = (W_MASS**2 / 2 - 3600.0) * 60.0 * np.sinh(eta_l) / 3600.0
    assert is_complex
    assert plus == pytest.approx(expected) and minus == pytest.approx(expected)


def test_works_elementwise_on_awkward_arrays():
    pairs = [w_to_mu_nu((10.0 * i, -5.0 * i, 40.0 * i - 100.0), 0.5 + 0.2 * i, 0.3 * i) for i in range(6)]
    muons = ak.Array([{"pt": m.pt, "eta": m.eta, "phi": m.phi} for m, _ in pairs])
    met = ak.Array([{"pt": n.pt, "phi": n.phi} for _, n in pairs])
    plus, minus, _ = neutrino_pz(muons.pt, muons.eta, muons.phi, MUON_MASS, met.pt, met.phi, W_MASS)
    truth = np.array([n.pz for _, n in pairs])
    best = np.minimum(np.abs(ak.to_numpy(plus) - truth), np.abs(ak.to_numpy(minus) - truth))
    assert np.all(best < 1e-6 * np.maximum(1.0, np.abs(truth)))
