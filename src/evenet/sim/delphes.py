"""Write Delphes-like ROOT files with uproot: tree ``Delphes`` with FLAT jagged branches
named by Delphes leaf names (``Jet.PT``, counter ``Jet_size``, ...).

Real Delphes files store split TClonesArray branches (``Jet/Jet.PT``), which
uproot cannot write; uproot resolves ``tree["Jet.PT"]`` in both layouts, which
is how the reader addresses them. Hadronic taus are jets with TauTag = 1.
``Jet.BTag`` is a bit mask, bit 0 = the working point of the continuous
discriminant. Muon.D0/DZ are in mm (Delphes units).
"""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np
import uproot

from evenet.sim.detector import Reco
from evenet.sim.genlist import GenList

F, I, U = np.float32, np.int32, np.uint32


def _jagged_branches(prefix: str, counts: np.ndarray, fields: dict) -> dict:
    """Flat branches ``prefix.Field`` sharing the counter ``prefix_size``."""
    return {prefix: ak.zip({name: ak.unflatten(np.asarray(v, t), counts) for name, (v, t) in fields.items()})}


def _energy(pt, eta, mass):
    return np.sqrt((pt * np.cosh(eta)) ** 2 + mass**2)


def write_delphes(path: str | Path, event_number: np.ndarray, reco: Reco, gen: GenList | None,
                  weight: np.ndarray | None, btag_working_point: float) -> None:
    jets, taus = reco.collections["Jet"], reco.collections["Tau"]
    n = reco.n_events
    # Jets and hadronic taus in one collection, pt-ordered per event.
    event = np.concatenate([jets["event"], taus["event"]])
    pt = np.concatenate([jets["pt"], taus["pt"]])
    order = np.lexsort((-pt, event))
    cat = lambda a, b: np.concatenate([a, b])[order]
    n_taus = len(taus["pt"])
    jet_fields = {
        "PT": (pt[order], F), "Eta": (cat(jets["eta"], taus["eta"]), F), "Phi": (cat(jets["phi"], taus["phi"]), F),
        "Mass": (cat(jets["mass"], taus["mass"]), F),
        "BTag": (cat((jets["btagDeepFlavB"] > btag_working_point).astype(U), np.zeros(n_taus, U)), U),
        "TauTag": (cat(np.zeros(len(jets["pt"]), U), np.ones(n_taus, U)), U),
        "Flavor": (cat(jets["hadronFlavour"], np.full(n_taus, 15)), U),
        "Charge": (cat(np.zeros(len(jets["pt"]), I), taus["charge"]), I),
    }
    branches: dict = {}
    branches.update(_jagged_branches("Jet", np.bincount(event[order], minlength=n), jet_fields))
    el, mu, ph = reco.collections["Electron"], reco.collections["Muon"], reco.collections["Photon"]
    branches.update(_jagged_branches("Electron", reco.counts("Electron"), {
        "PT": (el["pt"], F), "Eta": (el["eta"], F), "Phi": (el["phi"], F), "Charge": (el["charge"], I)}))
    branches.update(_jagged_branches("Muon", reco.counts("Muon"), {
        "PT": (mu["pt"], F), "Eta": (mu["eta"], F), "Phi": (mu["phi"], F), "Charge": (mu["charge"], I),
        "IsolationVar": (mu["pfRelIso04_all"], F), "D0": (mu["dxy"] * 10.0, F), "DZ": (mu["dz"] * 10.0, F)}))
    branches.update(_jagged_branches("Photon", reco.counts("Photon"), {
        "PT": (ph["pt"], F), "Eta": (ph["eta"], F), "Phi": (ph["phi"], F), "E": (_energy(ph["pt"], ph["eta"], ph["mass"]), F)}))
    branches.update(_jagged_branches("MissingET", np.ones(n, np.int64), {
        "MET": (reco.met_pt, F), "Eta": (np.zeros(n), F), "Phi": (reco.met_phi, F)}))
    if gen is not None:
        d1, d2 = gen.daughters()
        branches.update(_jagged_branches("Particle", gen.counts, {
            "PID": (gen.pdg, I), "Status": (gen.status, I), "M1": (gen.mother, I), "M2": (np.full(len(gen.pdg), -1), I),
            "D1": (d1, I), "D2": (d2, I), "PT": (gen.pt, F), "Eta": (gen.eta, F), "Phi": (gen.phi, F),
            "Mass": (gen.mass, F), "E": (gen.e, F), "Px": (gen.px, F), "Py": (gen.py, F), "Pz": (gen.pz, F),
            "Charge": (gen.charge, I)}))
    branches.update(_jagged_branches("Event", np.ones(n, np.int64), {
        "Number": (event_number, np.int64), "Weight": (np.ones(n) if weight is None else weight, F)}))
    with uproot.recreate(path, compression=uproot.LZ4(1)) as file:
        # mktree given arrays (not types) creates the tree and writes them
        file.mktree("Delphes", branches, counter_name=lambda counted: f"{counted}_size",
                    field_name=lambda outer, inner: f"{outer}.{inner}")
