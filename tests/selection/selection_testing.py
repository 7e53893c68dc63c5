"""Helpers of the selection tests: hand-built event records and a tiny NanoAOD loader.

Both build the reader-independent record of src/evenet/io/events.py.
"""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np
import yaml

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SELECTIONS_YAML = Path(__file__).resolve().parents[2] / "config" / "selections.yaml"

FIELDS = {
    "Electron": {"pt": 0.0, "eta": 0.0, "phi": 0.0, "mass": 0.000511, "charge": -1},
    "Muon": {
        "pt": 0.0, "eta": 0.0, "phi": 0.0, "mass": 0.10566, "charge": -1,
        "pfRelIso04_all": 0.0, "ip3d": 0.0, "sip3d": 0.0, "dxy": 0.0, "dz": 0.0, "tightId": True, "softId": True,
    },
    "Tau": {"pt": 0.0, "eta": 0.0, "phi": 0.0, "mass": 1.777, "charge": -1},
    "Photon": {"pt": 0.0, "eta": 0.0, "phi": 0.0, "mass": 0.0},
    "Jet": {"pt": 0.0, "eta": 0.0, "phi": 0.0, "mass": 5.0, "btag": 0.0, "hadronFlavour": -1},
}


def default_config() -> dict:
    with open(SELECTIONS_YAML) as handle:
        return yaml.safe_load(handle)


def make_events(events: list[dict]) -> ak.Array:
    """Event record from a list of {"Jet": [{"pt":..., ...}, ...], "MET": {"pt", "phi"}, "genWeight": w}.

    Object fields not given take the defaults of FIELDS; collections not given are empty.
    """
    columns = {}
    for collection, defaults in FIELDS.items():
        objs = [e.get(collection, []) for e in events]
        counts = np.array([len(o) for o in objs], dtype=np.int64)
        flat = {
            field: np.array([obj.get(field, default) for o in objs for obj in o], dtype=type(default))
            for field, default in defaults.items()
        }
        columns[collection] = ak.unflatten(ak.zip(flat), counts)
    columns["MET"] = ak.zip({
        "pt": np.array([e.get("MET", {}).get("pt", 0.0) for e in events], dtype=np.float64),
        "phi": np.array([e.get("MET", {}).get("phi", 0.0) for e in events], dtype=np.float64),
    })
    columns["genWeight"] = np.array([e.get("genWeight", 1.0) for e in events], dtype=np.float64)
    columns["run"] = np.ones(len(events), dtype=np.int64)
    columns["luminosityBlock"] = np.ones(len(events), dtype=np.int64)
    columns["event"] = np.arange(len(events), dtype=np.int64)
    return ak.zip(columns, depth_limit=1)


def _collection(arrays: ak.Array, prefix: str, fields: dict) -> ak.Array:
    return ak.zip({new: arrays[f"{prefix}_{old}"] for new, old in fields.items()})


def load_nanoaod(path: Path) -> ak.Array:
    """The event record from a NanoAOD file, built by hand (collections it lacks are empty)."""
    import uproot

    tree = uproot.open(path)["Events"]
    names = set(tree.keys())
    wanted = {
        "Electron": {f: f for f in ("pt", "eta", "phi", "mass", "charge")},
        "Muon": {f: f for f in ("pt", "eta", "phi", "mass", "charge", "pfRelIso04_all", "ip3d", "dxy", "dz", "tightId")},
        "Tau": {f: f for f in ("pt", "eta", "phi", "mass", "charge")},
        "Photon": {f: f for f in ("pt", "eta", "phi", "mass")},
        "Jet": {"pt": "pt", "eta": "eta", "phi": "phi", "mass": "mass", "btag": "btagDeepFlavB"},
    }
    branches = [f"{c}_{b}" for c, fields in wanted.items() for b in fields.values() if f"{c}_{b}" in names]
    branches += ["MET_pt", "MET_phi", "run", "luminosityBlock", "event"]
    branches += [b for b in ("genWeight",) if b in names]
    arrays = tree.arrays(branches)
    columns = {}
    for collection, fields in wanted.items():
        if f"{collection}_pt" in names:
            columns[collection] = _collection(arrays, collection, fields)
        else:
            empty = ak.zip({f: np.zeros(0) for f in fields})
            columns[collection] = ak.unflatten(empty, np.zeros(len(arrays), dtype=np.int64))
    columns["MET"] = ak.zip({"pt": arrays.MET_pt, "phi": arrays.MET_phi})
    columns["genWeight"] = arrays.genWeight if "genWeight" in names else np.ones(len(arrays))
    for field in ("run", "luminosityBlock", "event"):
        columns[field] = arrays[field]
    return ak.zip(columns, depth_limit=1)


def perfect_ttbar_event(angles=(1.5, 2.36, 1.93, 0.28, 1.36, 2.94, 0.92, 0.55)) -> dict:
    """An exact semileptonic ttbar event (t -> b mu nu, tbar -> b q q') as a make_events entry.

    The default decay angles put every object inside the xyh acceptance, well
    separated (dR > 0.9), with the muon within dR 1.0 of a light jet.
    """
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "physics"))
    from ttbar_kinematics import semileptonic_ttbar

    t = semileptonic_ttbar(angles=angles)

    def jet(v, btag):
        return {"pt": v.pt, "eta": v.eta, "phi": v.phi, "mass": 0.0, "btag": btag}

    return {
        "Muon": [{"pt": t["lepton"].pt, "eta": t["lepton"].eta, "phi": t["lepton"].phi, "charge": 1}],
        "Jet": [jet(t["q1"], 0.05), jet(t["q2"], 0.1), jet(t["b_had"], 0.9), jet(t["b_lep"], 0.95)],
        "MET": {"pt": t["neutrino"].pt, "phi": t["neutrino"].phi},
    }
