"""The output of every preselection: passing events with their objects, and the cutflow."""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak
import numpy as np

from evenet.selection.slots import SlotPlan, arrange

PASSTHROUGH_FIELDS = ("run", "luminosityBlock", "event", "genWeight", "MET", "GenPart")


@dataclass
class Selection:
    """``events``: passing events only (reader fields + ``objects`` + event-level outputs);
    ``cutflow``: cumulative list of {"cut", "events", "weighted"}, first entry "all"."""

    name: str
    events: ak.Array
    cutflow: list[dict]


def event_weights(events: ak.Array) -> np.ndarray:
    """Generator weight per event (the contract gives 1.0 for data; absent counts as 1.0)."""
    if "genWeight" in events.fields:
        return ak.to_numpy(events.genWeight).astype(np.float64)
    return np.ones(len(events), dtype=np.float64)


def passing_events(
    events: ak.Array, passing: np.ndarray, candidates: dict[str, ak.Array], plan: SlotPlan, outputs: dict
) -> ak.Array:
    """One record per passing event: reader pass-through fields, ``objects`` and ``outputs``.

    ``candidates`` (cleaned, per collection) and every ``outputs`` value are
    given for all events and cut here; ``objects`` is their slot arrangement.
    """
    kept = {field: events[field][passing] for field in PASSTHROUGH_FIELDS if field in events.fields}
    kept["objects"] = arrange({name: objs[passing] for name, objs in candidates.items()}, plan)
    kept.update({name: value[passing] for name, value in outputs.items()})
    return ak.zip(kept, depth_limit=1)
