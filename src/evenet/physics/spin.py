"""Top-pair spin observables: rest frames, the helicity basis, B_i and C_ij by the
decay-angle method, the entanglement marker D, and the sign conventions (docs/ttbar_qe.md).

Convention ("paper"): the spin density matrix of the pair is

    rho = 1/4 (1 x 1 + B+_i sigma_i x 1 + B-_j 1 x sigma_j + C_ij sigma_i x sigma_j)

with the top AND the antitop spin on the same axes (k, r, n). With the charged
leptons as analysers (spin-analysing powers +1 for l+, -1 for l-):

    <cos_i+> = B+_i / 3,   <cos_j-> = -B-_j / 3,   <cos_i+ cos_j-> = -C_ij / 9,

cos_i+ the l+ direction in the top rest frame on axis i, cos_j- the l- direction
in the antitop rest frame on axis j. Frames: lab -> ttbar rest frame -> (anti)top
rest frame (two successive pure boosts). D = |C_kk + C_rr| - C_nn > 1 means
entanglement (paper eq. 7). ATLAS quotes tr(C)/3 (entangled if < -1/3).

The generator (evenet.sim.ttbar_spin) imposes Bernreuther et al.'s sign, where the
antitop axes are (-k, -r, -n): there C_gen = -C, B1 = B+, B2 = B-; see
:func:`from_generator_convention`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CONVENTION = ("paper: C_ij = -9 <cos_i+ cos_j->, l+ in the top and l- in the antitop rest frame, both on the "
              "helicity axes (k, r, n) with sign(y) on r and n; D = |C_kk + C_rr| - C_nn, entangled if D > 1; "
              "D_ATLAS = tr(C)/3, entangled if < -1/3; generator (Bernreuther) C = -C_paper")
AXES = ("k", "r", "n")
DEFAULT_MTT_EDGES = (0.0, 400.0, 500.0, 800.0, np.inf)


def boost(p4: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Pure Lorentz boost of (N, 4) four-momenta (E, px, py, pz) by velocities beta (N, 3):
    a particle at rest becomes one moving with beta."""
    b2 = np.sum(beta**2, axis=1)
    gamma = 1.0 / np.sqrt(1.0 - b2)
    bp = np.sum(beta * p4[:, 1:], axis=1)
    coef = np.where(b2 > 0, (gamma - 1.0) / np.where(b2 > 0, b2, 1.0), 0.0)
    energy = gamma * (p4[:, 0] + bp)
    p3 = p4[:, 1:] + (coef * bp + gamma * p4[:, 0])[:, None] * beta
    return np.concatenate([energy[:, None], p3], axis=1)


def velocity(p4: np.ndarray) -> np.ndarray:
    return p4[:, 1:] / p4[:, :1]


def mass(p4: np.ndarray) -> np.ndarray:
    return np.sqrt(np.maximum(p4[:, 0] ** 2 - np.sum(p4[:, 1:] ** 2, axis=1), 0.0))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def helicity_basis(top_zmf: np.ndarray) -> np.ndarray:
    """(N, 3 axes, 3 components): k, r, n from the top four-momentum in the ttbar rest frame
    (Bernreuther, Heisler, Si, JHEP 12 (2015) 026): k = top direction, p = +z beam axis,
    y = p.k, r = sign(y) (p - y k) / sqrt(1 - y^2), n = sign(y) (p x k) / sqrt(1 - y^2).
    The sign(y) factor keeps C_rk and B_r from averaging away in symmetric pp collisions."""
    k = _unit(top_zmf[:, 1:])
    beam = np.broadcast_to(np.array([0.0, 0.0, 1.0]), k.shape)
    y = k[:, 2]
    norm = np.sqrt(np.maximum(1.0 - y**2, 1e-12))[:, None]
    sign = np.where(y >= 0, 1.0, -1.0)[:, None]
    r = sign * (beam - y[:, None] * k) / norm
    n = sign * np.cross(beam, k) / norm
    return np.stack([k, r, n], axis=1)


