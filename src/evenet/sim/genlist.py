"""The generator-particle list written to files (NanoAOD GenPart, Delphes Particle)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evenet.sim.record import GenRecord
from evenet.sim.truth import hepmc_status, pruned_rows, remap_mothers, status_flags


@dataclass
class GenList:
    """Pruned generator particles, flat with per-event counts; indices are per event."""

    counts: np.ndarray
    pdg: np.ndarray
    status: np.ndarray
    status_flags: np.ndarray
    mother: np.ndarray  # nearest kept ancestor, -1 for none
    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    e: np.ndarray
    mass: np.ndarray

    @property
    def pt(self) -> np.ndarray:
        return np.hypot(self.px, self.py)

    @property
    def eta(self) -> np.ndarray:
        p = np.sqrt(self.px**2 + self.py**2 + self.pz**2)
        return np.arctanh(np.divide(self.pz, p, out=np.zeros_like(p), where=p > 0).clip(-1 + 1e-15, 1 - 1e-15))

    @property
    def phi(self) -> np.ndarray:
        return np.arctan2(self.py, self.px)

    @property
    def charge(self) -> np.ndarray:
        """Integer charge: charged leptons, W and H+ carry +-1, everything else 0 (Delphes stores ints)."""
        a = np.abs(self.pdg)
        sign = np.sign(self.pdg)
        return np.where(np.isin(a, (11, 13, 15)), -sign, np.where(np.isin(a, (24, 37)), sign, 0)).astype(np.int32)

    def daughters(self) -> tuple[np.ndarray, np.ndarray]:
        """(first, last) daughter index per particle from the mother links, -1 for none."""
        start = np.repeat(np.concatenate([[0], np.cumsum(self.counts)[:-1]]), self.counts)
        has = self.mother >= 0
        mother_global = (self.mother + start)[has]
        child_local = (np.arange(len(self.pdg)) - start)[has]
        first = np.full(len(self.pdg), np.iinfo(np.int32).max, dtype=np.int64)
        last = np.full(len(self.pdg), -1, dtype=np.int64)
        np.minimum.at(first, mother_global, child_local)
        np.maximum.at(last, mother_global, child_local)
        first[first == np.iinfo(np.int32).max] = -1
        return first.astype(np.int32), last.astype(np.int32)


def gen_list(record: GenRecord) -> GenList:
    flags = status_flags(record)
    keep = pruned_rows(record, flags)
    counts = np.bincount(record.event_of_row[keep], minlength=record.n_events)
    return GenList(counts, record.pdg[keep], hepmc_status(record)[keep], flags[keep], remap_mothers(record, keep),
                   record.px[keep], record.py[keep], record.pz[keep], record.e[keep], record.mass[keep])
