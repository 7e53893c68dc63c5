"""Truth information for the written files: NanoAOD statusFlags, HepMC-like status,
the pruned generator list (GenPart / Delphes Particle) with mother links.

statusFlags follow the CMS bit convention (PhysicsTools/NanoAOD
genparticles_cff.py): bit 0 isPrompt, 7 isHardProcess, 8 fromHardProcess,
12 isFirstCopy, 13 isLastCopy. A "copy" is a row whose first mother has the
same pdgId (Pythia's carbon copies during showering and recoil).
"""

from __future__ import annotations

import numpy as np

from evenet.sim.record import GenRecord

IS_PROMPT, IS_HARD_PROCESS, FROM_HARD_PROCESS, IS_FIRST_COPY, IS_LAST_COPY = 0, 7, 8, 12, 13
HEAVY_BOSONS_AND_TOP = {6, 23, 24, 25, 35, 36, 37}


def is_hadron(pdg: np.ndarray) -> np.ndarray:
    a = np.abs(pdg)
    return (a > 100) & (a < 10_000_000) & ~((a >= 1000001) & (a < 3000000) & ((a // 10) % 10 == 0))


def has_quark(pdg: np.ndarray, flavour: int) -> np.ndarray:
    """Hadron containing a quark of ``flavour`` (PDG numbering scheme digits n_q1..n_q3)."""
    a = np.abs(pdg)
    return is_hadron(pdg) & (((a // 1000) % 10 == flavour) | ((a // 100) % 10 == flavour) | ((a // 10) % 10 == flavour))


def _propagate(record: GenRecord, seed: np.ndarray, rule) -> np.ndarray:
    """Forward propagation in row order (mothers precede daughters in Pythia records).

    ``rule(flag_of_mother, mother_rows, rows)`` says whether a row inherits from its mother.
    """
    flag = seed.copy()
    mother = record.global_index(record.mother1)
    local = np.arange(len(record.pdg)) - np.repeat(record.offsets[:-1], record.counts)
    by_position = np.argsort(local, kind="stable")
    bounds = np.searchsorted(local[by_position], np.arange(int(record.counts.max(initial=0)) + 1))
    for position in range(1, len(bounds) - 1):
        rows = by_position[bounds[position]:bounds[position + 1]]
        rows = rows[mother[rows] >= 0]
        if len(rows):
            flag[rows] |= rule(flag[mother[rows]], mother[rows], rows)
    return flag


def status_flags(record: GenRecord) -> np.ndarray:
    """CMS statusFlags (int32) for every row of the record."""
    pdg, status = record.pdg, record.status
    mother = record.global_index(record.mother1)
    has_mother = mother >= 0
    is_copy = has_mother & (pdg[np.maximum(mother, 0)] == pdg)
    first_copy = ~is_copy
    last_copy = np.ones(len(pdg), dtype=bool)
    last_copy[mother[is_copy]] = False
    hard = (np.abs(status) >= 21) & (np.abs(status) <= 29)
    # fromHardProcess: hard-process rows and their copies.
    from_hard = _propagate(record, hard, lambda flag, m, rows: flag & (pdg[m] == pdg[rows]))
    # Non-prompt: anything descending from a hadron, or from a tau/muon decay.
    decays_nonprompt = is_hadron(pdg) | (((np.abs(pdg) == 15) | (np.abs(pdg) == 13)) & (status < 0))
    nonprompt = _propagate(record, np.zeros(len(pdg), bool),
                           lambda flag, m, rows: flag | (decays_nonprompt[m] & (pdg[m] != pdg[rows])))
    flags = (
        (~nonprompt).astype(np.int32) << IS_PROMPT
        | hard.astype(np.int32) << IS_HARD_PROCESS
        | from_hard.astype(np.int32) << FROM_HARD_PROCESS
        | first_copy.astype(np.int32) << IS_FIRST_COPY
        | last_copy.astype(np.int32) << IS_LAST_COPY
    )
    return flags.astype(np.int32)


def hepmc_status(record: GenRecord) -> np.ndarray:
    """1 for final-state rows, otherwise |Pythia status| (21 incoming, 22 intermediate, ...)."""
    return np.where(record.status > 0, 1, np.abs(record.status)).astype(np.int32)


def pruned_rows(record: GenRecord, flags: np.ndarray) -> np.ndarray:
    """Rows kept in GenPart: all rows of a process-level record; after showering the
    hard process, last copies of top/bosons, prompt leptons and neutrinos and last
    b/c hadrons (what CMS NanoAOD keeps, simplified)."""
    a = np.abs(record.pdg)
    hard = (flags >> IS_HARD_PROCESS) & 1 == 1
    last = (flags >> IS_LAST_COPY) & 1 == 1
    prompt = (flags >> IS_PROMPT) & 1 == 1
    boson = np.isin(a, list(HEAVY_BOSONS_AND_TOP)) & last
    lepton = (a >= 11) & (a <= 16) & prompt & (last | (record.status > 0))
    heavy_hadron = (has_quark(record.pdg, 5) | has_quark(record.pdg, 4)) & last
    return np.flatnonzero(hard | boson | lepton | heavy_hadron)


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
