"""Neutrino longitudinal momentum from the W-mass constraint.

With a massless neutrino of transverse momentum equal to the missing pT and a
lepton (E, px, py, pz, mass m), requiring (p_lep + p_nu)^2 = mW^2 gives the
quadratic

    a pz^2 - 2 mu pz_l pz + (E_l^2 pT_nu^2 - mu^2) = 0,
    mu = (mW^2 - m^2) / 2 + pT_l . pT_nu,   a = E_l^2 - pz_l^2 = pT_l^2 + m^2,

whose solutions are pz = (mu pz_l +- E_l sqrt(mu^2 - a pT_nu^2)) / a.
When the discriminant mu^2 - a pT_nu^2 is negative (the measured MET puts the
transverse mass above mW), the solutions are complex; the usual convention,
used here, is to take their real part, mu pz_l / a, for both.
"""

from __future__ import annotations

import numpy as np

W_MASS = 80.4


def neutrino_pz(lep_pt, lep_eta, lep_phi, lep_mass, met_pt, met_phi, w_mass: float = W_MASS):
    """Both neutrino pz solutions and whether they were complex.

    Arguments broadcast like numpy/awkward arrays (flat or jagged). Returns
    ``(pz_plus, pz_minus, is_complex)``; where ``is_complex`` both solutions are
    the real part ``mu pz_l / a``.
    """
    lep_px = lep_pt * np.cos(lep_phi)
    lep_py = lep_pt * np.sin(lep_phi)
    lep_pz = lep_pt * np.sinh(lep_eta)
    lep_e = np.sqrt(lep_pt * lep_pt + lep_pz * lep_pz + lep_mass * lep_mass)
    nu_px = met_pt * np.cos(met_phi)
    nu_py = met_pt * np.sin(met_phi)

    mu = 0.5 * (w_mass * w_mass - lep_mass * lep_mass) + lep_px * nu_px + lep_py * nu_py
    a = lep_pt * lep_pt + lep_mass * lep_mass
    discriminant = mu * mu - a * met_pt * met_pt
    is_complex = discriminant < 0
    root = lep_e * np.sqrt(np.maximum(discriminant, 0.0))
    centre = mu * lep_pz / a
    return centre + root / a, centre - root / a, is_complex
