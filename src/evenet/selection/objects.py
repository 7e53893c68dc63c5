"""Object definitions: which reconstructed objects count, and their common record.

Each collection of the event record (:mod:`evenet.io.events`) is cut on
pt > pt_min and |eta| < abs_eta_max (strict inequalities). Muons may also be
cut on (all optional, all strict): an identification working point (``id``:
loose, medium, tight or soft, the NanoAOD ``Muon_<id>Id`` flag), isolation
pfRelIso04_all < iso_max and/or > iso_min (iso_min selects anti-isolated
muons), and impact parameters |dxy| < dxy_max, |dz| < dz_max (cm),
ip3d < ip3d_max (cm), sip3d < sip3d_max. Passing objects of every collection
are turned into one record type, the one the point cloud is built from:

    pt, eta, phi, mass, energy (float64), btag (bool: Jet.btag >= working point;
    false for non-jets), btag_score (float64: the continuous Jet.btag discriminant;
    0 for non-jets), isLepton (bool: electrons and muons), charge (int32;
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
OBJECT_FIELDS = ("pt", "eta", "phi", "mass", "energy", "btag", "btag_score", "isLepton", "charge", "kind", "source_index")

MUON_IDS = ("loose", "medium", "tight", "soft")
# muon impact-parameter cuts: config key -> (record field, whether the cut is on its absolute value)
IMPACT_PARAMETER_CUTS = {"dxy_max": ("dxy", True), "dz_max": ("dz", True), "ip3d_max": ("ip3d", False), "sip3d_max": ("sip3d", False)}
ISOLATION = "pfRelIso04_all"


@dataclass(frozen=True)
class ObjectCuts:
    """Acceptance of one collection; muon identification cuts are optional (None: no cut)."""

    pt_min: float
    abs_eta_max: float
    muon_id: str | None = None
    iso_max: float | None = None
    iso_min: float | None = None
    impact_parameter_max: tuple[tuple[str, float], ...] = ()
    """(config key, maximum) of the impact-parameter cuts, keys of IMPACT_PARAMETER_CUTS"""

    @classmethod
    def from_block(cls, block: Block, collection: str) -> ObjectCuts:
        muon_keys = ("id", "iso_max", "iso_min", *IMPACT_PARAMETER_CUTS)
        if collection != "muon":
            for key in muon_keys:
                if key in block:
                    raise ConfigError(f"configuration key '{block.path}.{key}': only muons have identification cuts")
        cuts = cls(
            pt_min=block.number("pt_min"),
            abs_eta_max=block.number("abs_eta_max"),
            muon_id=block.string("id", MUON_IDS) if "id" in block else None,
            iso_max=block.number("iso_max") if "iso_max" in block else None,
            iso_min=block.number("iso_min") if "iso_min" in block else None,
            impact_parameter_max=tuple((key, block.number(key)) for key in IMPACT_PARAMETER_CUTS if key in block),
        )
        if cuts.iso_min is not None and cuts.iso_max is not None and cuts.iso_min >= cuts.iso_max:
            raise ConfigError(f"configuration key '{block.path}.iso_min' must be below iso_max, got {cuts.iso_min} >= {cuts.iso_max}")
        return cuts

    def fields(self) -> tuple[str, ...]:
        """Record fields these cuts read beyond the kinematics (what the file must have)."""
        out = [f"{self.muon_id}Id"] if self.muon_id else []
        if self.iso_max is not None or self.iso_min is not None:
            out.append(ISOLATION)
        out += [IMPACT_PARAMETER_CUTS[key][0] for key, _ in self.impact_parameter_max]
        return tuple(out)

    def identification_mask(self, flat: ak.Array, record_name: str) -> np.ndarray:
        """Objects passing the identification cuts, on the flattened collection."""
        mask = np.ones(len(flat), dtype=bool)
        if self.muon_id:
            mask &= _flat_field(flat, record_name, f"{self.muon_id}Id").astype(bool)
        if self.iso_max is not None:
            mask &= _flat_field(flat, record_name, ISOLATION) < self.iso_max
        if self.iso_min is not None:
            mask &= _flat_field(flat, record_name, ISOLATION) > self.iso_min
        for key, maximum in self.impact_parameter_max:
            name, signed = IMPACT_PARAMETER_CUTS[key]
            value = _flat_field(flat, record_name, name)
            mask &= (np.abs(value) if signed else value) < maximum
        return mask


def object_cuts_from_block(objects: Block) -> dict[str, ObjectCuts]:
    """``objects:`` block -> {collection name: cuts}; only the listed collections are used."""
    cuts = {}
    for name, block in objects.blocks().items():
        if name not in COLLECTIONS:
            raise ConfigError(f"unknown collection '{objects.path}.{name}' (expected one of {list(COLLECTIONS)})")
        cuts[name] = ObjectCuts.from_block(block, name)
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
    mask = (pt > cuts.pt_min) & (np.abs(eta) < cuts.abs_eta_max) & cuts.identification_mask(flat, record_name)

    event = np.repeat(np.arange(len(counts)), counts)
    source_index = np.arange(len(event)) - np.repeat(np.cumsum(counts) - counts, counts)
    pt, eta = pt[mask], eta[mask]
    mass = _flat_field(flat, record_name, "mass")[mask].astype(np.float64)
    n = len(pt)
    if kind == KIND_JET:
        btag_score = _flat_field(flat, record_name, "btag")[mask].astype(np.float64)
        btag = btag_score >= btag_wp
        charge = np.zeros(n, dtype=np.int32)
    else:
        btag = np.zeros(n, dtype=bool)
        btag_score = np.zeros(n, dtype=np.float64)
        has_charge = "charge" in flat.fields
        charge = flat["charge"][mask].to_numpy().astype(np.int32) if has_charge else np.zeros(n, dtype=np.int32)
    content = {
        "pt": pt,
        "eta": eta,
        "phi": _flat_field(flat, record_name, "phi")[mask].astype(np.float64),
        "mass": mass,
        "energy": energy(pt, eta, mass),
        "btag": btag,
        "btag_score": btag_score,
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
