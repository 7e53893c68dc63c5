"""Topness: how well an event fits the semileptonic ttbar hypothesis.

Topness was introduced by M. L. Graesser and J. Shelton, "Hunting mixed top
squark decays", Phys. Rev. Lett. 111 (2013) 121802 [arXiv:1212.4495], as the
minimum over jet assignments (and neutrino momenta) of a chi2-like distance to
the ttbar mass constraints, and is usually quoted as the log of that minimum.
Here the hypothesis is semileptonic ttbar, t_had -> b j j and t_lep -> b l nu,
with the chi2 of the X->YH preselection:

    chi2 = ((m_jj - mW) / sW)^2 + ((m_jjb - mt) / s_thad)^2 + ((m_lvb - mt) / s_tlep)^2

minimised over: two light jets for the hadronic W, one b-jet for t_had, a
different b-jet for t_lep, and both W-mass-constrained neutrino pz solutions
(complex ones replaced by their real part, see :mod:`evenet.physics.neutrino_pz`).
All assignments are enumerated at once with awkward combinations; no loop over
events.
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak
import numpy as np

from evenet.physics.kinematics import momentum4d
from evenet.physics.neutrino_pz import neutrino_pz


@dataclass(frozen=True)
class TopnessConstants:
    """Masses and resolutions (GeV) of the chi2; defaults are the issue's values."""

    w_mass: float = 80.4
    top_mass: float = 172.5
    sigma_w: float = 11.83
    sigma_top_had: float = 20.87
    sigma_top_lep: float = 28.72


def _neutrinos(lepton: ak.Array, met: ak.Array, w_mass: float) -> ak.Array:
    """Both neutrino solutions per event, as an (events x 2) ``Momentum4D`` array."""
    pz_plus, pz_minus, _ = neutrino_pz(
        lepton.pt, lepton.eta, lepton.phi, lepton.mass, met.pt, met.phi, w_mass
    )
    pz = ak.concatenate([pz_plus[:, np.newaxis], pz_minus[:, np.newaxis]], axis=1)
    px = met.pt * np.cos(met.phi)
    py = met.pt * np.sin(met.phi)
    return ak.zip(
        {
            "px": ak.broadcast_arrays(px[:, np.newaxis], pz)[0],
            "py": ak.broadcast_arrays(py[:, np.newaxis], pz)[0],
            "pz": pz,
            "mass": ak.zeros_like(pz),
        },
        with_name="Momentum4D",
    )


def topness_chi2(
    lepton: ak.Array,
    met: ak.Array,
    light_jets: ak.Array,
    b_jets: ak.Array,
    constants: TopnessConstants = TopnessConstants(),
) -> np.ndarray:
    """Minimum chi2 per event (+inf where there are < 2 light jets or < 2 b-jets).

    ``lepton``: one (pt, eta, phi, mass) record per event; ``met``: (pt, phi)
    per event; ``light_jets`` and ``b_jets``: jagged (pt, eta, phi, mass).
    """
    c = constants
    lep = momentum4d(lepton)
    w_lep = lep[:, np.newaxis] + _neutrinos(lepton, met, c.w_mass)  # events x 2
    bjets = momentum4d(b_jets)

    # t_lep term per b-jet, best neutrino solution: events x nb
    tlep = ak.cartesian([bjets, w_lep], axis=1, nested=True)
    m_lvb = (tlep["0"] + tlep["1"]).mass
    chi2_tlep = ak.fill_none(ak.min(((m_lvb - c.top_mass) / c.sigma_top_lep) ** 2, axis=-1), np.inf)

    # for each b-jet h taken by t_had, the best t_lep term among the other b-jets
    per_b = ak.zip({"index": ak.local_index(chi2_tlep, axis=1), "chi2": chi2_tlep})
    h_l = ak.cartesian([per_b, per_b], axis=1, nested=True)
    distinct = h_l["0"].index != h_l["1"].index
    best_other = ak.fill_none(ak.min(h_l["1"].chi2[distinct], axis=-1), np.inf)

    # hadronic W from every light-jet pair: events x npair
    pairs = ak.combinations(momentum4d(light_jets), 2, axis=1)
    w_had = pairs["0"] + pairs["1"]
    chi2_w = ((w_had.mass - c.w_mass) / c.sigma_w) ** 2

    # t_had = W_had + b-jet h: events x npair x nb, plus the two other terms
    thad = ak.cartesian([w_had, bjets], axis=1, nested=True)
    chi2_thad = (((thad["0"] + thad["1"]).mass - c.top_mass) / c.sigma_top_had) ** 2
    rest = ak.cartesian([chi2_w, best_other], axis=1, nested=True)
    total = chi2_thad + rest["0"] + rest["1"]

    best = ak.min(ak.min(total, axis=-1), axis=-1)
    return ak.to_numpy(ak.fill_none(best, np.inf)).astype(np.float64)


def topness(chi2_min: np.ndarray, variable: str) -> np.ndarray:
    """The topness variable from the minimum chi2: ``"chi2"`` (as is) or ``"log_chi2"`` (ln)."""
    if variable == "chi2":
        return chi2_min
    if variable == "log_chi2":
        with np.errstate(divide="ignore"):
            return np.log(chi2_min)
    raise ValueError(f"unknown topness variable {variable!r} (expected 'chi2' or 'log_chi2')")
