"""Toy dimuon "collision data": a smoothly falling opposite- and same-sign dimuon
continuum in 5-16 GeV plus an injectable Upsilon(1S, 2S, 3S) signal (opposite
sign only). Signal muons are prompt (isolated, small impact parameters);
continuum muons come from heavy-flavour decays (displaced, less isolated), with
features from :mod:`evenet.sim.muon_features`. No generator truth is written.

Parameters (``--params``): ``signal_fraction`` (fraction of opposite-sign
events that are Upsilons, default 0.02), ``same_sign_fraction`` (fraction of
continuum events that are same-sign, default 0.4), ``slope`` (GeV, exponential
fall of the continuum mass, default 3.0), ``signal_pt_scale`` (the Upsilon pT
spectrum is the continuum's Gamma(2, 6 GeV) with its scale multiplied by this,
default 1.0: identical kinematics), ``signal_prompt`` (1: Upsilon muons get the
prompt identification features; 0: the continuum's, as for the anti-isolated
Upsilons of the CMS search; default 1).
"""

from __future__ import annotations

import numpy as np

from evenet.errors import ConfigError
from evenet.sim.detector import Reco
from evenet.sim.kinematics import at_rest_pair, boost, isotropic_directions
from evenet.sim.muon_features import muon_features

MUON_MASS = 0.10566
UPSILON_MASSES = np.array([9.4603, 10.0233, 10.3552])  # GeV, PDG
UPSILON_YIELDS = np.array([1.0, 0.26, 0.14])  # relative dimuon yields, roughly as observed at the LHC
MASS_RANGE = (5.0, 16.0)
MASS_RESOLUTION = 0.01  # relative dimuon mass resolution
MUON_PT_MIN, MUON_ETA_MAX = 3.0, 2.4
DEFAULTS = {"signal_fraction": 0.02, "same_sign_fraction": 0.4, "slope": 3.0, "signal_pt_scale": 1.0, "signal_prompt": 1.0}


def _params(params: dict) -> dict:
    unknown = sorted(set(params) - set(DEFAULTS))
    if unknown:
        raise ConfigError(f"--params: unknown key(s) {unknown} for process 'dimuon'; allowed: {sorted(DEFAULTS)}")
    merged = {k: float(v) for k, v in {**DEFAULTS, **params}.items()}
    if not (0.0 <= merged["signal_fraction"] <= 1.0 and 0.0 <= merged["same_sign_fraction"] <= 1.0 and merged["slope"] > 0
            and merged["signal_pt_scale"] > 0 and merged["signal_prompt"] in (0.0, 1.0)):
        raise ConfigError("--params: signal_fraction and same_sign_fraction must lie in [0, 1], slope > 0, "
                          "signal_pt_scale > 0, signal_prompt 0 or 1")
    return merged


def _continuum_mass(n: int, slope: float, rng: np.random.Generator) -> np.ndarray:
    """exp(-m / slope) truncated to MASS_RANGE (inverse CDF)."""
    lo, hi = np.exp(-np.array(MASS_RANGE) / slope)
    return -slope * np.log(lo - rng.random(n) * (lo - hi))


