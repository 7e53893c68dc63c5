"""Apply a selection again to varied selected objects, so that events migrate and globals follow.

Input: a chunk of ``evenet select``'s output (the selected objects, MET, identity, weight,
label, split, truth) with varied object pT/energy and MET. The objects are turned back
into the event record the selections read (one collection per object kind, pT-ordered;
b-tag as +-inf so any working point keeps the stored decision) and the selection runs
again with its object thresholds (pt_min, abs_eta_max) and event cuts. Identification
cuts (muon id, isolation, impact parameters) are left out: every stored object passed
them and the variations do not touch them. Objects pushed below their threshold leave
the event, events failing the cuts leave the selection, the slots are arranged again and
the truth targets follow their objects (-1 when the object left). What the stored
objects cannot give is not modelled: objects or events below the nominal thresholds
cannot migrate in.

The varied objects keep their stored field values where not varied (the selection only
decides which objects stay and in which slot), so a zero variation returns the chunk.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

import awkward as ak
import numpy as np

from evenet.pointcloud.features import FlatObjects
from evenet.selection.objects import COLLECTIONS
from evenet.selection.preselections import select

OBJECT_FIELDS = ("pt", "eta", "phi", "energy", "btag", "isLepton", "charge", "kind")
KINEMATIC_CUTS = ("pt_min", "abs_eta_max")
KEPT_FIELDS = ("run", "luminosityBlock", "event", "weight", "label", "split", "targets", "invisible")
SELECTION_FIELDS = ("run", "luminosityBlock", "event", "genWeight", "MET", "GenPart", "objects")


def kinematic_parameters(params: Mapping) -> dict:
    """The selection block with only the kinematic object cuts kept (identification is already passed)."""
    out = copy.deepcopy(dict(params))
    out["objects"] = {name: {k: v for k, v in cuts.items() if k in KINEMATIC_CUTS} for name, cuts in params["objects"].items()}
    return out


def _mass(pt: np.ndarray, eta: np.ndarray, energy: np.ndarray) -> np.ndarray:
    p = pt * np.cosh(eta)
    return np.sqrt(np.maximum(energy**2 - p**2, 0.0))


def _record(flat: FlatObjects, columns: dict[str, np.ndarray], met_pt, met_phi) -> tuple[ak.Array, dict[int, tuple]]:
    """The event record of the varied objects (``event`` = row in the chunk) and, per kind,
    (per-event start, flat positions in the chunk's object arrays) to map selected objects back."""
    n = flat.n_events
    record = {}
    back = {}
    pt = columns["pt"]
    for name, (collection, kind) in COLLECTIONS.items():
        take = np.flatnonzero(columns["kind"] == kind)
        event = flat.event[take]
        take = take[np.lexsort([-pt[take], event])]  # pT-ordered within each event, as readers give them
        counts = np.bincount(flat.event[take], minlength=n)
        fields = {
            "pt": pt[take],
            "eta": columns["eta"][take],
            "phi": columns["phi"][take],
            "mass": _mass(pt[take], columns["eta"][take], columns["energy"][take]),
            "charge": columns["charge"][take].astype(np.int32),
            "btag": np.where(columns["btag"][take], np.inf, -np.inf),
        }
        record[collection] = ak.unflatten(ak.zip(fields), counts)
        back[kind] = (np.cumsum(counts) - counts, take)
    record["MET"] = ak.zip({"pt": np.asarray(met_pt, np.float64), "phi": np.asarray(met_phi, np.float64)})
    record["run"] = np.zeros(n, np.int64)
    record["luminosityBlock"] = np.zeros(n, np.int64)
    record["event"] = np.arange(n, dtype=np.int64)
    return ak.zip(record, depth_limit=1), back


def _remap_targets(targets: ak.Array, new_slot: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> ak.Array:
    """Targets (stored slot or -1) of the kept rows -> their objects' new slots (-1 if gone).
    ``new_slot``: new slot per stored object (flat), -1 for objects that left."""
    lookup = np.append(new_slot, -1)  # the last entry answers for "no object"
    out = {}
    for res in targets.fields:
        prods = {}
        for prod in targets[res].fields:
            slot = ak.to_numpy(targets[res][prod]).astype(np.int64)
            valid = (slot >= 0) & (slot < counts)
            prods[prod] = lookup[np.where(valid, starts + slot, len(new_slot))]
        out[res] = ak.zip(prods, depth_limit=1)
    return ak.zip(out, depth_limit=1)


def reselect(chunk: ak.Array, columns: dict[str, np.ndarray], met_pt, met_phi, selection: str,
             params: Mapping) -> ak.Array:
    """The selected-events chunk after the variation: ``columns`` are the chunk's flat object
    fields (:class:`FlatObjects` order) with varied values, ``met_pt``/``met_phi`` per event;
    ``params`` the selection's config block. Same record layout as ``evenet select`` writes."""
    flat = FlatObjects.from_jagged(chunk.objects)
    record, back = _record(flat, columns, met_pt, met_phi)
    result = select(record, selection, kinematic_parameters(params))
    passed = result.events
    rows = ak.to_numpy(passed.event).astype(np.int64)
    objects = passed.objects
    counts = ak.to_numpy(ak.num(objects, axis=1))
    row_of_object = np.repeat(rows, counts)
    kinds = ak.to_numpy(ak.flatten(objects.kind))
    source = ak.to_numpy(ak.flatten(objects.source_index)).astype(np.int64)
    position = np.empty(len(kinds), dtype=np.int64)  # flat position of each kept object in the chunk
    for kind, (starts, take) in back.items():
        mine = kinds == kind
        position[mine] = take[starts[row_of_object[mine]] + source[mine]]
    new_objects = ak.unflatten(ak.zip({f: columns[f][position] for f in OBJECT_FIELDS}), counts)

    out = {"objects": new_objects}
    met_type = ak.to_numpy(chunk.MET.pt).dtype
    out["MET"] = ak.zip({
        "pt": np.asarray(met_pt)[rows].astype(met_type), "phi": np.asarray(met_phi)[rows].astype(met_type)})
    for field in KEPT_FIELDS:
        if field == "targets" and field in chunk.fields:
            old_counts = ak.to_numpy(ak.num(chunk.objects, axis=1))
            old_starts = np.cumsum(old_counts) - old_counts
            new_slot = np.full(len(flat.event), -1, dtype=np.int64)
            new_starts = np.cumsum(counts) - counts
            new_slot[position] = np.arange(len(position)) - np.repeat(new_starts, counts)
            out[field] = _remap_targets(chunk.targets[rows], new_slot, old_starts[rows], old_counts[rows])
        elif field in chunk.fields:
            out[field] = chunk[field][rows]
    extras = [f for f in passed.fields if f not in SELECTION_FIELDS]
    if extras:
        out["extra"] = ak.zip({f: passed[f] for f in extras}, depth_limit=1)
    order = [f for f in chunk.fields if f in out] + [f for f in out if f not in chunk.fields]
    return ak.zip({f: out[f] for f in order}, depth_limit=1)
