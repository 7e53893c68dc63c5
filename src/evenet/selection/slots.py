"""Slot order: which objects enter the point cloud, in which order, how many.

A selection's ``slots`` config is an ordered list of entries
``{take: [group, ...], max: n}``. Each entry concatenates its groups in the
order listed, each group sorted by decreasing pt, and keeps at most ``n``
objects; the entries are then concatenated in order and the whole list is cut
to ``max_objects``. Groups:

    lepton     electrons and muons together, pt-descending
    electron, muon, tau, photon
    jet        all jets (b-tagged or not)
    bjet       jets passing the b-tag working point
    light_jet  jets failing it

An object can appear only once if the plan is written with disjoint groups;
:func:`slot_plan_from_block` rejects a plan that names a group twice or that
names both ``jet`` and ``bjet``/``light_jet`` (or ``lepton`` and
``electron``/``muon``).
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak

from evenet.errors import ConfigError
from evenet.selection.jagged import ordered_concatenate
from evenet.selection.parameters import Block

GROUPS = ("lepton", "electron", "muon", "tau", "photon", "jet", "bjet", "light_jet")
_OVERLAPPING = (({"jet"}, {"bjet", "light_jet"}), ({"lepton"}, {"electron", "muon"}))


@dataclass(frozen=True)
class SlotEntry:
    groups: tuple[str, ...]
    max_objects: int


@dataclass(frozen=True)
class SlotPlan:
    entries: tuple[SlotEntry, ...]
    max_objects: int


def slot_plan_from_block(block: Block) -> SlotPlan:
    """Read ``slots`` and ``max_objects`` of a selection block."""
    entries = []
    for i, raw in enumerate(block.list("slots")):
        entry = Block(raw, f"{block.path}.slots[{i}]")
        groups = entry.list("take")
        for group in groups:
            if group not in GROUPS:
                raise ConfigError(f"configuration key '{entry.path}.take': unknown group {group!r} (expected one of {list(GROUPS)})")
        entries.append(SlotEntry(tuple(groups), entry.integer("max")))
        entry.check_all_used()
    named = [g for e in entries for g in e.groups]
    if len(named) != len(set(named)) or any(a & set(named) and b & set(named) for a, b in _OVERLAPPING):
        raise ConfigError(f"configuration key '{block.path}.slots' takes an object group twice: {named}")
    return SlotPlan(tuple(entries), block.integer("max_objects"))


def _group(objects: dict[str, ak.Array], group: str) -> ak.Array:
    if group == "lepton":
        return ordered_concatenate([objects["electron"], objects["muon"]], sort="pt")
    if group == "bjet":
        return objects["jet"][objects["jet"].btag]
    if group == "light_jet":
        return objects["jet"][~objects["jet"].btag]
    return objects[group]


def arrange(objects: dict[str, ak.Array], plan: SlotPlan) -> ak.Array:
    """The jagged list of point-cloud objects per event, in slot order, truncated."""
    parts = [
        ordered_concatenate([_group(objects, name) for name in entry.groups], entry.max_objects)
        for entry in plan.entries
    ]
    return ordered_concatenate(parts, plan.max_objects, sort="none")
