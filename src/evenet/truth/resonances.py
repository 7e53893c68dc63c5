"""Find each configured resonance and its decay products in the generator record.

Per event the kernel walks the copy-resolved decay tree of
:mod:`evenet.truth.genparticles`: resonance candidates in decreasing pt, each
product path followed step by step, products with the same path given
distinct particles (highest pt first). numba keeps the per-event walk fast.
"""

from __future__ import annotations

import numba
import numpy as np

from evenet.truth.genparticles import GenTree
from evenet.truth.topology import EncodedTopology


@numba.njit(cache=True)
def _in_token(abs_pdg, token, token_pdgs):
    for member in token_pdgs[token]:
        if member == abs_pdg:
            return True
    return False


@numba.njit(cache=True)
def _find_products(offsets, pdg, parent, first_copy, pt, res_pdg, res_conjugate, paths, token_pdgs):
    n_events = len(offsets) - 1
    n_res, n_prod, depth = paths.shape
    out = np.full((n_events, n_res, n_prod), -1, dtype=np.int64)
    frontier = np.empty(256, dtype=np.int64)
    nxt = np.empty(256, dtype=np.int64)
    chosen = np.empty(n_prod, dtype=np.int64)
    for e in range(n_events):
        lo, hi = offsets[e], offsets[e + 1]
        used_res = np.zeros(hi - lo, dtype=np.bool_)
        for r in range(n_res):
            order = np.argsort(-pt[lo:hi])
            for oc in order:
                c = lo + oc
                if first_copy[c] != c or used_res[c - lo]:
                    continue
                if (abs(pdg[c]) != abs(res_pdg[r])) if res_conjugate[r] else (pdg[c] != res_pdg[r]):
                    continue
                complete = True
                for k in range(n_prod):
                    chosen[k] = -1
                for k in range(n_prod):
                    if paths[r, k, 0] < 0:
                        continue
                    n_front = 1
                    frontier[0] = c
                    for d in range(depth):
                        token = paths[r, k, d]
                        if token < 0:
                            break
                        n_next = 0
                        for j in range(lo, hi):
                            if first_copy[j] != j or not _in_token(abs(pdg[j]), token, token_pdgs):
                                continue
                            for f in range(n_front):
                                if parent[j] == frontier[f] and n_next < 256:
                                    nxt[n_next] = j
                                    n_next += 1
                                    break
                        for f in range(n_next):
                            frontier[f] = nxt[f]
                        n_front = n_next
                    best = -1
                    for f in range(n_front):
                        cand = frontier[f]
                        taken = False
                        for kk in range(k):
                            if chosen[kk] == cand:
                                taken = True
                        if not taken and (best < 0 or pt[cand] > pt[best]):
                            best = cand
                    if best < 0:
                        complete = False
                        break
                    chosen[k] = best
                if complete:
                    used_res[c - lo] = True
                    for k in range(n_prod):
                        out[e, r, k] = chosen[k]
                    break
    return out


def find_products(tree: GenTree, pt: np.ndarray, topology: EncodedTopology) -> np.ndarray:
    """Global GenPart index (first copy) of every product: (events, resonances, products), -1 if absent."""
    return _find_products(
        tree.offsets, tree.pdg, tree.parent, tree.first_copy, pt.astype(np.float64),
        topology.res_pdg, topology.res_conjugate, topology.paths, topology.token_pdgs,
    )


def last_copy_of(tree: GenTree) -> np.ndarray:
    """Index of the last copy of each particle's chain (the particle after all recoils)."""
    n = len(tree.pdg)
    last = np.arange(n)
    ends = np.flatnonzero(tree.is_last_copy)
    last[tree.first_copy[ends]] = ends
    return last[tree.first_copy]
