"""Decay-tree navigation over the jagged GenPart collection, vectorised.

The per-event ``motherIdx`` links are turned into global indices of the
flattened collection, and pointer jumping (log-depth repeated indexing)
resolves chains of copies: an event generator records a particle several
times as it recoils (Pythia's status 44, 51, 52, 62, ...), each copy the
mother of the next with the same pdgId. A decay step is a link between
particles of *different* pdgId.
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak
import numpy as np

from evenet.codes import STATUS_FLAG_IS_HARD_PROCESS, STATUS_FLAG_IS_LAST_COPY, STATUS_FLAG_IS_PROMPT


@dataclass(frozen=True)
class GenTree:
    """Flattened GenPart of a chunk with global indices (-1 for none)."""

    offsets: np.ndarray
    pdg: np.ndarray
    mother: np.ndarray
    first_copy: np.ndarray
    """the earliest copy of each particle (itself when its mother differs in pdgId)"""
    parent: np.ndarray
    """first copy of the particle that decayed into this one's first copy"""
    is_last_copy: np.ndarray

    @property
    def event_of(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.offsets) - 1), np.diff(self.offsets))


def _resolve_fixed_point(step: np.ndarray) -> np.ndarray:
    """Follow ``i -> step[i]`` until it stops moving (step[i] == i at the end of a chain)."""
    out = step.copy()
    while True:
        nxt = out[out]
        if np.array_equal(nxt, out):
            return out
        out = nxt


def build_tree(genpart: ak.Array) -> GenTree:
    counts = ak.to_numpy(ak.num(genpart, axis=1))
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    pdg = ak.to_numpy(ak.flatten(genpart.pdgId)).astype(np.int64)
    local_mother = ak.to_numpy(ak.flatten(genpart.motherIdx)).astype(np.int64)
    start = np.repeat(offsets[:-1], counts)
    n = len(pdg)
    valid = (local_mother >= 0) & (local_mother < np.repeat(counts, counts))
    mother = np.where(valid, start + local_mother, -1)
    idx = np.arange(n)

    same_as_mother = (mother >= 0) & (pdg[np.maximum(mother, 0)] == pdg)
    first_copy = _resolve_fixed_point(np.where(same_as_mother, mother, idx))
    decayed_from = mother[first_copy]
    parent = np.where(decayed_from >= 0, first_copy[np.maximum(decayed_from, 0)], -1)

    has_copy_child = np.zeros(n, dtype=bool)
    has_copy_child[mother[same_as_mother]] = True
    return GenTree(offsets, pdg, mother, first_copy, parent, ~has_copy_child)


def derived_status_flags(tree: GenTree, status: np.ndarray) -> np.ndarray:
    """NanoAOD-style statusFlags for records that have none (Delphes ``Particle``).

    Only the bits the pipeline uses are set: isLastCopy; isHardProcess for
    Pythia 8 hard-process codes (|status| 21-29); isPrompt for particles with
    no hadron (|pdgId| > 100) among their ancestors.
    """
    n = len(tree.pdg)
    is_hadron = np.abs(tree.pdg) > 100
    # "has a hadron ancestor" propagates down the mother links by pointer jumping.
    hadron_above = np.zeros(n, dtype=bool)
    ancestor = tree.mother.copy()
    while np.any(ancestor >= 0):
        has = ancestor >= 0
        hadron_above[has] |= is_hadron[ancestor[has]]
        ancestor = np.where(has, tree.mother[np.maximum(ancestor, 0)], -1)
    abs_status = np.abs(status.astype(np.int64))
    flags = np.zeros(n, dtype=np.int64)
    flags |= tree.is_last_copy.astype(np.int64) << STATUS_FLAG_IS_LAST_COPY
    flags |= ((abs_status >= 21) & (abs_status <= 29)).astype(np.int64) << STATUS_FLAG_IS_HARD_PROCESS
    flags |= (~hadron_above & ~is_hadron).astype(np.int64) << STATUS_FLAG_IS_PROMPT
    return flags
