"""Top-pair decays t -> b W+ -> b l+ nu (and c.c.) with spin correlations and V-A decays.

Pythia produces undecayed tops (6:mayDecay = off); each top is decayed here with
two-body phase space in its rest frame (W mass from a truncated Breit-Wigner, b mass
4.8 GeV), and the pair of decays is accepted with probability proportional to

    w = V(t) V(tbar) (1 + B1 . l1 + B2 . l2 - l1^T C l2)

(Bernreuther, Heisler, Si, JHEP 12 (2015) 026), l1 the l+ direction in the top rest frame
on (k, r, n), l2 the l- direction in the antitop rest frame on (-k, -r, -n) (frames
reached lab -> ttbar ZMF -> top). With this sign <cos_i(l1) cos_j(l2)> = -C_ij / 9 and
<cos_i(l1)> = B1_i / 3; evenet.physics.spin converts to the paper's convention
(C_paper = -C). V = (p_t.p_l)(p_b.p_nu), normalised to its maximum at the event's W
mass, is the V-A matrix element of t -> b l nu (W helicity fractions F0 ~ 0.7,
F_L ~ 0.3, F_R = 0); its spin-dependent part is the factor in brackets, the charged
lepton having analysing power 1. ``C = "sm"`` takes C per event from the LO QCD
production density (evenet.sim.ttbar_lo_spin: g g or q qbar from Pythia's incoming
partons, top velocity and angle in the ttbar rest frame), with B1 = B2 = 0.
Leptons are e or mu, each with probability 1/2, per W.
"""

from __future__ import annotations

import numpy as np

from evenet.errors import ConfigError
from evenet.physics.spin import helicity_basis
from evenet.sim.kinematics import at_rest_pair, boost, isotropic_directions, two_body_momentum, velocity
from evenet.sim.record import GenRecord
from evenet.sim.ttbar_lo_spin import lo_spin_correlation

W_MASS, W_WIDTH, B_MASS = 80.379, 2.085, 4.8
LEPTON_MASS = {11: 0.000511, 13: 0.10566}


def spin_parameters(params: dict, defaults: dict) -> tuple[np.ndarray | str, np.ndarray, np.ndarray]:
    """(C, B1, B2) from --params, validated so that the decay weight is never negative;
    C is a 3x3 array or the string "sm" (LO Standard Model per event, B1 = B2 = 0 then)."""
    merged = {**defaults, **params}
    try:
        b1, b2 = np.asarray(merged["B1"], dtype=float), np.asarray(merged["B2"], dtype=float)
        c = merged["C"] if isinstance(merged["C"], str) else np.asarray(merged["C"], dtype=float)
    except (TypeError, ValueError):
        raise ConfigError('--params: C must be "sm" or a 3x3 list of numbers, B1 and B2 lists of 3 numbers') from None
    if isinstance(c, str):
        if c != "sm":
            raise ConfigError(f'--params: C must be "sm" or a 3x3 list of numbers, got {c!r}')
        if b1.shape != (3,) or b2.shape != (3,) or np.any(b1 != 0) or np.any(b2 != 0):
            raise ConfigError('--params: C = "sm" has no polarisation at LO: B1 and B2 must be [0, 0, 0]')
        return c, b1, b2
    if c.shape != (3, 3) or b1.shape != (3,) or b2.shape != (3,):
        raise ConfigError(f"--params: C must be 3x3 and B1, B2 of length 3, got shapes {c.shape}, {b1.shape}, {b2.shape}")
    if np.linalg.norm(b1) + np.linalg.norm(b2) + np.linalg.norm(c, 2) > 1.0 + 1e-12:
        raise ConfigError("--params: need |B1| + |B2| + ||C||_2 <= 1 so that 1 + B1.l1 + B2.l2 - l1 C l2 >= 0")
    return c, b1, b2


