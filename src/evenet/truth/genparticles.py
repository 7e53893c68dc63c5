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
