"""Four-vector helpers on awkward arrays, built on the ``vector`` package.

Objects are (pt, eta, phi, mass) records; :func:`momentum4d` gives them the
``Momentum4D`` behaviour so that sums, ``.mass``, ``.deltaR`` etc. work
element-wise on jagged arrays. Units: GeV, radians.
"""

from __future__ import annotations

import awkward as ak
import numpy as np
import vector

vector.register_awkward()


def momentum4d(objects: ak.Array) -> ak.Array:
    """(pt, eta, phi, mass) of ``objects`` as ``Momentum4D`` vectors (same jagged structure)."""
    return ak.zip(
        {"pt": objects.pt, "eta": objects.eta, "phi": objects.phi, "mass": objects.mass},
        with_name="Momentum4D",
    )


def massless_from_met(met: ak.Array) -> ak.Array:
    """The missing transverse momentum as a massless ``Momentum4D`` with eta = 0 (pz = 0)."""
    return ak.zip(
        {"pt": met.pt, "eta": ak.zeros_like(met.pt), "phi": met.phi, "mass": ak.zeros_like(met.pt)},
        with_name="Momentum4D",
    )


def energy(pt, eta, mass):
    """E = sqrt((pt cosh eta)^2 + m^2); works on numpy and awkward arrays."""
    p = pt * np.cosh(eta)
    return np.sqrt(p * p + mass * mass)


def delta_phi(phi1, phi2):
    """phi1 - phi2 wrapped into [-pi, pi)."""
    return (phi1 - phi2 + np.pi) % (2 * np.pi) - np.pi


def delta_r(eta1, phi1, eta2, phi2):
    """sqrt(deta^2 + dphi^2) with dphi wrapped; broadcasts like numpy/awkward."""
    deta = eta1 - eta2
    dphi = delta_phi(phi1, phi2)
    return np.sqrt(deta * deta + dphi * dphi)


def min_delta_r(objects: ak.Array, others: ak.Array) -> ak.Array:
    """For each object of a jagged collection, the smallest dR to any object of ``others``.

    Both are jagged per event (fields eta, phi); objects in events where
    ``others`` is empty get +inf. The object pairs of each event are enumerated
    on the flat numpy content (no per-event loop).
    """
    counts_a = ak.to_numpy(ak.num(objects, axis=1))
    counts_b = ak.to_numpy(ak.num(others, axis=1))
    eta_a, phi_a = (ak.to_numpy(ak.flatten(objects[f], axis=1)) for f in ("eta", "phi"))
    eta_b, phi_b = (ak.to_numpy(ak.flatten(others[f], axis=1)) for f in ("eta", "phi"))

    event_a = np.repeat(np.arange(len(counts_a)), counts_a)
    n_pairs = counts_b[event_a]
    pair_start = np.cumsum(n_pairs) - n_pairs
    a_index = np.repeat(np.arange(len(event_a)), n_pairs)
    b_start = (np.cumsum(counts_b) - counts_b)[event_a]
    b_index = np.repeat(b_start - pair_start, n_pairs) + np.arange(len(a_index))
    deta = eta_a[a_index] - eta_b[b_index]
    dphi = delta_phi(phi_a[a_index], phi_b[b_index])
    dr2 = deta * deta + dphi * dphi

    result = np.full(len(event_a), np.inf)
    has_pairs = n_pairs > 0
    if has_pairs.any():
        result[has_pairs] = np.sqrt(np.minimum.reduceat(dr2, pair_start[has_pairs]))
    return ak.unflatten(result, counts_a)


def system_mass(objects: ak.Array) -> np.ndarray:
    """Invariant mass of the sum of all objects of each event (0 for an empty event).

    ``objects`` is jagged (pt, eta, phi, energy); m^2 = (sum E)^2 - |sum p|^2,
    clipped at 0 against rounding.
    """
    px = ak.sum(objects.pt * np.cos(objects.phi), axis=1)
    py = ak.sum(objects.pt * np.sin(objects.phi), axis=1)
    pz = ak.sum(objects.pt * np.sinh(objects.eta), axis=1)
    e = ak.sum(objects.energy, axis=1)
    m2 = ak.to_numpy(e * e - px * px - py * py - pz * pz).astype(np.float64)
    return np.sqrt(np.maximum(m2, 0.0))
