"""Four-vector helpers for the spin-correlated decays: boosts (via the ``vector`` package)
and two-body decays. The helicity basis lives in evenet.physics.spin."""

from __future__ import annotations

import numpy as np
import vector


def lorentz(p4: np.ndarray) -> vector.MomentumNumpy4D:
    """(N, 4) array of (E, px, py, pz) as a vector array."""
    return vector.array({"px": p4[:, 1], "py": p4[:, 2], "pz": p4[:, 3], "E": p4[:, 0]})


def as_array(v: vector.MomentumNumpy4D) -> np.ndarray:
    return np.stack([v.E, v.px, v.py, v.pz], axis=1)


def boost(p4: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Boost (N, 4) four-momenta by velocities beta (N, 3)."""
    b = vector.array({"x": beta[:, 0], "y": beta[:, 1], "z": beta[:, 2]})
    return as_array(lorentz(p4).boost_beta3(b))


def velocity(p4: np.ndarray) -> np.ndarray:
    return p4[:, 1:] / p4[:, :1]


def isotropic_directions(n: int, rng: np.random.Generator) -> np.ndarray:
    cos_theta = rng.uniform(-1.0, 1.0, n)
    phi = rng.uniform(0.0, 2 * np.pi, n)
    sin_theta = np.sqrt(1.0 - cos_theta**2)
    return np.stack([sin_theta * np.cos(phi), sin_theta * np.sin(phi), cos_theta], axis=1)


def two_body_momentum(m: np.ndarray, m1: np.ndarray, m2: np.ndarray) -> np.ndarray:
    """Daughter momentum in the rest frame of a mass-m particle: sqrt(lambda(m^2, m1^2, m2^2)) / 2m."""
    lam = (m**2 - (m1 + m2) ** 2) * (m**2 - (m1 - m2) ** 2)
    return np.sqrt(np.maximum(lam, 0.0)) / (2 * m)


def at_rest_pair(direction: np.ndarray, p: np.ndarray, m1: np.ndarray, m2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Back-to-back four-momenta (E, p) of daughters with masses m1 (along direction) and m2."""
    p3 = direction * p[:, None]
    first = np.concatenate([np.sqrt(p**2 + m1**2)[:, None], p3], axis=1)
    second = np.concatenate([np.sqrt(p**2 + m2**2)[:, None], -p3], axis=1)
    return first, second
