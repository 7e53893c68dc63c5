"""Reconstruction of t = b + l+ + nu and tbar = bbar + l- + nubar from the selected events,
with three pairings + neutrino sources:

* ``truth``: the matched b jets and leptons of the assignment targets and the generator
  neutrinos (the ceiling);
* ``analytic``: the two leading b-tagged jets and the two leptons (by charge), both
  pairings solved with the Betchart/Sonnenschein solver (evenet.physics.neutrino_solver);
  a pairing with an exact solution beats one without, then the smaller m_tt wins;
* ``network``: the b jets of EveNet's assignment head (t -> b, tbar -> b; the leptons by
  charge) and K neutrino pairs sampled from its generative head. **Combination**: each
  sample gives a reconstructed event; the event's spin products cos_i+ cos_j- and m_tt
  are the means over its K samples (the per-event posterior mean of the observable).

Each gives per selected event: ``valid`` (reconstructed at all), the nine products
cos_i+ cos_j- (kk, kr, kn, rk, rr, rn, nk, nr, nn) and m_tt, plus the predicted pairing
in the layout of evenet.stats.pairing ({"t": (N, 2) [b, l], "tbar": ...}).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analyses.ttbar_qe.events import PointCloudEvents, p4_from_ptetaphi
from evenet.physics.neutrino_solver import smallest_mtt, solve_event
from evenet.physics.spin import lepton_cosines, mass, products


@dataclass(frozen=True)
class Reconstruction:
    valid: np.ndarray      # (N,) bool
    products: np.ndarray   # (N, 9) NaN where not valid
    mtt: np.ndarray        # (N,)
    pairing: dict          # {"t": (N, 2), "tbar": (N, 2)} predicted slots [b, l]


def _with_neutrino(p3: np.ndarray) -> np.ndarray:
    return np.concatenate([np.linalg.norm(p3, axis=-1, keepdims=True), p3], axis=-1)


def spin_observables(b, lep_plus, nu, bbar, lep_minus, nubar) -> tuple[np.ndarray, np.ndarray]:
    """(products (N, 9), m_tt (N,)) from the decay products (neutrinos as 3-momenta)."""
    top = b + lep_plus + _with_neutrino(nu)
    antitop = bbar + lep_minus + _with_neutrino(nubar)
    cos_plus, cos_minus = lepton_cosines(top, antitop, lep_plus, lep_minus)
    return products(cos_plus, cos_minus), mass(top + antitop)


def _leptons(events: PointCloudEvents) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(l+ slot, l- slot, ok): the two leading leptons, opposite charge."""
    is_lepton = (events.objects[..., 5] > 0.5) & events.mask
    order = np.argsort(~is_lepton, axis=1, kind="stable")[:, :2]
    n = np.arange(len(events))
    ok = is_lepton[n, order[:, 0]] & is_lepton[n, order[:, 1]]
    charge0 = events.objects[n, order[:, 0], 6]
    plus = np.where(charge0 > 0, order[:, 0], order[:, 1])
    minus = np.where(charge0 > 0, order[:, 1], order[:, 0])
    ok &= events.objects[n, plus, 6] * events.objects[n, minus, 6] < 0
    return np.where(ok, plus, -1), np.where(ok, minus, -1), ok


def _bjets(events: PointCloudEvents) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    is_b = (events.objects[..., 4] > 0.5) & (events.objects[..., 5] < 0.5) & events.mask
    order = np.argsort(~is_b, axis=1, kind="stable")[:, :2]
    n = np.arange(len(events))
    ok = is_b[n, order[:, 0]] & is_b[n, order[:, 1]]
    return np.where(ok, order[:, 0], -1), np.where(ok, order[:, 1], -1), ok