def _pairs(mass: np.ndarray, pt_scale: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two muon four-momenta from a dimuon of given mass, pT ~ Gamma(2, 6 GeV x pt_scale), |y| < 2.5, isotropic decay."""
    n = len(mass)
    pt = rng.gamma(2.0, 6.0, n) * pt_scale
    y = rng.uniform(-2.5, 2.5, n)
    phi = rng.uniform(-np.pi, np.pi, n)
    mt = np.sqrt(mass**2 + pt**2)
    parent = np.stack([mt * np.cosh(y), pt * np.cos(phi), pt * np.sin(phi), mt * np.sinh(y)], axis=1)
    p = np.sqrt(np.maximum(mass**2 / 4 - MUON_MASS**2, 0.0))
    mu1, mu2 = at_rest_pair(isotropic_directions(n, rng), p, np.full(n, MUON_MASS), np.full(n, MUON_MASS))
    velocity = parent[:, 1:] / parent[:, :1]
    return boost(mu1, velocity), boost(mu2, velocity)


def _accepted(mu: np.ndarray) -> np.ndarray:
    pt = np.hypot(mu[:, 1], mu[:, 2])
    eta = np.arcsinh(mu[:, 3] / pt)
    return (pt > MUON_PT_MIN) & (np.abs(eta) < MUON_ETA_MAX)


def _draw_events(n: int, p: dict, rng: np.random.Generator):
    """(mu1, mu2, same_sign, is_signal) for n accepted events."""
    out = []
    have = 0
    while have < n:
        m = 2 * (n - have) + 64
        is_signal = rng.random(m) < p["signal_fraction"] * (1 - p["same_sign_fraction"]) / (
            p["signal_fraction"] * (1 - p["same_sign_fraction"]) + (1 - p["signal_fraction"]))
        same_sign = ~is_signal & (rng.random(m) < p["same_sign_fraction"])
        state = rng.choice(3, size=m, p=UPSILON_YIELDS / UPSILON_YIELDS.sum())
        peak = UPSILON_MASSES[state] * (1 + MASS_RESOLUTION * rng.standard_normal(m))
        mass = np.where(is_signal, peak, _continuum_mass(m, p["slope"], rng))
        mu1, mu2 = _pairs(mass, np.where(is_signal, p["signal_pt_scale"], 1.0), rng)
        keep = _accepted(mu1) & _accepted(mu2) & (mass > MASS_RANGE[0]) & (mass < MASS_RANGE[1])
        out.append((mu1[keep], mu2[keep], same_sign[keep], is_signal[keep]))
        have += int(keep.sum())
    return tuple(np.concatenate(parts)[:n] for parts in zip(*out))


def dimuon_sample(n_events: int, params: dict, detector: dict, rng: np.random.Generator) -> Reco:
    """Reconstructed dimuon events (two muons each, no other objects, MET from noise only)."""
    p = _params(params)
    mu1, mu2, same_sign, is_signal = _draw_events(n_events, p, rng)
    charge1 = np.where(rng.random(n_events) < 0.5, 1, -1)
    charge2 = np.where(same_sign, charge1, -charge1)
    muons = np.concatenate([mu1, mu2])
    order = np.lexsort((-np.hypot(muons[:, 1], muons[:, 2]), np.tile(np.arange(n_events), 2)))
    muons = muons[order]
    event = np.tile(np.arange(n_events), 2)[order]
    pt = np.hypot(muons[:, 1], muons[:, 2])
    fields = {
        "event": event, "pt": pt, "eta": np.arcsinh(muons[:, 3] / pt), "phi": np.arctan2(muons[:, 2], muons[:, 1]),
        "mass": np.full(len(pt), MUON_MASS), "charge": np.concatenate([charge1, charge2])[order].astype(np.int32),
    }
    prompt = is_signal & bool(p["signal_prompt"])
    fields.update(muon_features(np.tile(prompt, 2)[order], detector["muon_features"], rng))
    empty = lambda *names: {"event": np.zeros(0, np.int64), **{k: np.zeros(0) for k in names}}
    collections = {
        "Muon": fields,
        "Jet": empty("pt", "eta", "phi", "mass", "btagDeepFlavB", "hadronFlavour"),
        "Electron": empty("pt", "eta", "phi", "mass", "charge", "pdgId"),
        "Tau": empty("pt", "eta", "phi", "mass", "charge"),
        "Photon": empty("pt", "eta", "phi", "mass"),
    }
    met_x, met_y = detector["met"]["constant"] * rng.standard_normal((2, n_events))
    return Reco(n_events, collections, np.hypot(met_x, met_y), np.arctan2(met_y, met_x))
