"""``pretrain``: the generic pretraining corpus selection.

Generator-level acceptance is applied upstream; here the objects are defined
(config: jets, leptons, photons pT > 10 GeV, leptons |eta| < 2.5), overlaps
removed, and events with at least ``cuts.min_objects`` objects kept, with up to
``max_objects`` (18) of them in slot order.
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak

from evenet.selection.common import CommonParameters, cleaned_candidates
from evenet.selection.cutflow import Cutflow
from evenet.selection.parameters import Block
from evenet.selection.result import Selection, event_weights, passing_events


@dataclass(frozen=True)
class PretrainParameters:
    common: CommonParameters
    min_objects: int

    @classmethod
    def from_block(cls, block: Block) -> PretrainParameters:
        return cls(CommonParameters.from_block(block), block.block("cuts").integer("min_objects"))


def select_pretrain(events: ak.Array, params: PretrainParameters) -> Selection:
    objects = cleaned_candidates(events, params.common)
    n_objects = sum(ak.num(objs, axis=1) for objs in objects.values())
    cutflow = Cutflow(event_weights(events))
    passing = cutflow.apply("min_objects", n_objects >= params.min_objects)
    return Selection("pretrain", passing_events(events, passing, objects, params.common.slots, {}), cutflow.to_list())
