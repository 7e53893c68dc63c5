"""Truth candidates after parton shower and hadronisation (``--level hadron``).

Prompt final-state electrons, muons and photons (statusFlags isPrompt, i.e.
not from a hadron, muon or tau decay: evenet.genflags) are lepton/photon candidates; every other
visible final-state particle is clustered with anti-kT R = 0.4 (fastjet).
Jets get hadronFlavour 5 (4) when a b (c) hadron with pT > 5 GeV lies within
Delta R < 0.4 (b wins), else 0. Neutrinos are invisible. Hadronic taus are
not identified in this mode (their decay products end up in jets).
"""

from __future__ import annotations

import numpy as np

from evenet.codes import STATUS_FLAG_IS_PROMPT
from evenet.sim.detector import Candidates
from evenet.sim.jets import cluster_jets
from evenet.sim.record import GenRecord
from evenet.sim.truth import has_quark, status_flags

HEAVY_HADRON_PT_MIN, MATCH_DR = 5.0, 0.4


def _rows(record: GenRecord, rows: np.ndarray, **extra) -> Candidates:
    return Candidates(record.event_of_row[rows], record.px[rows], record.py[rows], record.pz[rows], record.mass[rows], extra)


def _hadron_flavour(jets: Candidates, record: GenRecord) -> np.ndarray:
    """5 / 4 / 0 by Delta R matching to b / c hadrons (last copies, pT > 5 GeV)."""
    flavour = np.zeros(len(jets.event), dtype=np.int32)
    pt = record.pt
    for quark in (4, 5):
        hadrons = np.flatnonzero(has_quark(record.pdg, quark) & (pt > HEAVY_HADRON_PT_MIN))
        h = _rows(record, hadrons)
        for event, eta, phi in zip(h.event, h.eta, h.phi):
            in_event = jets.event == event
            dr2 = (jets.eta - eta) ** 2 + (np.mod(jets.phi - phi + np.pi, 2 * np.pi) - np.pi) ** 2
            flavour[in_event & (dr2 < MATCH_DR**2)] = quark
    return flavour


def shower_candidates(record: GenRecord) -> tuple[dict[str, Candidates], Candidates]:
    flags = status_flags(record)
    final = record.status > 0
    a = np.abs(record.pdg)
    prompt = (flags >> STATUS_FLAG_IS_PROMPT) & 1 == 1
    invisible_mask = final & np.isin(a, (12, 14, 16))
    electrons = np.flatnonzero(final & (a == 11) & prompt)
    muons = np.flatnonzero(final & (a == 13) & prompt)
    photons = np.flatnonzero(final & (a == 22) & prompt & (record.pt > 10.0))
    used = np.zeros(len(a), dtype=bool)
    used[np.concatenate([electrons, muons, photons])] = True
    to_cluster = np.flatnonzero(final & ~invisible_mask & ~used)
    jets, _ = cluster_jets(record, to_cluster)
    jets.extra["hadronFlavour"] = _hadron_flavour(jets, record)
    charge = lambda rows: (-np.sign(record.pdg[rows])).astype(np.int32)
    truth = {
        "Jet": jets,
        "Electron": _rows(record, electrons, charge=charge(electrons), pdgId=record.pdg[electrons]),
        "Muon": _rows(record, muons, charge=charge(muons), prompt=np.ones(len(muons), bool)),
        "Tau": _rows(record, np.zeros(0, dtype=np.int64), charge=np.zeros(0, np.int32)),
        "Photon": _rows(record, photons),
    }
    return truth, _rows(record, np.flatnonzero(invisible_mask))
