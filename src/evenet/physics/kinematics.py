"""Four-vector helpers on awkward arrays, built on the ``vector`` package.

Objects are (pt, eta, phi, mass) records; :func:`momentum4d` gives them the
``Momentum4D`` behaviour so that sums, ``.mass``, ``.deltaR`` etc. work
element-wise on jagged arrays. Units: GeV, radians.
"""

from __future__ import annotations

import awkward as ak
import numba
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


@numba.njit(cache=True)
def _min_delta_r_kernel(objects, others, out):
    # numba walks both awkward layouts event by event; no pair arrays are materialised.
    k = 0
    for i in range(len(objects)):
        for a in objects[i]:
            best = np.inf
            for b in others[i]:
                dphi = (a.phi - b.phi + np.pi) % (2 * np.pi) - np.pi
                deta = a.eta - b.eta
                dr2 = deta * deta + dphi * dphi
                if dr2 < best:
                    best = dr2
            out[k] = np.sqrt(best)
            k += 1


def min_delta_r(objects: ak.Array, others: ak.Array) -> ak.Array:
    """For each object of a jagged collection, the smallest dR to any object of ``others``.

    Both are jagged per event (fields eta, phi); objects in events where
    ``others`` is empty get +inf.
    """
    counts = ak.to_numpy(ak.num(objects, axis=1))
    out = np.empty(int(counts.sum()), dtype=np.float64)
    if len(out):
        _min_delta_r_kernel(ak.zip({"eta": objects.eta, "phi": objects.phi}), ak.zip({"eta": others.eta, "phi": others.phi}), out)
    return ak.unflatten(out, counts)


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
