"""What every preselection shares: object cuts, b-tag working point, overlap dR, slot plan.

Each selection block of config/selections.yaml has

    objects:      {collection: {pt_min, abs_eta_max[, tight_id, iso_max]}}
    btag_wp:      Jet.btag >= btag_wp is a b-jet
    overlap_dr:   dR of the tau/jet overlap removal
    slots:        slot plan (see evenet.selection.slots)
    max_objects:  point-cloud length
    cuts:         the selection's own event cuts
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak

from evenet.selection.objects import ObjectCuts, build_candidates, object_cuts_from_block
from evenet.selection.overlap import clean
from evenet.selection.parameters import Block
from evenet.selection.slots import SlotPlan, slot_plan_from_block


@dataclass(frozen=True)
class CommonParameters:
    objects: dict[str, ObjectCuts]
    btag_wp: float
    overlap_dr: float
    slots: SlotPlan

    @classmethod
    def from_block(cls, block: Block) -> CommonParameters:
        return cls(
            objects=object_cuts_from_block(block.block("objects")),
            btag_wp=block.number("btag_wp"),
            overlap_dr=block.number("overlap_dr"),
            slots=slot_plan_from_block(block),
        )


def cleaned_candidates(events: ak.Array, common: CommonParameters) -> dict[str, ak.Array]:
    """Selected objects of every collection after overlap removal."""
    return clean(build_candidates(events, common.objects, common.btag_wp), common.overlap_dr)
