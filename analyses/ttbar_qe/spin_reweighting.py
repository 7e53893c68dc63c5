"""Spin-state reweighting of the response sample, so that the unfolding's efficiency and
migrations are those of the spin state being measured (docs/ttbar_qe.md, "Closure").

Why: the selection efficiency depends on the lepton directions beyond the one product
cos_i+ cos_j- that is binned (lepton pT and eta cuts see all of cos_k, cos_r, cos_n), so the
efficiency of an (m_tt, z) bin depends on the whole C of the sample it is built from. Measured
on the 240k-event SM response reweighted to fixed injected C (same events, no statistical
noise between truth and unfolded): an SM response unfolds D = 0.506 as 0.226, 1.500 as 1.257
and 0.009 as 0.249.

The generated spin density of each response event is known (paper convention, B = 0):
rho_gen = 1 - cos+ . C_gen(event) . cos-, with C_gen the injected matrix or the LO SM C of the
event (evenet.sim.ttbar_lo_spin, from the incoming partons, the top velocity and the
production angle). Reweighting an event by rho_target / rho_gen makes the response sample
one generated with the target spin state, exactly. The target is iterated: unfold, take the
unfolded C of each m_tt bin, reweight, unfold again (a fixed number of iterations).

Two target families, both from the unfolded C of each m_tt bin:
* ``constant``: C(event) = the unfolded C of its m_tt bin (the central value);
* ``sm_shape``: C(event) = C_gen(event) + (unfolded - mean C_gen of its bin), the generator's
  kinematic variation kept (the alternative; the difference is the unfolding-model
  uncertainty, since which kinematic variation of C the data has is not measured).
"""

from __future__ import annotations

import numpy as np

from evenet.physics.spin import boost, from_generator_convention, helicity_basis, mtt_bins, velocity
from evenet.sim.ttbar_lo_spin import lo_spin_correlation

FAMILIES = ("constant", "sm_shape")


def generator_correlation(truth, model) -> np.ndarray:
    """(N, 3, 3) the C each event was generated with, paper convention: ``model`` "sm" (LO
    per event; needs ``truth.gluon_fusion``) or a 3x3 matrix in the generator convention."""
    n = len(truth.event)
    if isinstance(model, str):
        if model != "sm":
            raise ValueError(f"generator spin model must be 'sm' or a 3x3 matrix, got {model!r}")
        if truth.gluon_fusion is None:
            raise ValueError("the LO SM spin state needs the incoming partons (gluon_fusion) of the generated file")
        to_zmf = -velocity(truth.top + truth.antitop)
        top_z = boost(truth.top, to_zmf)
        beta = np.linalg.norm(top_z[:, 1:], axis=1) / top_z[:, 0]
        return lo_spin_correlation(truth.gluon_fusion, beta, helicity_basis(top_z)[:, 0, 2])
    c = from_generator_convention(np.asarray(model, dtype=float).reshape(3, 3))[0]
    return np.broadcast_to(c, (n, 3, 3)).copy()


def density(cos_plus: np.ndarray, cos_minus: np.ndarray, c: np.ndarray) -> np.ndarray:
    """1 - cos+ . C . cos- per event (C: (N, 3, 3)), floored at 0 (an unphysical C)."""
    return np.maximum(1.0 - np.einsum("ni,nij,nj->n", cos_plus, c, cos_minus), 0.0)


def target_correlation(family: str, c_bins: np.ndarray, mtt: np.ndarray, edges, c_gen: np.ndarray) -> np.ndarray:
    """(N, 3, 3) the target C of each response event from the unfolded C per m_tt bin (n_mtt, 3, 3)."""
    index = mtt_bins(mtt, edges)
    c_bins = np.clip(np.nan_to_num(c_bins), -1.0, 1.0)  # an unfolded C outside the physical range
    if family == "constant":
        return c_bins[index]
    if family == "sm_shape":
        mean = np.stack([c_gen[index == b].mean(axis=0) if np.any(index == b) else np.zeros((3, 3))
                         for b in range(len(c_bins))])
        return c_gen + (c_bins - mean)[index]
    raise ValueError(f"reweighting family must be one of {FAMILIES}, got {family!r}")


def response_weights(family: str, c_bins, cos_plus, cos_minus, mtt, edges, c_gen) -> np.ndarray:
    """Per response event rho_target / rho_gen (0 where rho_gen = 0, never generated there)."""
    target = density(cos_plus, cos_minus, target_correlation(family, c_bins, mtt, edges, c_gen))
    generated = density(cos_plus, cos_minus, c_gen)
    return np.divide(target, generated, out=np.zeros_like(target), where=generated > 0)
