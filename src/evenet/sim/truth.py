"""Truth information for the written files: NanoAOD statusFlags, HepMC-like status,
the pruned generator list (GenPart / Delphes Particle) with mother links.

statusFlags are computed by :func:`evenet.genflags.status_flags` (the CMS
definitions, also used by the Delphes reader) on the full Pythia record, then
the record is pruned. A "copy" is a row whose first mother has the same pdgId
(Pythia's carbon copies during showering and recoil).
"""

from __future__ import annotations

import numpy as np

from evenet.codes import (
    STATUS_FLAG_FROM_HARD_PROCESS,
    STATUS_FLAG_IS_DECAYED_LEPTON_HADRON,
    STATUS_FLAG_IS_LAST_COPY,
    STATUS_FLAG_IS_PROMPT,
)
from evenet.genflags import is_hadron
from evenet.genflags import status_flags as flags_of_list
from evenet.sim.record import GenRecord

HEAVY_BOSONS_AND_TOP = {6, 23, 24, 25, 35, 36, 37}
NEUTRINOS = (12, 14, 16)


def has_quark(pdg: np.ndarray, flavour: int) -> np.ndarray:
    """Hadron containing a quark of ``flavour`` (PDG numbering scheme digits n_q1..n_q3)."""
    a = np.abs(pdg)
    return is_hadron(pdg) & (((a // 1000) % 10 == flavour) | ((a // 100) % 10 == flavour) | ((a // 10) % 10 == flavour))


def status_flags(record: GenRecord) -> np.ndarray:
    """CMS statusFlags (int32) for every row of the record."""
    return flags_of_list(record.pdg, record.global_index(record.mother1), hepmc_status(record))


def hepmc_status(record: GenRecord) -> np.ndarray:
    """HepMC status as Pythia's ``Particle::statusHepMC`` gives it: 1 for final-state rows,
    2 for a hadron, muon or tau that decayed (a daughter of another pdgId with decay
    status 91-110), otherwise |Pythia status| (21 incoming, 22 intermediate, ...)."""
    mother = record.global_index(record.mother1)
    from_decay = (mother >= 0) & (np.abs(record.status) >= 91) & (np.abs(record.status) <= 110)
    from_decay &= record.pdg != record.pdg[np.maximum(mother, 0)]
    decayed = np.zeros(len(record.pdg), dtype=bool)
    decayed[mother[from_decay]] = True
    decayed &= is_hadron(record.pdg) | (np.abs(record.pdg) == 13) | (np.abs(record.pdg) == 15)
    status = np.where(decayed, 2, np.abs(record.status))
    return np.where(record.status > 0, 1, status).astype(np.int32)


def _bit(flags: np.ndarray, bit: int) -> np.ndarray:
    return (flags >> bit) & 1 == 1


def pruned_rows(record: GenRecord, flags: np.ndarray) -> np.ndarray:
    """Rows kept in GenPart, after CMS NanoAOD's finalGenParticles (genparticles_cff.py),
    simplified: the hard process (Pythia status 21-29) and the last copies of what
    came from it, last copies of top and heavy bosons, prompt leptons, last copies
    of b and c hadrons, every neutrino together with the decayed hadrons and
    leptons above it (so that a reader of the pruned list still sees that a
    neutrino from a tau or B decay is not prompt), the mother of every kept
    lepton (CMS: "leptons, with at most one mother back in the history"), and
    the first copy of everything kept (so that copies stay copies)."""
    a = np.abs(record.pdg)
    hard = (np.abs(record.status) >= 21) & (np.abs(record.status) <= 29)
    last = _bit(flags, STATUS_FLAG_IS_LAST_COPY)
    hard_last = _bit(flags, STATUS_FLAG_FROM_HARD_PROCESS) & last
    boson = np.isin(a, list(HEAVY_BOSONS_AND_TOP)) & last
    lepton = (a >= 11) & (a <= 16) & _bit(flags, STATUS_FLAG_IS_PROMPT) & (last | (record.status > 0))
    heavy_hadron = (has_quark(record.pdg, 5) | has_quark(record.pdg, 4)) & last
    neutrino = np.isin(a, NEUTRINOS) & (record.status > 0)
    keep = hard | hard_last | boson | lepton | heavy_hadron | neutrino
    mother = record.global_index(record.mother1)
    leptons = np.flatnonzero(keep & (a >= 11) & (a <= 16))
    keep[mother[leptons][mother[leptons] >= 0]] = True
    keep[_decayed_ancestors(record, np.flatnonzero(neutrino), flags)] = True
    keep[_first_copies(record, np.flatnonzero(keep))] = True
    return np.flatnonzero(keep)


def _first_copies(record: GenRecord, rows: np.ndarray) -> np.ndarray:
    """The first copy of each of ``rows`` (itself when its mother has another pdgId)."""
    mother = record.global_index(record.mother1)
    first = rows.copy()
    while True:
        up = mother[first]
        same = (up >= 0) & (record.pdg[np.maximum(up, 0)] == record.pdg[first])
        if not same.any():
            return first
        first = np.where(same, up, first)


def _decayed_ancestors(record: GenRecord, rows: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Rows of the decayed hadrons and leptons among the ancestors of ``rows``."""
    mother = record.global_index(record.mother1)
    decayed = _bit(flags, STATUS_FLAG_IS_DECAYED_LEPTON_HADRON)
    found = []
    ancestor = mother[rows]
    while len(ancestor):
        ancestor = ancestor[ancestor >= 0]
        found.append(ancestor[decayed[ancestor]])
        ancestor = np.unique(mother[ancestor])
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def remap_mothers(record: GenRecord, keep_rows: np.ndarray) -> np.ndarray:
    """For each kept row, the position (within its event's kept rows) of its nearest
    kept ancestor through mother1 links; -1 if none."""
    n = len(record.pdg)
    mother = record.global_index(record.mother1)
    kept = np.zeros(n, dtype=bool)
    kept[keep_rows] = True
    ancestor = np.where(mother >= 0, mother, -1)
    # Pointer jumping: follow links through dropped rows until a kept row or none.
    for _ in range(64):
        through = (ancestor >= 0) & ~kept[np.maximum(ancestor, 0)]
        if not through.any():
            break
        ancestor = np.where(through, ancestor[np.maximum(ancestor, 0)], ancestor)
    event = record.event_of_row
    kept_position = np.full(n, -1, dtype=np.int64)
    kept_event_start = np.searchsorted(event[keep_rows], np.arange(record.n_events))
    kept_position[keep_rows] = np.arange(len(keep_rows)) - kept_event_start[event[keep_rows]]
    result = ancestor[keep_rows]
    return np.where(result >= 0, kept_position[np.maximum(result, 0)], -1).astype(np.int32)
