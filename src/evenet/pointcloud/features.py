"""From selected objects to the fixed-size model inputs: 18 slots x 7 features, 10 globals.

Everything works on the flat (event-concatenated) object arrays with one
event index per object, which is several times faster than padding each
jagged field through awkward.
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak
import numpy as np

from evenet.codes import KIND_JET
from evenet.pointcloud.schema import GLOBAL_FEATURES, INVISIBLE_FEATURES, MAX_OBJECTS, SOURCE_FEATURES


@dataclass(frozen=True)
class FlatObjects:
    """Objects of a chunk as flat numpy arrays; ``event`` and ``slot`` locate each one."""

    n_events: int
    event: np.ndarray
    slot: np.ndarray
    columns: dict[str, np.ndarray]

    @classmethod
    def from_jagged(cls, objects: ak.Array) -> "FlatObjects":
        counts = ak.to_numpy(ak.num(objects, axis=1))
        n_events = len(counts)
        starts = np.cumsum(counts) - counts
        event = np.repeat(np.arange(n_events), counts)
        slot = np.arange(len(event)) - np.repeat(starts, counts)
        columns = {name: ak.to_numpy(ak.flatten(objects[name])) for name in objects.fields}
        return cls(n_events, event, slot, columns)

    def slot_mask(self) -> np.ndarray:
        """(N, 18): true where a slot holds an object."""
        mask = np.zeros((self.n_events, MAX_OBJECTS), dtype=bool)
        kept = self.slot < MAX_OBJECTS
        mask[self.event[kept], self.slot[kept]] = True
        return mask

    def slot_array(self, name: str, dtype, fill=0) -> np.ndarray:
        """(N, 18) values of one field in slot order; ``fill`` in empty slots."""
        out = np.full((self.n_events, MAX_OBJECTS), fill, dtype=dtype)
        kept = self.slot < MAX_OBJECTS
        out[self.event[kept], self.slot[kept]] = self.columns[name][kept]
        return out

    def per_event_sum(self, values: np.ndarray, select: np.ndarray | None = None) -> np.ndarray:
        weights = values if select is None else np.where(select, values, 0)
        return np.bincount(self.event, weights=weights, minlength=self.n_events)


def source_arrays(flat: FlatObjects) -> tuple[np.ndarray, np.ndarray]:
    """(N, 18, 7) features in SOURCE_FEATURES order and the (N, 18) mask; padding is zero."""
    data = np.stack([flat.slot_array(name, np.float32) for name in SOURCE_FEATURES], axis=-1)
    return data, flat.slot_mask()


def _invariant_mass(flat: FlatObjects, p4: tuple[np.ndarray, ...], select: np.ndarray | None) -> np.ndarray:
    px, py, pz, e = (flat.per_event_sum(component, select) for component in p4)
    return np.sqrt(np.maximum(e**2 - px**2 - py**2 - pz**2, 0.0))


def global_arrays(flat: FlatObjects, met: ak.Array) -> np.ndarray:
    """(N, 10) event globals in GLOBAL_FEATURES order, from all selected objects and MET."""
    c = flat.columns
    is_jet = c["kind"] == KIND_JET
    is_lep = c["isLepton"].astype(bool)
    is_bjet = is_jet & c["btag"].astype(bool)
    p4 = (c["pt"] * np.cos(c["phi"]), c["pt"] * np.sin(c["phi"]), c["pt"] * np.sinh(c["eta"]), c["energy"])
    columns = {
        "met": ak.to_numpy(met.pt),
        "met_phi": ak.to_numpy(met.phi),
        "nLepton": flat.per_event_sum(is_lep.astype(np.float64)),
        "nbJet": flat.per_event_sum(is_bjet.astype(np.float64)),
        "nJet": flat.per_event_sum(is_jet.astype(np.float64)),
        "HT": flat.per_event_sum(c["pt"], is_jet),
        "HT_lep": flat.per_event_sum(c["pt"], is_lep),
        "M_all": _invariant_mass(flat, p4, None),
        "M_leps": _invariant_mass(flat, p4, is_lep),
        "M_bjets": _invariant_mass(flat, p4, is_bjet),
    }
    out = np.empty((flat.n_events, len(GLOBAL_FEATURES)), dtype=np.float32)
    for i, name in enumerate(GLOBAL_FEATURES):
        out[:, i] = columns[name]
    return out


def invisible_arrays(pt: np.ndarray, eta: np.ndarray, phi: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(N, n_inv, 4) invisible-particle features (massless) in INVISIBLE_FEATURES order; zero where masked."""
    energy = pt * np.cosh(eta)
    columns = {"energy": energy, "pt": pt, "eta": eta, "phi": phi}
    data = np.stack([columns[name] for name in INVISIBLE_FEATURES], axis=-1).astype(np.float32)
    return np.where(mask[..., None], data, 0.0).astype(np.float32)
