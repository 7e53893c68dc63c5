"""Per-event joins of jagged record arrays, done on their flat numpy content.

awkward's ``concatenate(axis=1)`` goes through a union of the inputs and is
slow for the many joins a selection does. Here each part's flat content is put
straight at its output position (event start + objects of earlier parts in
that event + rank in the part), and the result is rebuilt with one
``unflatten``. Sorting by pt is done only where a part is not already in
decreasing pt within each event (readers give pt-sorted collections).
All parts must be records with the same fields.
"""

from __future__ import annotations

import awkward as ak
import numpy as np

SORTS = ("part_then_pt", "pt", "none")


def _flat(array: ak.Array) -> tuple[dict[str, np.ndarray], np.ndarray]:
    counts = ak.to_numpy(ak.num(array, axis=1)).astype(np.int64)
    flat = ak.flatten(array, axis=1)
    return {field: ak.to_numpy(flat[field]) for field in array.fields}, counts


def _starts(counts: np.ndarray) -> np.ndarray:
    return np.cumsum(counts) - counts


def _by_decreasing_pt(content: dict[str, np.ndarray], counts: np.ndarray) -> dict[str, np.ndarray]:
    """``content`` reordered to decreasing pt within each event (no-op if it already is)."""
    event = np.repeat(np.arange(len(counts)), counts)
    rises = (np.diff(content["pt"]) > 0) & (event[1:] == event[:-1])
    if not rises.any():
        return content
    order = np.lexsort([-content["pt"], event])
    return {field: values[order] for field, values in content.items()}


def ordered_concatenate(parts: list[ak.Array], max_per_event: int | None = None, sort: str = "part_then_pt") -> ak.Array:
    """Join per event the objects of ``parts``, ordered, keeping at most ``max_per_event``.

    ``sort``: "part_then_pt" (part 0 first, ..., each part by decreasing pt),
    "pt" (all objects of the event by decreasing pt) or "none" (part order,
    then the input order).
    """
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {SORTS}, got {sort!r}")
    flats = [_flat(part) for part in parts]
    if sort == "part_then_pt":
        flats = [(_by_decreasing_pt(content, counts), counts) for content, counts in flats]
    n_events = len(parts[0])
    total_counts = np.sum([counts for _, counts in flats], axis=0, dtype=np.int64) if flats else np.zeros(0)
    out_starts = _starts(total_counts)
    out = {f: np.empty(int(total_counts.sum()), dtype=flats[0][0][f].dtype) for f in parts[0].fields}
    before = np.zeros(n_events, dtype=np.int64)  # objects of earlier parts, per event
    for content, counts in flats:
        event = np.repeat(np.arange(n_events), counts)
        rank = np.arange(len(event)) - np.repeat(_starts(counts), counts)
        position = out_starts[event] + before[event] + rank
        for field, values in content.items():
            out[field][position] = values
        before += counts
    if sort == "pt":
        out = _by_decreasing_pt(out, total_counts)
    if max_per_event is not None:
        event = np.repeat(np.arange(n_events), total_counts)
        keep = np.arange(len(event)) - out_starts[event] < max_per_event
        out = {field: values[keep] for field, values in out.items()}
        total_counts = np.minimum(total_counts, max_per_event)
    return ak.unflatten(ak.zip(out), total_counts)
