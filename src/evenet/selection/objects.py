"""Object definitions: which reconstructed objects count, and their common record.

Each collection of the event record (:mod:`evenet.io.events`) is cut on
pt > pt_min and |eta| < abs_eta_max (strict inequalities); muons may also be
required to pass ``tightId`` and pfRelIso04_all < iso_max. Passing objects of
every collection are turned into one record type, the one the point cloud is
built from:

    pt, eta, phi, mass, energy (float64), btag (bool: Jet.btag >= working point;
    false for non-jets), isLepton (bool: electrons and muons), charge (int32;
    0 for jets and photons), kind (int32, evenet.codes.KIND_*), source_index (int64,
    index into the reader's collection).
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak
import numpy as np

from evenet.codes import KIND_ELECTRON, KIND_JET, KIND_MUON, KIND_PHOTON, KIND_TAU, LEPTON_KINDS
from evenet.errors import ConfigError, UserError
from evenet.physics.kinematics import energy
from evenet.selection.jagged import ordered_concatenate
from evenet.selection.parameters import Block

# config name -> (event-record collection, kind code)
COLLECTIONS = {
    "jet": ("Jet", KIND_JET),
    "electron": ("Electron", KIND_ELECTRON),
    "muon": ("Muon", KIND_MUON),
    "tau": ("Tau", KIND_TAU),
    "photon": ("Photon", KIND_PHOTON),
}
OBJECT_FIELDS = ("pt", "eta", "phi", "mass", "energy", "btag", "isLepton", "charge", "kind", "source_index")


@dataclass(frozen=True)
class ObjectCuts:
    """Acceptance of one collection; muon-only identification cuts are optional."""

    pt_min: float
    abs_eta_max: float
    tight_id: bool = False
    iso_max: float | None = None

    @classmethod
    def from_block(cls, block: Block) -> ObjectCuts:
        return cls(
            pt_min=block.number("pt_min"),
            abs_eta_max=block.number("abs_eta_max"),
            tight_id=block.boolean("tight_id") if "tight_id" in block else False,
            iso_max=block.number("iso_max") if "iso_max" in block else None,
        )


def object_cuts_from_block(objects: Block) -> dict[str, ObjectCuts]:
    """``objects:`` block -> {collection name: cuts}; only the listed collections are used."""
    cuts = {}
    for name, block in objects.blocks().items():
        if name not in COLLECTIONS:
            raise ConfigError(f"unknown collection '{objects.path}.{name}' (expected one of {list(COLLECTIONS)})")
        cuts[name] = ObjectCuts.from_block(block)
    return cuts


def _empty_collection(n_events: int) -> ak.Array:
    empty = np.zeros(0, dtype=np.float64)
    flat = ak.zip({f: empty for f in ("pt", "eta", "phi", "mass", "charge", "btag")})
    return ak.unflatten(flat, np.zeros(n_events, dtype=np.int64))


def _flat_field(flat: ak.Array, record_name: str, field: str) -> np.ndarray:
    if field not in flat.fields:
        raise UserError(f"event record lacks {record_name}.{field}, needed by the object definition")
    return ak.to_numpy(flat[field])


def candidates(events: ak.Array, name: str, cuts: ObjectCuts, btag_wp: float) -> ak.Array:
    """Objects of collection ``name`` ("jet", "electron", ...) passing ``cuts``, as common records.

    A collection absent from the record (e.g. no Tau in a file) counts as empty.
    Cuts are applied on the flat numpy content, the result rebuilt once.
    """
    record_name, kind = COLLECTIONS[name]
    coll = events[record_name] if record_name in events.fields else _empty_collection(len(events))
    counts = ak.to_numpy(ak.num(coll, axis=1))
    flat = ak.flatten(coll, axis=1)
    pt = _flat_field(flat, record_name, "pt").astype(np.float64)
    eta = _flat_field(flat, record_name, "eta").astype(np.float64)
    mask = (pt > cuts.pt_min) & (np.abs(eta) < cuts.abs_eta_max)
    if cuts.tight_id:
        mask &= _flat_field(flat, record_name, "tightId").astype(bool)
    if cuts.iso_max is not None:
        mask &= _flat_field(flat, record_name, "pfRelIso04_all") < cuts.iso_max

    event = np.repeat(np.arange(len(counts)), counts)
    source_index = np.arange(len(event)) - np.repeat(np.cumsum(counts) - counts, counts)
    pt, eta = pt[mask], eta[mask]
    mass = _flat_field(flat, record_name, "mass")[mask].astype(np.float64)
    n = len(pt)
    if kind == KIND_JET:
        btag = _flat_field(flat, record_name, "btag")[mask] >= btag_wp
        charge = np.zeros(n, dtype=np.int32)
    else:
        btag = np.zeros(n, dtype=bool)
        has_charge = "charge" in flat.fields
        charge = flat["charge"][mask].to_numpy().astype(np.int32) if has_charge else np.zeros(n, dtype=np.int32)
    content = {
        "pt": pt,
        "eta": eta,
        "phi": _flat_field(flat, record_name, "phi")[mask].astype(np.float64),
        "mass": mass,
        "energy": energy(pt, eta, mass),
        "btag": btag,
        "isLepton": np.full(n, kind in LEPTON_KINDS),
        "charge": charge,
        "kind": np.full(n, kind, dtype=np.int32),
        "source_index": source_index[mask].astype(np.int64),
    }
    return ak.unflatten(ak.zip(content), np.bincount(event[mask], minlength=len(counts)))


def build_candidates(events: ak.Array, cuts: dict[str, ObjectCuts], btag_wp: float) -> dict[str, ak.Array]:
    """Candidates of every configured collection; unconfigured ones are empty."""
    return {
        name: candidates(events, name, cuts[name], btag_wp)
        if name in cuts
        else candidates(events, name, ObjectCuts(pt_min=np.inf, abs_eta_max=0.0), btag_wp)
        for name in COLLECTIONS
    }


def leptons(objects: dict[str, ak.Array]) -> ak.Array:
    """Electrons and muons together, pt-descending."""
    return ordered_concatenate([objects["electron"], objects["muon"]], sort="pt")


def n_btag(jets: ak.Array) -> ak.Array:
    """Number of b-tagged objects per event."""
    return ak.sum(jets.btag, axis=1)
