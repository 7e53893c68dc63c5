"""Write CMS NanoAOD-like ROOT files with uproot: tree ``Events`` (one counter branch
per collection, e.g. ``nJet`` shared by ``Jet_*``) and tree ``Runs``.

Types follow NanoAOD v9: floats are float32, counters and integer fields int32,
``run``/``luminosityBlock`` uint32, ``event`` uint64, ``Muon_tightId`` bool.
"""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np
import uproot

from evenet.sim.detector import Reco
from evenet.sim.genlist import GenList

COLLECTION_FIELDS = {
    "Jet": {"pt": np.float32, "eta": np.float32, "phi": np.float32, "mass": np.float32, "btagDeepFlavB": np.float32, "hadronFlavour": np.int32},
    "Electron": {"pt": np.float32, "eta": np.float32, "phi": np.float32, "mass": np.float32, "charge": np.int32, "pdgId": np.int32},
    "Muon": {"pt": np.float32, "eta": np.float32, "phi": np.float32, "mass": np.float32, "charge": np.int32,
             "pfRelIso04_all": np.float32, "ip3d": np.float32, "dxy": np.float32, "dz": np.float32, "tightId": np.bool_},
    "Tau": {"pt": np.float32, "eta": np.float32, "phi": np.float32, "mass": np.float32, "charge": np.int32},
    "Photon": {"pt": np.float32, "eta": np.float32, "phi": np.float32, "mass": np.float32},
}


def _jagged(values: np.ndarray, counts: np.ndarray, dtype) -> ak.Array:
    return ak.unflatten(np.asarray(values, dtype=dtype), counts)


def collection_arrays(reco: Reco, name: str) -> ak.Array:
    counts = reco.counts(name)
    data = reco.collections[name]
    return ak.zip({f: _jagged(data[f], counts, t) for f, t in COLLECTION_FIELDS[name].items()})


def genpart_arrays(gen: GenList) -> ak.Array:
    fields = {
        "pt": (gen.pt, np.float32), "eta": (gen.eta, np.float32), "phi": (gen.phi, np.float32),
        "mass": (gen.mass, np.float32), "pdgId": (gen.pdg, np.int32), "genPartIdxMother": (gen.mother, np.int32),
        "status": (gen.status, np.int32), "statusFlags": (gen.status_flags, np.int32),
    }
    return ak.zip({f: _jagged(v, gen.counts, t) for f, (v, t) in fields.items()})


def write_nanoaod(path: str | Path, run: np.ndarray, lumi: np.ndarray, event: np.ndarray, reco: Reco,
                  gen: GenList | None, gen_weight: np.ndarray | None) -> None:
    """Write one NanoAOD file; ``gen``/``gen_weight`` None for collision data."""
    branches: dict = {
        "run": np.asarray(run, np.uint32),
        "luminosityBlock": np.asarray(lumi, np.uint32),
        "event": np.asarray(event, np.uint64),
    }
    if gen_weight is not None:
        branches["genWeight"] = np.asarray(gen_weight, np.float32)
    for name in COLLECTION_FIELDS:
        branches[name] = collection_arrays(reco, name)
    branches["MET_pt"] = np.asarray(reco.met_pt, np.float32)
    branches["MET_phi"] = np.asarray(reco.met_phi, np.float32)
    if gen is not None:
        branches["GenPart"] = genpart_arrays(gen)
    with uproot.recreate(path, compression=uproot.LZ4(1)) as file:
        # mktree given arrays (not types) creates the tree and writes them
        file.mktree("Events", branches, counter_name=lambda counted: f"n{counted}",
                    field_name=lambda outer, inner: f"{outer}_{inner}")
        runs = {"run": np.array([run[0] if len(run) else 1], np.uint32)}
        if gen_weight is not None:
            w = np.asarray(gen_weight, np.float64)
            runs.update({"genEventCount": np.array([len(w)], np.int64), "genEventSumw": np.array([w.sum()]),
                         "genEventSumw2": np.array([(w**2).sum()])})
        file["Runs"] = runs
