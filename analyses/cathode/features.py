"""Dimuon events from point-cloud HDF5 and the classifier's mass-free features.

An event is two muons (the dimuon selection's two slots, pT order): pt, eta, phi,
charge; ``mass`` the pair mass, ``channel`` 0 OS / 1 SS, ``region`` 0 SB / 1 SR
(from ``META``). Features (all without the pair mass):

| name | definition |
|---|---|
| pair_pt | pT of the muon pair (GeV) |
| pair_rapidity | rapidity of the pair |
| mu1_pt, mu2_pt | leading, subleading muon pT (GeV) |
| mu1_eta, mu2_eta | their pseudorapidities |
| delta_r | Delta R(mu1, mu2) |
| delta_phi | abs(Delta phi(mu1, mu2)) |
| ht | mu1_pt + mu2_pt (H_T of the generation's first stage) |
"""

from __future__ import annotations

from dataclasses import dataclass

import h5py
import numpy as np

from evenet.errors import ConfigError, InputFileError
from evenet.physics.dimuon_calibration import MUON_MASS

FEATURES = ("pair_pt", "pair_rapidity", "mu1_pt", "mu2_pt", "mu1_eta", "mu2_eta", "delta_r", "delta_phi", "ht")
SOURCE_PT, SOURCE_ETA, SOURCE_PHI, SOURCE_CHARGE = 1, 2, 3, 6


@dataclass(frozen=True)
class Dimuons:
    """Per-event arrays (n,) of the two muons (1: leading, 2: subleading)."""

    pt1: np.ndarray
    eta1: np.ndarray
    phi1: np.ndarray
    pt2: np.ndarray
    eta2: np.ndarray
    phi2: np.ndarray
    mass: np.ndarray
    channel: np.ndarray
    region: np.ndarray
    event_id: np.ndarray  # (n, 3) run, luminosityBlock, event

    def __len__(self) -> int:
        return len(self.mass)

    def take(self, index) -> "Dimuons":
        return Dimuons(*(getattr(self, f)[index] for f in self.__dataclass_fields__))

    @classmethod
    def concatenate(cls, parts) -> "Dimuons":
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__))


def ordered(pt1, eta1, phi1, pt2, eta2, phi2):
    """The two muons swapped where the second is harder (pT order)."""
    swap = pt2 > pt1
    pick = lambda a, b: (np.where(swap, b, a), np.where(swap, a, b))
    (pt1, pt2), (eta1, eta2), (phi1, phi2) = pick(pt1, pt2), pick(eta1, eta2), pick(phi1, phi2)
    return pt1, eta1, phi1, pt2, eta2, phi2


def pair_mass(pt1, eta1, phi1, pt2, eta2, phi2) -> np.ndarray:
    p = _pair_p4(pt1, eta1, phi1, pt2, eta2, phi2)
    return np.sqrt(np.maximum(p[0] ** 2 - p[1] ** 2 - p[2] ** 2 - p[3] ** 2, 0.0))


def _pair_p4(pt1, eta1, phi1, pt2, eta2, phi2):
    px = pt1 * np.cos(phi1) + pt2 * np.cos(phi2)
    py = pt1 * np.sin(phi1) + pt2 * np.sin(phi2)
    pz = pt1 * np.sinh(eta1) + pt2 * np.sinh(eta2)
    e = np.sqrt((pt1 * np.cosh(eta1)) ** 2 + MUON_MASS**2) + np.sqrt((pt2 * np.cosh(eta2)) ** 2 + MUON_MASS**2)
    return e, px, py, pz


def read_dimuons(paths) -> Dimuons:
    """The selected dimuon events of point-cloud files (docs/pointcloud.md)."""
    parts = []
    for path in paths:
        try:
            with h5py.File(path, "r") as f:
                source, mask = f["INPUTS/Source/data"][:, :2, :], f["INPUTS/Source/mask"][:, :2]
                meta = {k: f[f"META/{k}"][:] for k in ("dimuon_mass", "channel", "region", "run",
                                                        "luminosityBlock", "event")}
        except (OSError, KeyError) as err:
            raise InputFileError(f"{path}: not a dimuon point-cloud file ({err})") from None
        if len(mask) and not mask.all():
            raise InputFileError(f"{path}: events without two muons (not the dimuon selection?)")
        parts.append(Dimuons(source[:, 0, SOURCE_PT].astype(float), source[:, 0, SOURCE_ETA].astype(float),
                             source[:, 0, SOURCE_PHI].astype(float), source[:, 1, SOURCE_PT].astype(float),
                             source[:, 1, SOURCE_ETA].astype(float), source[:, 1, SOURCE_PHI].astype(float),
                             meta["dimuon_mass"].astype(float), meta["channel"].astype(int),
                             meta["region"].astype(int),
                             np.stack([meta["run"], meta["luminosityBlock"], meta["event"]], axis=1)))
    return Dimuons.concatenate(parts)


def features(d: Dimuons, names) -> np.ndarray:
    """(n, len(names)) feature table (module docstring)."""
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise ConfigError(f"classifier.features: unknown feature(s) {unknown} (known: {list(FEATURES)})")
    e, px, py, pz = _pair_p4(d.pt1, d.eta1, d.phi1, d.pt2, d.eta2, d.phi2)
    dphi = np.abs((d.phi1 - d.phi2 + np.pi) % (2 * np.pi) - np.pi)
    table = {
        "pair_pt": lambda: np.hypot(px, py),
        "pair_rapidity": lambda: 0.5 * np.log((e + pz) / (e - pz)),
        "mu1_pt": lambda: d.pt1, "mu2_pt": lambda: d.pt2, "mu1_eta": lambda: d.eta1, "mu2_eta": lambda: d.eta2,
        "delta_r": lambda: np.hypot(d.eta1 - d.eta2, dphi), "delta_phi": lambda: dphi,
        "ht": lambda: d.pt1 + d.pt2,
    }
    return np.stack([table[n]() for n in names], axis=1) if len(names) else np.zeros((len(d), 0))
