"""Object definitions: which reconstructed objects count, and their common record.

Each collection of the event record (:mod:`evenet.io.events`) is cut on
pt > pt_min and |eta| < abs_eta_max (strict inequalities); muons may also be
required to pass ``tightId`` and pfRelIso04_all < iso_max. Passing objects of
every collection are turned into one record type, the one the point cloud is
built from:

    pt, eta, phi, mass, energy (float64), btag (bool: Jet.btag >= working point;
    false for non-jets), isLepton (bool: electrons and muons), charge (int32;
    0 for jets and photons), kind (int32, see KIND_*), source_index (int64,
    index into the reader's collection).
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak
import numpy as np

from evenet.errors import ConfigError, UserError
from evenet.physics.kinematics import energy
from evenet.selection.parameters import Block

KIND_JET = 0
KIND_ELECTRON = 1
KIND_MUON = 2
KIND_TAU = 3
KIND_PHOTON = 4

# config name -> (event-record collection, kind code)
COLLECTIONS = {
    "jet": ("Jet", KIND_JET),
    "electron": ("Electron", KIND_ELECTRON),
    "muon": ("Muon", KIND_MUON),
    "tau": ("Tau", KIND_TAU),
    "photon": ("Photon", KIND_PHOTON),
}
LEPTON_KINDS = (KIND_ELECTRON, KIND_MUON)
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


def _needed_field(collection: ak.Array, name: str, field: str) -> ak.Array:
    if field not in collection.fields:
        raise UserError(f"event record lacks {name}.{field}, needed by the object definition")
    return collection[field]


def candidates(events: ak.Array, name: str, cuts: ObjectCuts, btag_wp: float) -> ak.Array:
    """Objects of collection ``name`` ("jet", "electron", ...) passing ``cuts``, as common records.

    A collection absent from the record (e.g. no Tau in a file) counts as empty.
    """
    record_name, kind = COLLECTIONS[name]
    coll = events[record_name] if record_name in events.fields else _empty_collection(len(events))
    pt = ak.values_astype(coll.pt, np.float64)
    eta = ak.values_astype(coll.eta, np.float64)
    mask = (pt > cuts.pt_min) & (abs(eta) < cuts.abs_eta_max)
    if cuts.tight_id:
        mask = mask & _needed_field(coll, record_name, "tightId")
    if cuts.iso_max is not None:
        mask = mask & (_needed_field(coll, record_name, "pfRelIso04_all") < cuts.iso_max)

    pt, eta = pt[mask], eta[mask]
    mass = ak.values_astype(coll.mass[mask], np.float64)
    zeros_int = ak.values_astype(ak.zeros_like(pt), np.int32)
    if kind == KIND_JET:
        btag = coll.btag[mask] >= btag_wp
    else:
        btag = ak.zeros_like(pt, dtype=bool)
    if "charge" in coll.fields and kind != KIND_JET:
        charge = ak.values_astype(coll.charge[mask], np.int32)
    else:
        charge = zeros_int
    return ak.zip(
        {
            "pt": pt,
            "eta": eta,
            "phi": ak.values_astype(coll.phi[mask], np.float64),
            "mass": mass,
            "energy": energy(pt, eta, mass),
            "btag": btag,
            "isLepton": ak.zeros_like(pt, dtype=bool) | (kind in LEPTON_KINDS),
            "charge": charge,
            "kind": zeros_int + kind,
            "source_index": ak.local_index(coll.pt, axis=1)[mask],
        }
    )


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
    both = ak.concatenate([objects["electron"], objects["muon"]], axis=1)
    return both[ak.argsort(both.pt, axis=1, ascending=False)]


def n_btag(jets: ak.Array) -> ak.Array:
    """Number of b-tagged objects per event."""
    return ak.sum(jets.btag, axis=1)
