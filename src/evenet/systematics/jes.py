"""Jet energy scale: jets' pT and energy scaled by (1 + delta), MET corrected by the jets' change.

delta ~ Normal(0, width) clipped to [-clip, +clip], one per pseudo-experiment
(``draw: experiment``) or one per event (``draw: event``). With ``met: propagate`` the
MET vector moves by minus the change of the jets' summed transverse momentum (the
jets that are in the selected objects: those below the object threshold of the
selection are not stored and do not enter).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from evenet.codes import KIND_JET
from evenet.systematics.config import JESVariation
from evenet.systematics.met import shift_met
from evenet.systematics.seeds import event_uniforms


def experiment_delta(variation: JESVariation, seed: int) -> float:
    """The pseudo-experiment's delta (``draw: experiment``)."""
    delta = np.random.default_rng(seed).normal(0.0, 1.0) * variation.width
    return float(np.clip(delta, -variation.clip, variation.clip))


def event_deltas(variation: JESVariation, seed: int, run, lumi, event) -> np.ndarray:
    """delta per event: the experiment's for every event, or one draw per event (``draw: event``)."""
    n = len(event)
    if variation.draw == "experiment":
        return np.full(n, experiment_delta(variation, seed))
    if variation.width == 0.0:
        return np.zeros(n)
    normal = ndtri(event_uniforms(seed, 0, run, lumi, event))
    return np.clip(normal * variation.width, -variation.clip, variation.clip)


def scale_jets(pt: np.ndarray, energy: np.ndarray, kind: np.ndarray, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat object arrays with every jet's pT and energy times (1 + delta); ``delta`` per object."""
    factor = np.where(kind == KIND_JET, 1.0 + delta, 1.0)
    return pt * factor, energy * factor


def corrected_met(met_pt, met_phi, event: np.ndarray, phi: np.ndarray, pt_before: np.ndarray,
                  pt_after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """MET minus the per-event change of the objects' transverse momentum vector (flat arrays,
    ``event`` the event index of each object)."""
    change = pt_after - pt_before
    n = len(met_pt)
    dx = np.bincount(event, weights=change * np.cos(phi), minlength=n)
    dy = np.bincount(event, weights=change * np.sin(phi), minlength=n)
    return shift_met(met_pt, met_phi, -dx, -dy)
