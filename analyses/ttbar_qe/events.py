"""The inputs of the entanglement measurement, one sample at a time: parton-level truth from
the generated ROOT file's GenPart (every generated event: the unfolding's truth level) and
the selected events' point cloud (objects, assignment targets, true neutrinos, MET).

Four-momenta are (E, px, py, pz) numpy arrays in GeV.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import awkward as ak
import h5py
import numpy as np
import uproot

from evenet.errors import InputFileError

FEATURES = ("energy", "pt", "eta", "phi", "btag", "isLepton", "charge")


def p4_from_ptetaphi(energy, pt, eta, phi) -> np.ndarray:
    return np.stack([energy, pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)], axis=-1).astype(float)


@dataclass(frozen=True)
class PartonTruth:
    """Generated t, tbar, l+, l- of every generated event, keyed by event number, and whether
    both incoming partons were gluons (the LO SM spin state depends on it; None if unknown)."""

    event: np.ndarray
    top: np.ndarray
    antitop: np.ndarray
    lep_plus: np.ndarray
    lep_minus: np.ndarray
    gluon_fusion: np.ndarray | None = None


def _first(gen, mask, what: str, path) -> np.ndarray:
    sel = gen[mask]
    if not ak.all(ak.num(sel.GenPart_pt) >= 1):
        raise InputFileError(f"{path}: an event without a generated {what} (is this ttbar_2l_spin?)")
    pt, eta, phi, mass = (ak.to_numpy(ak.firsts(sel[f"GenPart_{x}"])).astype(float) for x in ("pt", "eta", "phi", "mass"))
    pz = pt * np.sinh(eta)
    return p4_from_ptetaphi(np.sqrt(pt**2 + pz**2 + mass**2), pt, eta, phi)


def read_parton_truth(paths: list[str | Path]) -> PartonTruth:
    parts = []
    for path in paths:
        try:
            tree = uproot.open(path)["Events"]
            gen = tree.arrays(filter_name=["GenPart_*"])
            event = tree["event"].array(library="np")
        except (OSError, KeyError, ValueError) as err:
            reason = " ".join(str(err).split())   # uproot's messages span lines; the error is one
            raise InputFileError(f"{path}: cannot read Events/GenPart_* and event ({reason})") from None
        pdg = gen.GenPart_pdgId
        incoming = np.abs(gen.GenPart_status) == 21  # Pythia's incoming hard partons
        gluon_fusion = ak.to_numpy(ak.sum(incoming & (pdg == 21), axis=1) == 2)
        parts.append((event.astype(np.int64), _first(gen, pdg == 6, "top", path), _first(gen, pdg == -6, "antitop", path),
                      _first(gen, (pdg == -11) | (pdg == -13), "l+", path),
                      _first(gen, (pdg == 11) | (pdg == 13), "l-", path), gluon_fusion))
    return PartonTruth(*(np.concatenate(columns) for columns in zip(*parts)))


@dataclass(frozen=True)
class PointCloudEvents:
    """Selected events: objects (N, 18, 7), mask, targets {resonance/product: (N,)}, true
    neutrinos (N, 3) (nu from W+, nubar from W-; NaN when absent), MET (N, 2), event number."""

    event: np.ndarray
    objects: np.ndarray
    mask: np.ndarray
    targets: dict
    nu: np.ndarray
    nubar: np.ndarray
    met: np.ndarray

    def __len__(self) -> int:
        return len(self.event)

    def p4(self, slots: np.ndarray) -> np.ndarray:
        """(E, px, py, pz) of the objects in the given slots (N,), zeros for slot -1."""
        rows = self.objects[np.arange(len(self)), np.maximum(slots, 0)]
        out = p4_from_ptetaphi(rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3])
        return np.where((slots >= 0)[:, None], out, 0.0)


def read_pointcloud(paths: list[str | Path]) -> PointCloudEvents:
    parts = []
    for path in paths:
        try:
            with h5py.File(path, "r") as h:
                features = tuple(h["INPUTS/Source/data"].attrs.get("features", FEATURES))
                if tuple(features) != FEATURES:
                    raise InputFileError(f"{path}: INPUTS/Source features {features}, expected {FEATURES}")
                invisible = h["INPUTS/Invisible/data"][:].astype(float)
                pdg = h["INPUTS/Invisible/pdgId"][:]
                inv_mask = h["INPUTS/Invisible/mask"][:]
                conditions = h["INPUTS/Conditions/data"][:].astype(float)
                targets = {f"{r}/{p}": h[f"TARGETS/{r}/{p}"][:] for r in ("t", "tbar") for p in ("b", "l")}
                parts.append(dict(event=h["META/event"][:].astype(np.int64), objects=h["INPUTS/Source/data"][:].astype(float),
                                  mask=h["INPUTS/Source/mask"][:], targets=targets, invisible=invisible, pdg=pdg,
                                  inv_mask=inv_mask, conditions=conditions))
        except (OSError, KeyError) as err:
            raise InputFileError(f"{path}: not a ttbar_2l point-cloud file with targets and neutrinos ({err})") from None
    cat = lambda key: np.concatenate([p[key] for p in parts])
    invisible, pdg, inv_mask = cat("invisible"), cat("pdg"), cat("inv_mask")
    three = p4_from_ptetaphi(invisible[..., 0], invisible[..., 1], invisible[..., 2], invisible[..., 3])[..., 1:]

    def pick(sign):
        hit = inv_mask & (np.sign(pdg) == sign)
        first = np.argmax(hit, axis=1)
        return np.where(hit.any(axis=1)[:, None], three[np.arange(len(three)), first], np.nan)

    conditions = cat("conditions")
    met = np.stack([conditions[:, 0] * np.cos(conditions[:, 1]), conditions[:, 0] * np.sin(conditions[:, 1])], axis=1)
    targets = {k: np.concatenate([p["targets"][k] for p in parts]) for k in parts[0]["targets"]} if parts else {}
    return PointCloudEvents(cat("event"), cat("objects"), cat("mask"), targets, pick(+1), pick(-1), met)
