"""Soft MET: a random transverse vector added to MET, drawn per event.

Magnitude: log-normal (``mu``, ``sigma`` of ln(m / GeV)) truncated to [0, ``max_gev``],
drawn by inverting its distribution function,
``m = exp(mu + sigma * Phi^-1(u * Phi((ln max_gev - mu) / sigma)))``; direction uniform
in [0, 2 pi). Both come from uniforms fixed by the event's identity and the
pseudo-experiment's seed.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

from evenet.systematics.config import SoftMETVariation
from evenet.systematics.seeds import event_uniforms


def truncated_lognormal_cdf(x, variation: SoftMETVariation) -> np.ndarray:
    """Distribution function of the truncated magnitude (for tests and checks)."""
    x = np.asarray(x, dtype=np.float64)
    top = ndtr((np.log(variation.max_gev) - variation.mu) / variation.sigma)
    with np.errstate(divide="ignore"):
        inside = ndtr((np.log(np.clip(x, 0.0, variation.max_gev)) - variation.mu) / variation.sigma) / top
    return np.where(x <= 0, 0.0, inside)


def soft_met_kicks(variation: SoftMETVariation, seed: int, run, lumi, event) -> tuple[np.ndarray, np.ndarray]:
    """(magnitude, direction) of the vector added to each event's MET."""
    n = len(event)
    if variation.max_gev == 0.0:
        return np.zeros(n), np.zeros(n)
    top = ndtr((np.log(variation.max_gev) - variation.mu) / variation.sigma)
    u = event_uniforms(seed, 1, run, lumi, event)
    with np.errstate(divide="ignore"):
        magnitude = np.exp(variation.mu + variation.sigma * ndtri(u * top))
    phi = 2.0 * np.pi * event_uniforms(seed, 2, run, lumi, event)
    return np.minimum(magnitude, variation.max_gev), phi