def lepton_cosines(top: np.ndarray, antitop: np.ndarray, lep_plus: np.ndarray,
                   lep_minus: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cos+, cos-), each (N, 3) on (k, r, n): the l+ direction in the top rest frame and the
    l- direction in the antitop rest frame, both on the same axes (paper convention)."""
    to_zmf = -velocity(top + antitop)
    top_z, antitop_z = boost(top, to_zmf), boost(antitop, to_zmf)
    l_plus = _unit(boost(boost(lep_plus, to_zmf), -velocity(top_z))[:, 1:])
    l_minus = _unit(boost(boost(lep_minus, to_zmf), -velocity(antitop_z))[:, 1:])
    axes = helicity_basis(top_z)
    return np.einsum("nac,nc->na", axes, l_plus), np.einsum("nac,nc->na", axes, l_minus)


def products(cos_plus: np.ndarray, cos_minus: np.ndarray) -> np.ndarray:
    """(N, 9) per-event cos_i+ cos_j- in the order kk, kr, kn, rk, rr, rn, nk, nr, nn."""
    return np.einsum("ni,nj->nij", cos_plus, cos_minus).reshape(len(cos_plus), 9)


@dataclass(frozen=True)
class SpinCoefficients:
    """C (3x3), B+ and B- (3) and the covariance of the 15 numbers (C row-major, B+, B-)."""

    C: np.ndarray
    B_plus: np.ndarray
    B_minus: np.ndarray
    covariance: np.ndarray

    @property
    def values(self) -> np.ndarray:
        return np.concatenate([self.C.reshape(9), self.B_plus, self.B_minus])

    @property
    def errors(self) -> np.ndarray:
        return np.sqrt(np.diag(self.covariance))

    @property
    def C_errors(self) -> np.ndarray:
        return self.errors[:9].reshape(3, 3)

    def D(self) -> tuple[float, float]:
        """(D, sigma_D) with the correlations of C_kk, C_rr, C_nn propagated."""
        return marker_d(self.C, self.covariance[:9, :9])


def spin_coefficients(cos_plus: np.ndarray, cos_minus: np.ndarray, weights=None) -> SpinCoefficients:
    """Decay-angle method: C_ij = -9 <cos_i+ cos_j->, B+_i = 3 <cos_i+>, B-_j = -3 <cos_j->,
    with the covariance of the means from the per-event spread (weighted: sum(w)^2 / sum(w^2)
    effective events)."""
    cos_plus, cos_minus = np.asarray(cos_plus, dtype=float), np.asarray(cos_minus, dtype=float)
    terms = np.concatenate([-9.0 * products(cos_plus, cos_minus), 3.0 * cos_plus, -3.0 * cos_minus], axis=1)
    w = np.ones(len(terms)) if weights is None else np.asarray(weights, dtype=float)
    if len(terms) < 2 or w.sum() <= 0:
        raise ValueError(f"spin coefficients need at least two events with positive weight, got {len(terms)}")
    mean = w @ terms / w.sum()
    centred = terms - mean
    covariance = (centred * (w**2)[:, None]).T @ centred / w.sum() ** 2
    return SpinCoefficients(mean[:9].reshape(3, 3), mean[9:12], mean[12:15], covariance)


def marker_d(c: np.ndarray, covariance: np.ndarray | None = None) -> tuple[float, float]:
    """D = |C_kk + C_rr| - C_nn and its error from the 9x9 covariance of C (row-major), if given."""
    c = np.asarray(c, dtype=float).reshape(3, 3)
    s = c[0, 0] + c[1, 1]
    d = abs(s) - c[2, 2]
    if covariance is None:
        return float(d), float("nan")
    grad = np.zeros(9)
    grad[0] = grad[4] = np.sign(s) if s != 0 else 1.0
    grad[8] = -1.0
    return float(d), float(np.sqrt(grad @ np.asarray(covariance) @ grad))


def relative_precision(d: float, sigma_d: float) -> float:
    """Delta D = sigma_D / (D - 1), the paper's precision on the entanglement marker."""
    return float(sigma_d / (d - 1.0)) if d != 1.0 else float("inf")


def atlas_d(c: np.ndarray) -> float:
    """tr(C)/3 in the paper convention (ATLAS's D = -3 <cos phi>; entangled if < -1/3)."""
    return float(np.trace(np.asarray(c, dtype=float).reshape(3, 3)) / 3.0)


def from_generator_convention(c_gen, b1=(0.0, 0.0, 0.0), b2=(0.0, 0.0, 0.0)):
    """(C, B+, B-) in the paper convention from the generator's (C, B1, B2) (antitop axes
    -k, -r, -n; decay weight 1 + B1.l1 + B2.l2 - l1 C l2): C = -C_gen, B+ = B1, B- = B2."""
    return -np.asarray(c_gen, dtype=float), np.asarray(b1, dtype=float), np.asarray(b2, dtype=float)


def mtt_bins(mtt: np.ndarray, edges=DEFAULT_MTT_EDGES) -> np.ndarray:
    """Index of each event's m_tt bin (edges[i] <= m < edges[i+1]); -1 outside."""
    edges = np.asarray(edges, dtype=float)
    index = np.searchsorted(edges, mtt, side="right") - 1
    return np.where((index >= 0) & (index < len(edges) - 1), index, -1)
