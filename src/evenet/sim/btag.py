"""Continuous b-tag discriminant in [0, 1] with set efficiencies at a working point.

A jet of hadron flavour f passes the working point w with probability eps_f.
Passing jets get d = 1 - (1 - w) * u**3 (piled up towards 1), failing jets
d = w * u**k (k = 2 for light and c, piled towards 0; k = 0.5 for b, so that
failing b jets sit closer to the cut). u is uniform in [0, 1]. Outside the
tracker acceptance (|eta| > eta_max) the discriminant is 0.
"""

from __future__ import annotations

import numpy as np


def btag_discriminant(hadron_flavour: np.ndarray, eta: np.ndarray, config: dict, rng: np.random.Generator) -> np.ndarray:
    wp = config["working_point"]
    eff = config["efficiency"]
    efficiency = np.where(hadron_flavour == 5, eff["b"], np.where(hadron_flavour == 4, eff["c"], eff["light"]))
    passes = rng.random(len(eta)) < efficiency
    u = rng.random(len(eta))
    failing_power = np.where(hadron_flavour == 5, 0.5, 2.0)
    value = np.where(passes, 1.0 - (1.0 - wp) * u**3, wp * u**failing_power)
    return np.where(np.abs(eta) <= config["eta_max"], value, 0.0)
