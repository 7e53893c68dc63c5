"""Generator-level event record as flat numpy arrays (one row per particle).

Pythia's record is read once per event into Python lists and converted to
numpy once per batch; everything downstream (status flags, detector, writers)
is vectorised over the flat arrays. Indices (mother1) are positions
within the same event's rows, -1 for none; Pythia's rows 0-2 (system, beams)
are dropped, so row 0 is Pythia's entry 3.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PYTHIA_FIRST_KEPT = 3


@dataclass
class GenRecord:
    """Particles of a batch of events: per-particle arrays plus per-event counts."""

    counts: np.ndarray  # (n_events,) int64
    pdg: np.ndarray  # int32
    status: np.ndarray  # Pythia status code (signed), int32
    mother1: np.ndarray  # row within the event, -1 for none (the only mother link used)
    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    e: np.ndarray

    @property
    def n_events(self) -> int:
        return len(self.counts)

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.counts)])

    @property
    def event_of_row(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_events), self.counts)

    @property
    def pt(self) -> np.ndarray:
        return np.hypot(self.px, self.py)

    @property
    def mass(self) -> np.ndarray:
        return np.sqrt(np.maximum(self.e**2 - self.px**2 - self.py**2 - self.pz**2, 0.0))

    def global_index(self, local: np.ndarray) -> np.ndarray:
        """Flat row of a per-row local index (same event), -1 stays -1."""
        start = np.repeat(self.offsets[:-1], self.counts)
        return np.where(local >= 0, local + start, -1)

    def select_events(self, keep: np.ndarray) -> "GenRecord":
        row_keep = np.repeat(keep, self.counts)
        return GenRecord(self.counts[keep], *(a[row_keep] for a in self._row_arrays()))

    def _row_arrays(self):
        return (self.pdg, self.status, self.mother1, self.px, self.py, self.pz, self.e)

    @staticmethod
    def concatenate(records: list["GenRecord"]) -> "GenRecord":
        return GenRecord(
            np.concatenate([r.counts for r in records]),
            *(np.concatenate(cols) for cols in zip(*(r._row_arrays() for r in records))),
        )

    @staticmethod
    def from_rows(counts: list[int], rows: list[tuple]) -> "GenRecord":
        """Build from per-particle tuples (pdg, status, mother1, px, py, pz, e)."""
        table = np.array(rows, dtype=np.float64).reshape(-1, 7)
        ints = table[:, :3].astype(np.int32)
        return GenRecord(np.asarray(counts, dtype=np.int64), ints[:, 0], ints[:, 1], ints[:, 2],
                         *(np.ascontiguousarray(table[:, k]) for k in range(3, 7)))

    def interleave(self, order: np.ndarray) -> "GenRecord":
        """Events reordered: new event i is old event order[i]."""
        starts = self.offsets[:-1][order]
        counts = self.counts[order]
        rows = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts) + np.arange(counts.sum())
        return GenRecord(counts, *(a[rows] for a in self._row_arrays()))
