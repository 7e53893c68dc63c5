"""Shifting the missing transverse momentum by a transverse vector, per event."""

from __future__ import annotations

import numpy as np


def shift_met(met_pt: np.ndarray, met_phi: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pt, phi) of MET + (dx, dy). Events with a zero shift keep their MET bit for bit
    (a round trip through x, y would not), so a zero variation reproduces the nominal."""
    met_pt = np.asarray(met_pt, dtype=np.float64)
    met_phi = np.asarray(met_phi, dtype=np.float64)
    x = met_pt * np.cos(met_phi) + dx
    y = met_pt * np.sin(met_phi) + dy
    moved = (np.asarray(dx) != 0) | (np.asarray(dy) != 0)
    return np.where(moved, np.hypot(x, y), met_pt), np.where(moved, np.arctan2(y, x), met_phi)
