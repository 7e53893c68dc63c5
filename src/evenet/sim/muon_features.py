"""Per-muon identification features (pfRelIso04_all, dxy, dz, ip3d, tightId).

Prompt muons (from W, Z, Upsilon decays) are isolated and point to the primary
vertex: exponential isolation with a small mean, Gaussian dxy/dz of a few tens
of microns. Muons from heavy-flavour decays are less isolated and displaced
(c tau of B hadrons ~ 450 um): wider, Laplace-shaped dxy/dz. Lengths in cm as
in NanoAOD.
"""

from __future__ import annotations

import numpy as np


def muon_features(prompt: np.ndarray, config: dict, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = len(prompt)
    p, npmt = config["prompt"], config["nonprompt"]
    iso = np.where(prompt, rng.exponential(p["iso_mean"], n), rng.exponential(npmt["iso_mean"], n))
    dxy = np.where(prompt, rng.normal(0.0, p["dxy_sigma"], n), rng.laplace(0.0, npmt["dxy_sigma"], n))
    dz = np.where(prompt, rng.normal(0.0, p["dz_sigma"], n), rng.laplace(0.0, npmt["dz_sigma"], n))
    tight = rng.random(n) < np.where(prompt, p["tight_efficiency"], npmt["tight_efficiency"])
    return {
        "pfRelIso04_all": iso.astype(np.float32),
        "dxy": dxy.astype(np.float32),
        "dz": dz.astype(np.float32),
        "ip3d": np.hypot(dxy, dz).astype(np.float32),
        "tightId": tight,
    }
