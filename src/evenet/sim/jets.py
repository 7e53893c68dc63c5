"""Anti-kT R = 0.4 jets (fastjet) from rows of a generator record."""

from __future__ import annotations

import awkward as ak
import fastjet
import numpy as np

from evenet.sim.detector import Candidates
from evenet.sim.record import GenRecord

JET_DEFINITION = fastjet.JetDefinition(fastjet.antikt_algorithm, 0.4)
JET_PT_MIN = 10.0  # GeV, before the detector response


def cluster_jets(record: GenRecord, rows: np.ndarray) -> tuple[Candidates, np.ndarray]:
    """Jets (pT > JET_PT_MIN) clustered from ``rows`` event by event, and the jet index
    (into the returned jets) of every row in ``rows``, -1 where the row is in no jet."""
    counts = np.bincount(record.event_of_row[rows], minlength=record.n_events)
    particles = ak.zip({name: ak.unflatten(getattr(record, name)[rows], counts) for name in ("px", "py", "pz")}
                       | {"E": ak.unflatten(record.e[rows], counts)}, with_name="Momentum4D")
    sequence = fastjet.ClusterSequence(particles, JET_DEFINITION)
    clustered = sequence.inclusive_jets(min_pt=JET_PT_MIN)
    n_jets = ak.to_numpy(ak.num(clustered))
    flat = {k: ak.to_numpy(ak.flatten(clustered[k])).astype(float) for k in ("px", "py", "pz", "E")}
    mass = np.sqrt(np.maximum(flat["E"] ** 2 - flat["px"] ** 2 - flat["py"] ** 2 - flat["pz"] ** 2, 0.0))
    jets = Candidates(np.repeat(np.arange(record.n_events), n_jets), flat["px"], flat["py"], flat["pz"], mass, {})
    # constituent_index counts within the event's input list: shift by the event's start in `rows`.
    constituents = sequence.constituent_index(min_pt=JET_PT_MIN)
    constituent_counts = ak.num(constituents, axis=2)
    per_jet = ak.to_numpy(ak.flatten(constituent_counts))
    per_event = ak.to_numpy(ak.sum(constituent_counts, axis=1))
    event_start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    position = ak.to_numpy(ak.flatten(constituents, axis=None)) + np.repeat(event_start, per_event)
    jet_of_row = np.full(len(rows), -1, dtype=np.int64)
    jet_of_row[position.astype(np.int64)] = np.repeat(np.arange(len(per_jet)), per_jet)
    return jets, jet_of_row


def parton_flavour(record: GenRecord, rows: np.ndarray, jet_of_row: np.ndarray, n_jets: int,
                   pt_min: float = 5.0) -> np.ndarray:
    """5 (4) for a jet holding a b (c) quark with pT > ``pt_min`` among its partons, else 0:
    the parton-level analogue of hadronFlavour (b wins over c)."""
    a, pt = np.abs(record.pdg[rows]), record.pt[rows]
    flavour = np.zeros(n_jets, dtype=np.int32)
    for quark in (4, 5):
        hit = (a == quark) & (pt > pt_min) & (jet_of_row >= 0)
        flavour[np.unique(jet_of_row[hit])] = quark
    return flavour
