"""Hand-built selected-events chunks (the record ``evenet select`` writes) for the systematics tests."""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np
import yaml

from evenet.codes import KIND_ELECTRON, KIND_JET, KIND_MUON

SELECTIONS_YAML = Path(__file__).resolve().parents[2] / "config" / "selections.yaml"


def selection_block(name: str) -> dict:
    with open(SELECTIONS_YAML) as handle:
        return yaml.safe_load(handle)[name]


def jet(pt, eta=0.0, phi=0.0, btag=True, mass=5.0):
    return {"pt": pt, "eta": eta, "phi": phi, "energy": float(np.hypot(pt * np.cosh(eta), mass)), "btag": btag,
            "isLepton": False, "charge": 0, "kind": KIND_JET}


def lepton(pt, eta=0.0, phi=0.0, charge=-1, muon=True):
    return {"pt": pt, "eta": eta, "phi": phi, "energy": pt * np.cosh(eta), "btag": False, "isLepton": True,
            "charge": charge, "kind": KIND_MUON if muon else KIND_ELECTRON}


def selected_chunk(events: list[dict], targets: dict | None = None) -> ak.Array:
    """events: [{"objects": [...], "MET": (pt, phi)}]; targets: {resonance: {product: [slot per event]}}."""
    fields = ("pt", "eta", "phi", "energy", "btag", "isLepton", "charge", "kind")
    types = (np.float64,) * 4 + (bool, bool, np.int32, np.int32)
    objs = [e["objects"] for e in events]
    counts = [len(o) for o in objs]
    flat = {f: np.array([obj[f] for o in objs for obj in o], dtype=t) for f, t in zip(fields, types)}
    n = len(events)
    record = {
        "objects": ak.unflatten(ak.zip(flat), counts),
        "MET": ak.zip({"pt": np.array([e["MET"][0] for e in events], np.float32),
                       "phi": np.array([e["MET"][1] for e in events], np.float32)}),
        "run": np.ones(n, np.uint64), "luminosityBlock": np.ones(n, np.uint64),
        "event": np.arange(1, n + 1, dtype=np.uint64), "weight": np.ones(n), "label": np.ones(n, np.int64),
        "split": np.full(n, 2, np.uint8),
    }
    if targets:
        record["targets"] = ak.zip({r: ak.zip({p: np.array(v, np.int64) for p, v in prods.items()}, depth_limit=1)
                                    for r, prods in targets.items()}, depth_limit=1)
    return ak.zip(record, depth_limit=1)


def haa_event(lowest_jet_pt: float = 40.0, met=(20.0, 0.5)) -> dict:
    """Four b-tagged jets (one light lepton-free event) passing the haa cuts: jets > 30, >= 3 b > 20,
    subleading b > 30; the softest jet has ``lowest_jet_pt``."""
    return {"objects": [jet(120.0, 0.1, 0.3), jet(80.0, -0.5, 2.0), jet(60.0, 1.0, -1.5), jet(lowest_jet_pt, 0.3, -2.8)],
            "MET": met}
