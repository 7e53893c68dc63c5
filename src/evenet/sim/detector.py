"""Parametric detector: truth objects -> reconstructed collections and MET.

Input is a set of truth candidates per type (flat arrays with an ``event``
index); each type gets acceptance (pt, |eta|), an efficiency, a pt resolution
sigma/pt = sqrt((N/pt)^2 + S^2/pt + C^2 + (L pt)^2) and Gaussian eta/phi
smearing. MET = |sum of invisible pT - sum of (reco - true) pT of the
reconstructed objects + Gaussian noise|, noise sigma per component
= constant + sqrt_sumet * sqrt(sum ET of reconstructed objects).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evenet.sim.btag import btag_discriminant
from evenet.sim.muon_features import muon_features

MASS = {"Electron": 0.000511, "Muon": 0.10566, "Photon": 0.0}
CONFIG_KEY = {"Jet": "jet", "Electron": "electron", "Muon": "muon", "Tau": "tau", "Photon": "photon"}


@dataclass
class Candidates:
    """Truth-level objects of one type: flat arrays, ``event`` gives the event of each."""

    event: np.ndarray
    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    mass: np.ndarray
    extra: dict

    @property
    def pt(self) -> np.ndarray:
        return np.hypot(self.px, self.py)

    @property
    def eta(self) -> np.ndarray:
        return np.arcsinh(self.pz / np.maximum(self.pt, 1e-9))

    @property
    def phi(self) -> np.ndarray:
        return np.arctan2(self.py, self.px)


@dataclass
class Reco:
    """Reconstructed collections: name -> {field: flat array, "event": event index}, sorted by pt."""

    n_events: int
    collections: dict
    met_pt: np.ndarray
    met_phi: np.ndarray

    def counts(self, name: str) -> np.ndarray:
        return np.bincount(self.collections[name]["event"], minlength=self.n_events)


def relative_resolution(pt: np.ndarray, res: dict) -> np.ndarray:
    pt = np.maximum(pt, 1e-3)
    return np.sqrt((res["noise"] / pt) ** 2 + res["stochastic"] ** 2 / pt + res["constant"] ** 2 + (res["linear"] * pt) ** 2)


def _smear(cands: Candidates, cfg: dict, efficiency: float, rng: np.random.Generator):
    """Smeared (pt, eta, phi) and the mask of objects reconstructed in acceptance."""
    pt_true, eta_true, phi_true = cands.pt, cands.eta, cands.phi
    n = len(pt_true)
    response = 1.0 + relative_resolution(pt_true, cfg["resolution"]) * rng.standard_normal(n)
    pt = pt_true * np.maximum(response, 0.0)
    eta = eta_true + cfg["angular_resolution"] * rng.standard_normal(n)
    phi = np.mod(phi_true + cfg["angular_resolution"] * rng.standard_normal(n) + np.pi, 2 * np.pi) - np.pi
    found = rng.random(n) < efficiency
    keep = found & (pt > cfg["pt_min"]) & (np.abs(eta) < cfg["eta_max"])
    return pt, eta, phi, keep


def reconstruct(truth: dict[str, Candidates], invisible: Candidates, n_events: int, config: dict,
                rng: np.random.Generator) -> Reco:
    """Apply the detector to truth candidates of types Jet, Electron, Muon, Tau, Photon."""
    collections = {}
    mismeasure_x = np.zeros(n_events)
    mismeasure_y = np.zeros(n_events)
    sum_et = np.zeros(n_events)
    for name, cands in truth.items():
        cfg = config[CONFIG_KEY[name]]
        pt, eta, phi, keep = _smear(cands, cfg, cfg.get("efficiency", 1.0), rng)
        scale = np.divide(pt, cands.pt, out=np.ones_like(pt), where=cands.pt > 0)
        event = cands.event[keep]
        np.add.at(mismeasure_x, event, pt[keep] * np.cos(phi[keep]) - cands.px[keep])
        np.add.at(mismeasure_y, event, pt[keep] * np.sin(phi[keep]) - cands.py[keep])
        np.add.at(sum_et, event, pt[keep])
        fields = {"pt": pt[keep], "eta": eta[keep], "phi": phi[keep], "mass": (cands.mass * scale)[keep]}
        fields.update({key: value[keep] for key, value in cands.extra.items()})
        if name == "Jet":
            fields["btagDeepFlavB"] = btag_discriminant(fields["hadronFlavour"], fields["eta"], config["btag"], rng)
        if name == "Muon":
            fields.update(muon_features(fields.pop("prompt"), config["muon_features"], rng))
        fields.pop("prompt", None)
        order = np.lexsort((-fields["pt"], event))
        collections[name] = {"event": event[order], **{key: value[order] for key, value in fields.items()}}
    nu_x = np.bincount(invisible.event, weights=invisible.px, minlength=n_events)
    nu_y = np.bincount(invisible.event, weights=invisible.py, minlength=n_events)
    noise = config["met"]["constant"] + config["met"]["sqrt_sumet"] * np.sqrt(sum_et)
    met_x = nu_x - mismeasure_x + noise * rng.standard_normal(n_events)
    met_y = nu_y - mismeasure_y + noise * rng.standard_normal(n_events)
    return Reco(n_events, collections, np.hypot(met_x, met_y), np.arctan2(met_y, met_x))
