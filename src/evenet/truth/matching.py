"""Match generator partons/leptons to the reconstructed objects of the point cloud.

A product is matched to the closest point-cloud slot of a compatible object
kind within ``max_dr``; quarks and gluons match jets, electrons electrons,
muons muons, taus hadronic taus. Two products claiming the same slot are
both left unmatched (-1): the assignment target would be ambiguous.
"""

from __future__ import annotations

import numpy as np

from evenet.physics.kinematics import delta_phi
from evenet.codes import KIND_ELECTRON, KIND_JET, KIND_MUON, KIND_PHOTON, KIND_TAU



def object_kind_for_pdg(abs_pdg: np.ndarray) -> np.ndarray:
    """The reconstructed-object kind a generator particle shows up as (-1: invisible/none)."""
    kind = np.full(abs_pdg.shape, -1, dtype=np.int64)
    kind[(abs_pdg >= 1) & (abs_pdg <= 5) | (abs_pdg == 21)] = KIND_JET
    kind[abs_pdg == 11] = KIND_ELECTRON
    kind[abs_pdg == 13] = KIND_MUON
    kind[abs_pdg == 15] = KIND_TAU
    kind[abs_pdg == 22] = KIND_PHOTON
    return kind


def match_to_slots(
    product_eta: np.ndarray,
    product_phi: np.ndarray,
    product_kind: np.ndarray,
    slot_eta: np.ndarray,
    slot_phi: np.ndarray,
    slot_kind: np.ndarray,
    slot_mask: np.ndarray,
    max_dr: float,
) -> np.ndarray:
    """Slot index matched to every product, -1 if none.

    product_*: (N, K) with kind -1 for absent products; slot_*: (N, S).
    """
    deta = product_eta[:, :, None] - slot_eta[:, None, :]
    dphi = delta_phi(product_phi[:, :, None], slot_phi[:, None, :])
    dr = np.sqrt(deta**2 + dphi**2)
    allowed = slot_mask[:, None, :] & (product_kind[:, :, None] == slot_kind[:, None, :]) & (product_kind[:, :, None] >= 0)
    dr = np.where(allowed, dr, np.inf)
    best = np.argmin(dr, axis=2) if dr.shape[2] else np.zeros(dr.shape[:2], dtype=np.int64)
    best_dr = np.take_along_axis(dr, best[:, :, None], axis=2)[:, :, 0] if dr.shape[2] else np.full(dr.shape[:2], np.inf)
    match = np.where(best_dr < max_dr, best, -1)
    # Two products on one slot: both ambiguous.
    same = (match[:, :, None] == match[:, None, :]) & (match[:, :, None] >= 0)
    clash = same.sum(axis=2) > 1
    return np.where(clash, -1, match)
