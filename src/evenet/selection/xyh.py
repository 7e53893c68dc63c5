"""``xyh``: the X -> YH one-lepton preselection (EveNet paper, X->YH search).

Cuts, in cutflow order: exactly ``n_leptons`` (1) electron or muon; at most
``max_taus`` (0) hadronic taus; >= ``min_bjets`` (2) b-jets; >= ``min_light_jets``
(2) light (non-b-tagged) jets; dR(lepton, nearest light jet) <
``lepton_light_jet_dr_max`` (1.6); topness > ``topness_min`` (3). Topness is
the minimum semileptonic-ttbar chi2 (:mod:`evenet.physics.topness`) or its
log, as ``topness_variable`` says; it is computed only for events reaching
that cut, and stored per passing event in the ``topness`` field.
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak
import numpy as np

from evenet.physics.kinematics import min_delta_r
from evenet.physics.topness import TopnessConstants, topness, topness_chi2
from evenet.selection.common import CommonParameters, cleaned_candidates
from evenet.selection.cutflow import Cutflow
from evenet.selection.objects import leptons
from evenet.selection.parameters import Block
from evenet.selection.result import Selection, event_weights, passing_events

TOPNESS_VARIABLES = ("chi2", "log_chi2")


@dataclass(frozen=True)
class XyhParameters:
    common: CommonParameters
    n_leptons: int
    max_taus: int
    min_bjets: int
    min_light_jets: int
    lepton_light_jet_dr_max: float
    topness_min: float
    topness_variable: str
    topness: TopnessConstants

    @classmethod
    def from_block(cls, block: Block) -> XyhParameters:
        cuts = block.block("cuts")
        constants = cuts.block("topness")
        return cls(
            common=CommonParameters.from_block(block),
            n_leptons=cuts.integer("n_leptons"),
            max_taus=cuts.integer("max_taus"),
            min_bjets=cuts.integer("min_bjets"),
            min_light_jets=cuts.integer("min_light_jets"),
            lepton_light_jet_dr_max=cuts.number("lepton_light_jet_dr_max"),
            topness_min=cuts.number("topness_min"),
            topness_variable=cuts.string("topness_variable", TOPNESS_VARIABLES),
            topness=TopnessConstants(
                w_mass=constants.number("w_mass"),
                top_mass=constants.number("top_mass"),
                sigma_w=constants.number("sigma_w"),
                sigma_top_had=constants.number("sigma_top_had"),
                sigma_top_lep=constants.number("sigma_top_lep"),
            ),
        )


def select_xyh(events: ak.Array, params: XyhParameters) -> Selection:
    objects = cleaned_candidates(events, params.common)
    leps = leptons(objects)
    jets = objects["jet"]
    bjets, light = jets[jets.btag], jets[~jets.btag]

    cutflow = Cutflow(event_weights(events))
    cutflow.apply("n_leptons", ak.num(leps, axis=1) == params.n_leptons)
    cutflow.apply("max_taus", ak.num(objects["tau"], axis=1) <= params.max_taus)
    cutflow.apply("min_bjets", ak.num(bjets, axis=1) >= params.min_bjets)
    reached = cutflow.apply("min_light_jets", ak.num(light, axis=1) >= params.min_light_jets)
    lepton = ak.firsts(leps, axis=1)
    nearest = ak.min(min_delta_r(light, leps), axis=1)
    reached = cutflow.apply("lepton_light_jet_dr", nearest < params.lepton_light_jet_dr_max)

    # topness only where it is needed (it enumerates jet assignments)
    value = np.full(len(events), np.nan)
    chi2 = topness_chi2(lepton[reached], events.MET[reached], light[reached], bjets[reached], params.topness)
    value[reached] = topness(chi2, params.topness_variable)
    passing = cutflow.apply("topness", np.nan_to_num(value, nan=-np.inf) > params.topness_min)

    outputs = {"topness": value}
    return Selection("xyh", passing_events(events, passing, objects, params.common.slots, outputs), cutflow.to_list())
