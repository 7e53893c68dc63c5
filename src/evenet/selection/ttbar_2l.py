"""``ttbar_2l``: dileptonic ttbar for the spin-correlation (entanglement) study.

Objects are defined loosely (config: leptons pT > 10, jets pT > 20) so that the
point cloud keeps extra leptons and jets; the event cuts use tighter
thresholds. Cuts, in cutflow order: exactly ``n_leptons`` (2) electrons/muons
with pT > ``lepton_pt_min`` (25) and |eta| < ``lepton_abs_eta_max`` (2.5);
those two have opposite charge; >= ``min_bjets`` (2) b-jets with pT >
``bjet_pt_min`` (25) and |eta| < ``bjet_abs_eta_max`` (2.5).
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak

from evenet.selection.common import CommonParameters, cleaned_candidates
from evenet.selection.cutflow import Cutflow
from evenet.selection.objects import leptons
from evenet.selection.parameters import Block
from evenet.selection.result import Selection, event_weights, passing_events


@dataclass(frozen=True)
class Ttbar2lParameters:
    common: CommonParameters
    n_leptons: int
    lepton_pt_min: float
    lepton_abs_eta_max: float
    bjet_pt_min: float
    bjet_abs_eta_max: float
    min_bjets: int

    @classmethod
    def from_block(cls, block: Block) -> Ttbar2lParameters:
        cuts = block.block("cuts")
        return cls(
            common=CommonParameters.from_block(block),
            n_leptons=cuts.integer("n_leptons"),
            lepton_pt_min=cuts.number("lepton_pt_min"),
            lepton_abs_eta_max=cuts.number("lepton_abs_eta_max"),
            bjet_pt_min=cuts.number("bjet_pt_min"),
            bjet_abs_eta_max=cuts.number("bjet_abs_eta_max"),
            min_bjets=cuts.integer("min_bjets"),
        )


def select_ttbar_2l(events: ak.Array, params: Ttbar2lParameters) -> Selection:
    objects = cleaned_candidates(events, params.common)
    leps = leptons(objects)
    tight = leps[(leps.pt > params.lepton_pt_min) & (abs(leps.eta) < params.lepton_abs_eta_max)]
    jets = objects["jet"]
    bjets = jets[jets.btag & (jets.pt > params.bjet_pt_min) & (abs(jets.eta) < params.bjet_abs_eta_max)]

    cutflow = Cutflow(event_weights(events))
    cutflow.apply("n_leptons", ak.num(tight, axis=1) == params.n_leptons)
    charge_product = ak.prod(ak.pad_none(tight.charge, 2, axis=1)[:, :2], axis=1)
    cutflow.apply("opposite_charge", charge_product < 0)
    passing = cutflow.apply("min_bjets", ak.num(bjets, axis=1) >= params.min_bjets)
    return Selection("ttbar_2l", passing_events(events, passing, objects, params.common.slots, {}), cutflow.to_list())