def _minkowski(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[:, 0] * b[:, 0] - np.sum(a[:, 1:] * b[:, 1:], axis=1)


def v_minus_a_weight(top_mass: np.ndarray, w: np.ndarray, b: np.ndarray, lepton: np.ndarray) -> np.ndarray:
    """(p_t.p_l)(p_b.p_nu) / its maximum at fixed masses, in [0, 1]. With y = p_b.p_l:
    p_t.p_l = y + A, p_b.p_nu = K - y, A = (m_W^2 + m_l^2)/2, K = (m_t^2 - m_b^2 - m_W^2)/2,
    so the maximum over the decay angles is ((K + A)/2)^2."""
    m_w2, m_b2, m_l2 = _minkowski(w, w), _minkowski(b, b), _minkowski(lepton, lepton)
    y = _minkowski(b, lepton)
    a, k = (m_w2 + m_l2) / 2, (top_mass**2 - m_b2 - m_w2) / 2
    return np.clip((y + a) * (k - y) / ((k + a) / 2) ** 2, 0.0, 1.0)


def _w_masses(top_mass: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Breit-Wigner (Cauchy) W masses truncated to [50 GeV, m_top - m_b]."""
    low = np.full_like(top_mass, 50.0)
    high = top_mass - B_MASS - 1e-3
    u = rng.random(len(top_mass))
    lo, hi = np.arctan((low - W_MASS) / (W_WIDTH / 2)), np.arctan((high - W_MASS) / (W_WIDTH / 2))
    return W_MASS + W_WIDTH / 2 * np.tan(lo + u * (hi - lo))


def _decay_at_rest(top_mass: np.ndarray, lepton_mass: np.ndarray, rng: np.random.Generator):
    """t -> b W, W -> l nu in the top rest frame; returns (W, b, l, nu) four-momenta."""
    n = len(top_mass)
    m_w = _w_masses(top_mass, rng)
    w, b = at_rest_pair(isotropic_directions(n, rng), two_body_momentum(top_mass, m_w, np.full(n, B_MASS)),
                        m_w, np.full(n, B_MASS))
    lep_w, nu_w = at_rest_pair(isotropic_directions(n, rng), two_body_momentum(m_w, lepton_mass, np.zeros(n)),
                               lepton_mass, np.zeros(n))
    return w, b, boost(lep_w, velocity(w)), boost(nu_w, velocity(w))


def _in_basis(v: np.ndarray, axes: np.ndarray) -> np.ndarray:
    return np.einsum("nac,nc->na", axes, v)


def _from_basis(v: np.ndarray, axes: np.ndarray) -> np.ndarray:
    return np.einsum("nac,na->nc", axes, v)


def decay_ttbar_with_spin(record: GenRecord, c: np.ndarray | str, b1: np.ndarray, b2: np.ndarray,
                          rng: np.random.Generator) -> GenRecord:
    """Append W+, b, l+, nu, W-, bbar, l-, nubar (with mother links) to every event's t tbar."""
    n = record.n_events
    width = int(record.counts[0]) if n else 0
    if n and not np.all(record.counts == width):
        raise RuntimeError("ttbar records with differing lengths")
    pdg = record.pdg.reshape(n, width)
    i_top, i_antitop = np.argmax(pdg == 6, axis=1), np.argmax(pdg == -6, axis=1)
    four = np.stack([record.e, record.px, record.py, record.pz], axis=1).reshape(n, width, 4)
    top, antitop = four[np.arange(n), i_top], four[np.arange(n), i_antitop]
    to_zmf = -velocity(top + antitop)
    top_z, antitop_z = boost(top, to_zmf), boost(antitop, to_zmf)
    axes = helicity_basis(top_z)
    if isinstance(c, str):  # "sm": LO per event, in the generator's sign
        incoming = record.status.reshape(n, width) == -21
        gluon_fusion = np.sum(incoming & (pdg == 21), axis=1) == 2
        beta = np.linalg.norm(top_z[:, 1:], axis=1) / top_z[:, 0]
        c_event = -lo_spin_correlation(gluon_fusion, beta, axes[:, 0, 2])
    else:
        c_event = np.broadcast_to(c, (n, 3, 3))
    m_top = np.sqrt(np.maximum(top[:, 0] ** 2 - np.sum(top[:, 1:] ** 2, axis=1), 0))
    m_antitop = np.sqrt(np.maximum(antitop[:, 0] ** 2 - np.sum(antitop[:, 1:] ** 2, axis=1), 0))
    flavour_plus = np.where(rng.random(n) < 0.5, 11, 13)
    flavour_minus = np.where(rng.random(n) < 0.5, 11, 13)
    mass_plus = np.vectorize(LEPTON_MASS.get)(flavour_plus).astype(float)
    mass_minus = np.vectorize(LEPTON_MASS.get)(flavour_minus).astype(float)

    # Decays in the (anti)top rest frame, coordinates on (k, r, n) resp. (-k, -r, -n).
    decays_t = [np.zeros((n, 4)) for _ in range(4)]
    decays_tb = [np.zeros((n, 4)) for _ in range(4)]
    pending = np.arange(n)
    w_max = 1.0 + np.linalg.norm(b1) + np.linalg.norm(b2) + np.linalg.norm(c_event, 2, axis=(1, 2))
    while len(pending):
        dt = _decay_at_rest(m_top[pending], mass_plus[pending], rng)
        dtb = _decay_at_rest(m_antitop[pending], mass_minus[pending], rng)
        l1 = dt[2][:, 1:] / np.linalg.norm(dt[2][:, 1:], axis=1, keepdims=True)
        l2 = dtb[2][:, 1:] / np.linalg.norm(dtb[2][:, 1:], axis=1, keepdims=True)
        weight = (1.0 + l1 @ b1 + l2 @ b2 - np.einsum("ni,nij,nj->n", l1, c_event[pending], l2)) \
            * v_minus_a_weight(m_top[pending], dt[0], dt[1], dt[2]) \
            * v_minus_a_weight(m_antitop[pending], dtb[0], dtb[1], dtb[2])
        accept = rng.random(len(pending)) * w_max[pending] < weight
        for store, new in ((decays_t, dt), (decays_tb, dtb)):
            for slot, p4 in zip(store, new):
                slot[pending[accept]] = p4[accept]
        pending = pending[~accept]

    def to_lab(p4: np.ndarray, axes_sign: float, parent_zmf: np.ndarray) -> np.ndarray:
        p3 = _from_basis(axes_sign * p4[:, 1:], axes)
        in_zmf = boost(np.concatenate([p4[:, :1], p3], axis=1), velocity(parent_zmf))
        return boost(in_zmf, -to_zmf)

    products_t = [to_lab(p, 1.0, top_z) for p in decays_t]
    products_tb = [to_lab(p, -1.0, antitop_z) for p in decays_tb]
    return _append_decays(record, width, i_top, i_antitop, products_t, products_tb, flavour_plus, flavour_minus)


def _append_decays(record, width, i_top, i_antitop, products_t, products_tb, flavour_plus, flavour_minus) -> GenRecord:
    n = record.n_events
    status = record.status.reshape(n, width).copy()
    status[np.arange(n), i_top] = -22
    status[np.arange(n), i_antitop] = -22
    new_pdg = np.stack([np.full(n, 24), np.full(n, 5), -flavour_plus, flavour_plus + 1,
                        np.full(n, -24), np.full(n, -5), flavour_minus, -(flavour_minus + 1)], axis=1)
    new_status = np.tile([-22, 23, 23, 23, -22, 23, 23, 23], (n, 1))
    w_plus, w_minus = width, width + 4
    new_mother = np.stack([i_top, i_top, np.full(n, w_plus), np.full(n, w_plus),
                           i_antitop, i_antitop, np.full(n, w_minus), np.full(n, w_minus)], axis=1)
    new_p4 = np.stack(products_t + products_tb, axis=1)  # order: W, b, l, nu for t then tbar
    old_p4 = np.stack([record.e, record.px, record.py, record.pz], axis=1).reshape(n, width, 4)
    p4 = np.concatenate([old_p4, new_p4], axis=1).reshape(-1, 4)
    cat = lambda old, new: np.concatenate([old.reshape(n, width), new], axis=1).reshape(-1).astype(np.int32)
    return GenRecord(np.full(n, width + 8, dtype=np.int64), cat(record.pdg, new_pdg), cat(status, new_status),
                     cat(record.mother1, new_mother), p4[:, 1].copy(), p4[:, 2].copy(), p4[:, 3].copy(), p4[:, 0].copy())
