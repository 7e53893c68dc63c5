"""Azimuthal rotations of dimuon events: the generators can learn them in the pair frame.

The physics is symmetric under a common rotation of all momenta about the beam axis, and
the pair mass, every classifier feature (analyses/cathode/features.py) and the rest-frame
calibration are invariant under it (tested). With ``generator.rotate_phi`` the generators
are trained on sideband events rotated so the pair has phi = 0: the two muons' phi are then
mostly within +-pi/2, their difference rarely crosses the +-pi seam, and the point-cloud
head learns the opening angle's dependence on its conditions (docs/cathode.md, What was
tried). Generated events get a uniformly random rotation back (generate.py).
"""

from __future__ import annotations

import numpy as np


def wrap(phi: np.ndarray) -> np.ndarray:
    """Angles into (-pi, pi]."""
    return np.pi - (np.pi - np.asarray(phi, float)) % (2 * np.pi)


def pair_phi(pt: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Azimuth (n,) of the summed transverse momentum of objects (n, k); pt 0 for empty slots."""
    return np.arctan2(np.sum(pt * np.sin(phi), axis=1), np.sum(pt * np.cos(phi), axis=1))


def rotate(phi: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """phi (n, ...) rotated by angle (n,), wrapped into (-pi, pi]."""
    angle = np.asarray(angle, float).reshape((-1,) + (1,) * (np.ndim(phi) - 1))
    return wrap(np.asarray(phi, float) + angle)