def _finish(events, valid, b_t, b_tbar, lp, lm, nu, nubar) -> Reconstruction:
    prod, mtt = spin_observables(events.p4(b_t), events.p4(lp), np.nan_to_num(nu), events.p4(b_tbar), events.p4(lm),
                                 np.nan_to_num(nubar))
    prod = np.where(valid[:, None], prod, np.nan)
    mtt = np.where(valid, mtt, np.nan)
    pairing = {"t": np.stack([np.where(valid, b_t, -1), np.where(valid, lp, -1)], axis=1),
               "tbar": np.stack([np.where(valid, b_tbar, -1), np.where(valid, lm, -1)], axis=1)}
    return Reconstruction(valid, prod, mtt, pairing)


def truth_reconstruction(events: PointCloudEvents) -> Reconstruction:
    t = events.targets
    valid = (t["t/b"] >= 0) & (t["t/l"] >= 0) & (t["tbar/b"] >= 0) & (t["tbar/l"] >= 0)
    valid &= np.isfinite(events.nu).all(axis=1) & np.isfinite(events.nubar).all(axis=1)
    return _finish(events, valid, t["t/b"], t["tbar/b"], t["t/l"], t["tbar/l"], events.nu, events.nubar)


def analytic_reconstruction(events: PointCloudEvents) -> Reconstruction:
    lp, lm, ok_l = _leptons(events)
    b1, b2, ok_b = _bjets(events)
    valid = ok_l & ok_b
    n = len(events)
    b_t, b_tbar = np.full(n, -1), np.full(n, -1)
    nu, nubar = np.full((n, 3), np.nan), np.full((n, 3), np.nan)
    pb1, pb2, plp, plm = events.p4(b1), events.p4(b2), events.p4(lp), events.p4(lm)
    for i in np.flatnonzero(valid):
        best = None
        for bt, bb, slot_t, slot_tb in ((pb1[i], pb2[i], b1[i], b2[i]), (pb2[i], pb1[i], b2[i], b1[i])):
            solutions = solve_event(bt, plp[i], bb, plm[i], events.met[i])
            v, vbar, mtt = smallest_mtt(solutions, bt, plp[i], bb, plm[i])
            key = (not solutions.exact, mtt)
            if best is None or key < best[0]:
                best = (key, slot_t, slot_tb, v, vbar)
        _, b_t[i], b_tbar[i], nu[i], nubar[i] = best
    return _finish(events, valid, b_t, b_tbar, lp, lm, nu, nubar)


def network_reconstruction(events: PointCloudEvents, assignment: dict, neutrino_samples: np.ndarray) -> Reconstruction:
    """``assignment``: {"t": (N, 2), "tbar": (N, 2)} predicted [b, l] slots; ``neutrino_samples``:
    (N, K, 2, 4) sampled (energy, pt, eta, phi) of the neutrino (slot 0) and antineutrino (slot 1)."""
    lp, lm, ok_l = _leptons(events)
    b_t, b_tbar = assignment["t"][:, 0], assignment["tbar"][:, 0]
    valid = ok_l & (b_t >= 0) & (b_tbar >= 0) & (b_t != b_tbar)
    samples = np.asarray(neutrino_samples, dtype=float)
    three = p4_from_ptetaphi(samples[..., 0], samples[..., 1], samples[..., 2], samples[..., 3])[..., 1:]
    n, k = samples.shape[:2]
    rep = lambda a: np.repeat(a, k, axis=0)
    prod, mtt = spin_observables(rep(events.p4(b_t)), rep(events.p4(lp)), three[:, :, 0].reshape(n * k, 3),
                                 rep(events.p4(b_tbar)), rep(events.p4(lm)), three[:, :, 1].reshape(n * k, 3))
    prod = np.where(valid[:, None], prod.reshape(n, k, 9).mean(axis=1), np.nan)
    mtt = np.where(valid, mtt.reshape(n, k).mean(axis=1), np.nan)
    return Reconstruction(valid, prod, mtt, {"t": assignment["t"], "tbar": assignment["tbar"]})
