"""Rest-frame calibration of generated dimuons (paper Sec. VI): restore exact two-body kinematics.

A generative model's two muons need not have the pair mass it was conditioned on.
For each event: both muons are put on shell (E_i = sqrt(|p_i|^2 + m_mu^2)), the
pair is boosted to its rest frame (PRF), the back-to-back axis is
n = (p1* - p2*) / |p1* - p2*|, the muons are set to (E*, +p* n) and (E*, -p* n) with
E* = M/2 and p* = sqrt((M/2)^2 - m_mu^2), and boosted back with the pair's
original velocity. The calibrated pair has mass M exactly and the same lab-frame
momentum direction (and velocity) as the generated pair; only the decay's opening
in the PRF and the pair energy change.

Calibration magnitude (the paper's Fig. 5b diagnostic), per event:

    delta = (|p1' - p1| + |p2' - p2|) / (|p1| + |p2|)

the summed lab-frame three-momentum change of the two muons relative to their
summed generated momentum magnitudes (0 for a pair that already had mass M and
whose PRF axis is unchanged). Units GeV.
"""

from __future__ import annotations

import numpy as np

from evenet.errors import ConfigError

MUON_MASS = 0.1056583755  # GeV, PDG


def _boost(p4: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Boost four-vectors (n, 4) = (E, px, py, pz) by velocity beta (n, 3) (active boost)."""
    b2 = np.sum(beta**2, axis=1)
    gamma = 1.0 / np.sqrt(1.0 - b2)
    bp = np.sum(beta * p4[:, 1:], axis=1)
    coef = np.where(b2 > 0, (gamma - 1.0) / np.where(b2 > 0, b2, 1.0), 0.0)
    energy = gamma * (p4[:, 0] + bp)
    p = p4[:, 1:] + (coef * bp + gamma * p4[:, 0])[:, None] * beta
    return np.concatenate([energy[:, None], p], axis=1)


def calibrate_pairs(p1: np.ndarray, p2: np.ndarray, mass: np.ndarray,
                    muon_mass: float = MUON_MASS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Calibrated muon four-momenta (n, 4) each, and the per-event calibration magnitude (n,).

    ``p1``, ``p2``: generated muon three-momenta (n, 3) [GeV]; ``mass``: the conditioning
    dimuon mass M (n,) [GeV], each above 2 m_mu."""
    p1, p2, mass = np.asarray(p1, float), np.asarray(p2, float), np.asarray(mass, float)
    if p1.shape != p2.shape or p1.ndim != 2 or p1.shape[1] != 3 or mass.shape != (len(p1),):
        raise ConfigError(f"calibrate_pairs: expected p1, p2 of shape (n, 3) and mass (n,), got "
                          f"{p1.shape}, {p2.shape}, {mass.shape}")
    if np.any(mass <= 2 * muon_mass):
        raise ConfigError("calibrate_pairs: every conditioning mass must exceed twice the muon mass")
    e1 = np.sqrt(np.sum(p1**2, axis=1) + muon_mass**2)
    e2 = np.sqrt(np.sum(p2**2, axis=1) + muon_mass**2)
    pair = np.concatenate([(e1 + e2)[:, None], p1 + p2], axis=1)
    beta = pair[:, 1:] / pair[:, :1]
    rest1 = _boost(np.concatenate([e1[:, None], p1], axis=1), -beta)
    rest2 = _boost(np.concatenate([e2[:, None], p2], axis=1), -beta)
    axis = rest1[:, 1:] - rest2[:, 1:]
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    p_star = np.sqrt((mass / 2) ** 2 - muon_mass**2)
    e_star = np.sqrt(p_star**2 + muon_mass**2)  # = M/2, written so that the on-shell relation is exact
    new1 = _boost(np.concatenate([e_star[:, None], p_star[:, None] * axis], axis=1), beta)
    new2 = _boost(np.concatenate([e_star[:, None], -p_star[:, None] * axis], axis=1), beta)
    change = (np.linalg.norm(new1[:, 1:] - p1, axis=1) + np.linalg.norm(new2[:, 1:] - p2, axis=1))
    magnitude = change / (np.linalg.norm(p1, axis=1) + np.linalg.norm(p2, axis=1))
    return new1, new2, magnitude


def pair_mass(p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    """Invariant mass of two four-vectors (n, 4) [GeV]."""
    s = p1 + p2
    return np.sqrt(np.maximum(s[:, 0] ** 2 - np.sum(s[:, 1:] ** 2, axis=1), 0.0))


def four_momenta(pt: np.ndarray, eta: np.ndarray, phi: np.ndarray, muon_mass: float = MUON_MASS) -> np.ndarray:
    """On-shell muon four-momenta (n, 4) from pt, eta, phi."""
    pt, eta, phi = (np.asarray(a, float) for a in (pt, eta, phi))
    p = np.stack([pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)], axis=1)
    return np.concatenate([np.sqrt(np.sum(p**2, axis=1) + muon_mass**2)[:, None], p], axis=1)
