"""``haa``: the H -> aa -> 4b preselection (EveNet paper, exotic Higgs decays).

Cuts, in cutflow order: >= ``min_jets`` (4) jets with pT > ``jet_pt_min`` (30);
>= ``min_bjets`` (3) b-tagged jets with pT > ``bjet_pt_min`` (20); the
second-highest-pT b-jet has pT > ``subleading_bjet_pt_min`` (30). Jets are the
configured, overlap-cleaned jets (b-tagged or not).
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak

from evenet.selection.common import CommonParameters, cleaned_candidates
from evenet.selection.cutflow import Cutflow
from evenet.selection.parameters import Block
from evenet.selection.result import Selection, event_weights, passing_events


@dataclass(frozen=True)
class HaaParameters:
    common: CommonParameters
    jet_pt_min: float
    min_jets: int
    bjet_pt_min: float
    min_bjets: int
    subleading_bjet_pt_min: float

    @classmethod
    def from_block(cls, block: Block) -> HaaParameters:
        cuts = block.block("cuts")
        return cls(
            common=CommonParameters.from_block(block),
            jet_pt_min=cuts.number("jet_pt_min"),
            min_jets=cuts.integer("min_jets"),
            bjet_pt_min=cuts.number("bjet_pt_min"),
            min_bjets=cuts.integer("min_bjets"),
            subleading_bjet_pt_min=cuts.number("subleading_bjet_pt_min"),
        )


def select_haa(events: ak.Array, params: HaaParameters) -> Selection:
    objects = cleaned_candidates(events, params.common)
    jets = objects["jet"]
    bjets = jets[jets.btag & (jets.pt > params.bjet_pt_min)]
    bjet_pt = ak.sort(bjets.pt, axis=1, ascending=False)

    cutflow = Cutflow(event_weights(events))
    cutflow.apply("min_jets", ak.sum(jets.pt > params.jet_pt_min, axis=1) >= params.min_jets)
    cutflow.apply("min_bjets", ak.num(bjets, axis=1) >= params.min_bjets)
    subleading = ak.pad_none(bjet_pt, 2, axis=1)[:, 1]
    passing = cutflow.apply("subleading_bjet_pt", subleading > params.subleading_bjet_pt_min)
    return Selection("haa", passing_events(events, passing, objects, params.common.slots, {}), cutflow.to_list())
