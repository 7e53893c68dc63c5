"""What every preselection shares: object cuts, b-tag working point, overlap dR, slot plan.

Each selection block of config/selections.yaml has

    objects:      {collection: {pt_min, abs_eta_max[, muon identification: id,
                  iso_max, iso_min, dxy_max, dz_max, ip3d_max, sip3d_max]}}
    btag_wp:      Jet.btag >= btag_wp is a b-jet
    overlap_dr:   dR of the tau/jet overlap removal
    slots:        slot plan (see evenet.selection.slots)
    max_objects:  point-cloud length
    cuts:         the selection's own event cuts
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak

from evenet.io.needs import RecordNeeds
from evenet.selection.objects import COLLECTIONS, ObjectCuts, build_candidates, object_cuts_from_block
from evenet.selection.overlap import clean
from evenet.selection.parameters import Block
from evenet.selection.slots import SlotPlan, slot_plan_from_block


# A file without hadronic taus or photons (a skim) reads them as empty.
OPTIONAL_COLLECTIONS = ("Tau", "Photon")


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

    def record_needs(self, optional: tuple[str, ...] = OPTIONAL_COLLECTIONS) -> RecordNeeds:
        """The collections listed under ``objects`` (required unless named in ``optional``), the
        fields their cuts read, and MET (the point cloud's globals; required unless in ``optional``)."""
        keys = {COLLECTIONS[name][0] for name in self.objects} | {"MET"}
        fields = {f"{COLLECTIONS[name][0]}.{f}" for name, cuts in self.objects.items() for f in cuts.fields()}
        return RecordNeeds(frozenset(k for k in keys if k not in optional) | fields, frozenset(k for k in keys if k in optional))


def cleaned_candidates(events: ak.Array, common: CommonParameters) -> dict[str, ak.Array]:
    """Selected objects of every collection after overlap removal."""
    return clean(build_candidates(events, common.objects, common.btag_wp), common.overlap_dr)
