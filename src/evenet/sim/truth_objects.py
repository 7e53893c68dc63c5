"""Truth candidates for the detector from a process- or parton-level record.

At process level there is no shower: the final-state quarks and gluons of the
record *are* the jets (hadronFlavour 5 for b, 4 for c, 0 otherwise). At parton
level (after ISR/FSR) the final quarks and gluons are clustered into anti-kT
R = 0.4 jets, flavoured by the b (c) quarks among their partons. In both,
final-state leptons and photons are the lepton/photon candidates;
neutrinos are invisible. Taus do not decay at process level, so each is decayed
here with a simple model: hadronic with probability 0.648 (PDG), the visible
part carrying a fraction z ~ U(0.2, 1) of the tau momentum (a Tau candidate);
otherwise tau -> e or mu (half each) carrying z ~ Beta(2, 2). The remainder
of the tau momentum is invisible.
"""

from __future__ import annotations

import numpy as np

from evenet.sim.detector import Candidates
from evenet.sim.jets import cluster_jets, parton_flavour
from evenet.sim.record import GenRecord

HADRONIC_TAU_BR = 0.648
TAU_VISIBLE_MASS = 0.8  # GeV, typical visible mass of hadronic tau decays (pi, rho, a1 mix)


def _cands(record: GenRecord, rows: np.ndarray, event: np.ndarray, **extra) -> Candidates:
    return Candidates(event[rows], record.px[rows], record.py[rows], record.pz[rows], record.mass[rows], extra)


def _charge_of_lepton(pdg: np.ndarray) -> np.ndarray:
    return (-np.sign(pdg)).astype(np.int32)


def _jets(record: GenRecord, partons: np.ndarray, cluster: bool) -> Candidates:
    if cluster:
        jets, jet_of_row = cluster_jets(record, partons)
        jets.extra["hadronFlavour"] = parton_flavour(record, partons, jet_of_row, len(jets.event))
        return jets
    a = np.abs(record.pdg[partons])
    flavour = np.where(a == 5, 5, np.where(a == 4, 4, 0)).astype(np.int32)
    return _cands(record, partons, record.event_of_row, hadronFlavour=flavour)


def process_level_candidates(record: GenRecord, rng: np.random.Generator,
                             cluster_partons: bool = False) -> tuple[dict[str, Candidates], Candidates]:
    """(truth candidates by collection name, invisible momenta); ``cluster_partons`` for a parton-level record."""
    event = record.event_of_row
    final = record.status > 0
    a = np.abs(record.pdg)
    partons = np.flatnonzero(final & ((a <= 5) | (a == 21)))
    electrons = np.flatnonzero(final & (a == 11))
    muons = np.flatnonzero(final & (a == 13))
    photons = np.flatnonzero(final & (a == 22))
    neutrinos = np.flatnonzero(final & ((a == 12) | (a == 14) | (a == 16)))
    taus = np.flatnonzero(final & (a == 15))

    n_tau = len(taus)
    hadronic = rng.random(n_tau) < HADRONIC_TAU_BR
    z = np.where(hadronic, rng.uniform(0.2, 1.0, n_tau), rng.beta(2.0, 2.0, n_tau))
    to_muon = rng.random(n_tau) < 0.5
    tau_p = np.stack([record.px[taus], record.py[taus], record.pz[taus]])
    visible = tau_p * z
    tau_event = event[taus]
    tau_charge = _charge_of_lepton(record.pdg[taus])

    def tau_part(mask: np.ndarray, mass: float, **extra) -> Candidates:
        return Candidates(tau_event[mask], visible[0][mask], visible[1][mask], visible[2][mask],
                          np.full(mask.sum(), mass), {k: v[mask] for k, v in extra.items()})

    lepton_pdg = lambda flavour: (np.sign(record.pdg[taus]) * flavour).astype(np.int32)
    truth = {
        "Jet": _jets(record, partons, cluster_partons),
        "Electron": _merge(
            _cands(record, electrons, event, charge=_charge_of_lepton(record.pdg[electrons]), pdgId=record.pdg[electrons]),
            tau_part(~hadronic & ~to_muon, 0.000511, charge=tau_charge, pdgId=lepton_pdg(11))),
        "Muon": _merge(
            _cands(record, muons, event, charge=_charge_of_lepton(record.pdg[muons]), prompt=np.ones(len(muons), bool)),
            tau_part(~hadronic & to_muon, 0.10566, charge=tau_charge, prompt=np.ones(n_tau, bool))),
        "Tau": _merge(tau_part(hadronic, TAU_VISIBLE_MASS, charge=tau_charge)),
        "Photon": _merge(_cands(record, photons, event)),
    }
    invisible = Candidates(
        np.concatenate([event[neutrinos], tau_event]),
        np.concatenate([record.px[neutrinos], tau_p[0] - visible[0]]),
        np.concatenate([record.py[neutrinos], tau_p[1] - visible[1]]),
        np.concatenate([record.pz[neutrinos], tau_p[2] - visible[2]]),
        np.zeros(len(neutrinos) + n_tau), {})
    return truth, invisible


def _merge(*parts: Candidates) -> Candidates:
    """Concatenate candidate sets with the same extra fields."""
    keys = parts[0].extra.keys()
    return Candidates(
        np.concatenate([p.event for p in parts]).astype(np.int64),
        np.concatenate([p.px for p in parts]), np.concatenate([p.py for p in parts]),
        np.concatenate([p.pz for p in parts]), np.concatenate([p.mass for p in parts]),
        {k: np.concatenate([p.extra[k] for p in parts]) for k in keys})
