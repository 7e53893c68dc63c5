"""--level parton: jets clustered from showered partons (ISR/FSR, no hadronisation)."""

import awkward as ak
import numpy as np
import uproot
import vector

from evenet.sim.jets import cluster_jets, parton_flavour
from evenet.sim.record import GenRecord
from evenet.sim.sample import generate_sample


def _record(pdg, px, py, pz, counts):
    px, py, pz = (np.asarray(v, float) for v in (px, py, pz))
    e = np.sqrt(px**2 + py**2 + pz**2)
    n = len(pdg)
    return GenRecord(np.asarray(counts), np.asarray(pdg, np.int32), np.ones(n, np.int32), -np.ones(n, np.int32), px, py, pz, e)


def test_collinear_partons_merge_into_one_jet_carrying_their_flavour():
    # Event 0: a b quark and a gluon 0.1 apart in phi (one jet), a light quark opposite.
    # Event 1: a c quark and a gluon back to back (two jets).
    phi = 0.1
    record = _record([5, 21, 1, 4, 21], [50.0, 30 * np.cos(phi), -60.0, 40.0, -40.0], [0.0, 30 * np.sin(phi), 0.0, 0.0, 0.0],
                     [0.0, 0.0, 10.0, 5.0, -5.0], [3, 2])
    rows = np.arange(5)
    jets, jet_of_row = cluster_jets(record, rows)
    assert list(jets.event) == [0, 0, 1, 1]
    assert jet_of_row[0] == jet_of_row[1] != jet_of_row[2]
    merged = jet_of_row[0]
    assert np.isclose(jets.px[merged], 50.0 + 30 * np.cos(phi)) and np.isclose(jets.py[merged], 30 * np.sin(phi))
    flavour = parton_flavour(record, rows, jet_of_row, len(jets.event))
    assert flavour[merged] == 5 and flavour[jet_of_row[2]] == 0
    assert flavour[jet_of_row[3]] == 4 and flavour[jet_of_row[4]] == 0


def _jets_and_w_daughters(path):
    events = uproot.open(path)["Events"].arrays(
        ["Jet_pt", "Jet_eta", "Jet_phi", "Jet_mass", "Jet_hadronFlavour", "GenPart_pdgId", "GenPart_pt",
         "GenPart_eta", "GenPart_phi", "GenPart_genPartIdxMother"])
    jets = ak.zip({"pt": events.Jet_pt, "eta": events.Jet_eta, "phi": events.Jet_phi, "mass": events.Jet_mass}, with_name="Momentum4D")
    mother = events.GenPart_genPartIdxMother
    mother_pdg = ak.where(mother >= 0, events.GenPart_pdgId[ak.where(mother >= 0, mother, 0)], 0)
    w_quark = (abs(events.GenPart_pdgId) <= 5) & (abs(mother_pdg) == 24)
    quarks = ak.zip({"pt": events.GenPart_pt[w_quark], "eta": events.GenPart_eta[w_quark], "phi": events.GenPart_phi[w_quark],
                     "mass": 0 * events.GenPart_pt[w_quark]}, with_name="Momentum4D")
    return events, jets, quarks


def _w_mass_from_matched_jets(path) -> np.ndarray:
    """m_jj of the jets nearest (Delta R < 0.4) to the two quarks of the hadronic W."""
    vector.register_awkward()
    _, jets, quarks = _jets_and_w_daughters(path)
    has_two = ak.num(quarks) == 2
    jets, quarks = jets[has_two & (ak.num(jets) >= 2)], quarks[has_two & (ak.num(jets) >= 2)]
    pairs = ak.cartesian([quarks, jets], nested=True)
    dr = pairs["0"].deltaR(pairs["1"])
    nearest = ak.argmin(dr, axis=2)
    close = ak.all(ak.min(dr, axis=2) < 0.4, axis=1) & (nearest[:, 0] != nearest[:, 1])
    j = jets[close]
    chosen = nearest[close]
    w = j[ak.local_index(j) == chosen[:, 0]][:, 0] + j[ak.local_index(j) == chosen[:, 1]][:, 0]
    return ak.to_numpy(ak.drop_none(w.mass))


def test_parton_level_ttbar_radiates_and_keeps_the_w_mass(tmp_path):
    process, parton = tmp_path / "process.root", tmp_path / "parton.root"
    generate_sample("ttbar_1l", 600, 3, 0, process, level="process")
    generate_sample("ttbar_1l", 600, 3, 0, parton, level="parton")
    n_jets = {p.stem: ak.mean(uproot.open(p)["Events"]["nJet"].array()) for p in (process, parton)}
    assert n_jets["parton"] > n_jets["process"] + 0.5  # ISR/FSR jets
    flavour = uproot.open(parton)["Events"]["Jet_hadronFlavour"].array()
    assert ak.mean(ak.sum(flavour == 5, axis=1) >= 2) > 0.6  # both b quarks of the tops give b jets
    m_process, m_parton = _w_mass_from_matched_jets(process), _w_mass_from_matched_jets(parton)
    assert len(m_parton) > 200
    # The W peak survives clustering, radiation out of the cone pulls it down and broadens it.
    assert 65.0 < np.median(m_parton) < np.median(m_process) < 85.0
    spread = lambda m: np.subtract(*np.percentile(m, [75, 25]))  # noqa: E731
    assert spread(m_parton) > spread(m_process)
