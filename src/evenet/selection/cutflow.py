"""Cumulative cutflows: (cut name, events passing, sum of weights passing).

A cutflow is a list of ``{"cut": str, "events": int, "weighted": float}``,
first entry ``"all"``, each entry counting the events passing that cut and all
before it; plain Python types, so ``json.dump`` takes it as is.
"""

from __future__ import annotations

import awkward as ak
import numpy as np


class Cutflow:
    """Accumulates a cumulative pass mask over a chunk of events."""

    def __init__(self, weights: np.ndarray):
        self.weights = np.asarray(weights, dtype=np.float64)
        self.passing = np.ones(len(self.weights), dtype=bool)
        self.entries: list[dict] = []
        self._record("all")

    def _record(self, cut: str) -> None:
        self.entries.append(
            {
                "cut": cut,
                "events": int(np.count_nonzero(self.passing)),
                "weighted": float(np.sum(self.weights[self.passing])),
            }
        )

    def apply(self, cut: str, mask) -> np.ndarray:
        """AND ``mask`` (one bool per event; None counts as fail) into the pass mask and record it."""
        mask = np.asarray(ak.to_numpy(ak.fill_none(mask, False)), dtype=bool)
        self.passing &= mask
        self._record(cut)
        return self.passing

    def to_list(self) -> list[dict]:
        return [dict(entry) for entry in self.entries]


def merge_cutflows(cutflows: list[list[dict]]) -> list[dict]:
    """Sum cutflows of several chunks or files of the same selection (same cuts, same order)."""
    if not cutflows:
        return []
    names = [entry["cut"] for entry in cutflows[0]]
    for other in cutflows[1:]:
        if [entry["cut"] for entry in other] != names:
            raise ValueError(f"cannot merge cutflows with different cuts: {names} vs {[e['cut'] for e in other]}")
    return [
        {
            "cut": name,
            "events": sum(flow[i]["events"] for flow in cutflows),
            "weighted": float(sum(flow[i]["weighted"] for flow in cutflows)),
        }
        for i, name in enumerate(names)
    ]
