"""Branch names and types of the written NanoAOD and flat Delphes files."""

import awkward as ak
import numpy as np
import uproot

NANO_TYPES = {
    "run": "uint32", "luminosityBlock": "uint32", "event": "uint64", "genWeight": "float32",
    "nJet": "int32", "Jet_pt": "float32", "Jet_btagDeepFlavB": "float32", "Jet_hadronFlavour": "int32",
    "nElectron": "int32", "Electron_charge": "int32", "Electron_pdgId": "int32",
    "nMuon": "int32", "Muon_pfRelIso04_all": "float32", "Muon_ip3d": "float32", "Muon_dxy": "float32",
    "Muon_dz": "float32", "Muon_tightId": "bool", "nTau": "int32", "Tau_charge": "int32", "nPhoton": "int32",
    "Photon_mass": "float32", "MET_pt": "float32", "MET_phi": "float32", "nGenPart": "int32",
    "GenPart_pdgId": "int32", "GenPart_genPartIdxMother": "int32", "GenPart_status": "int32",
    "GenPart_statusFlags": "int32",
}
DELPHES_BRANCHES = [
    "Jet.PT", "Jet.Eta", "Jet.Phi", "Jet.Mass", "Jet.BTag", "Jet.TauTag", "Jet.Flavor", "Jet.Charge", "Jet_size",
    "Electron.PT", "Electron.Eta", "Electron.Phi", "Electron.Charge", "Electron_size",
    "Muon.PT", "Muon.Eta", "Muon.Phi", "Muon.Charge", "Muon_size",
    "Photon.PT", "Photon.Eta", "Photon.Phi", "Photon.E", "Photon_size",
    "MissingET.MET", "MissingET.Eta", "MissingET.Phi", "MissingET_size",
    "Particle.PID", "Particle.Status", "Particle.M1", "Particle.M2", "Particle.D1", "Particle.D2", "Particle.PT",
    "Particle.Eta", "Particle.Phi", "Particle.Mass", "Particle.E", "Particle.Px", "Particle.Py", "Particle.Pz",
    "Particle.Charge", "Particle_size", "Event.Number", "Event.Weight", "Event_size",
]


def _leaf_dtype(branch) -> str:
    interp = branch.interpretation
    dtype = interp.content.from_dtype if hasattr(interp, "content") else interp.from_dtype
    return np.dtype(dtype).newbyteorder("=").name


def test_nanoaod_branch_types(ttbar_files):
    tree = uproot.open(ttbar_files["nanoaod"])["Events"]
    for name, dtype in NANO_TYPES.items():
        assert _leaf_dtype(tree[name]) == dtype, name
    # one counter per collection, no per-branch counters
    assert not [k for k in tree.keys() if k.startswith("nJet_") or k.startswith("nGenPart_")]
    runs = uproot.open(ttbar_files["nanoaod"])["Runs"].arrays()
    assert runs.genEventCount[0] == tree.num_entries == 3000
    assert runs.genEventSumw[0] == runs.genEventSumw2[0] == 3000.0


def test_nanoaod_counters_match_collections(ttbar_files):
    arrays = uproot.open(ttbar_files["nanoaod"])["Events"].arrays(["nJet", "Jet_pt", "nGenPart", "GenPart_pdgId"])
    assert ak.all(arrays.nJet == ak.num(arrays.Jet_pt))
    assert ak.all(arrays.nGenPart == ak.num(arrays.GenPart_pdgId))
    assert ak.all(arrays.Jet_pt[:, :-1] >= arrays.Jet_pt[:, 1:])  # pt-ordered


def test_coffea_reads_nanoaod(ttbar_files):
    from coffea.nanoevents import NanoAODSchema, NanoEventsFactory

    events = NanoEventsFactory.from_root({str(ttbar_files["nanoaod"]): "Events"}, schemaclass=NanoAODSchema,
                                         mode="eager").events()
    assert len(events) == 3000
    counts = uproot.open(ttbar_files["nanoaod"])["Events"]["nJet"].array()
    assert ak.all(ak.num(events.Jet.pt) == counts)
    # GenPart mother links resolve: every top's parent is an incoming parton (gluon or quark)
    tops = events.GenPart[abs(events.GenPart.pdgId) == 6]
    assert ak.all(ak.num(tops) == 2)
    parents = abs(ak.flatten(tops.parent.pdgId))
    assert ak.all((parents == 21) | (parents <= 5))
    assert "bool" in str(ak.type(events.Muon.tightId))


def test_delphes_branch_names(ttbar_files):
    tree = uproot.open(ttbar_files["delphes"])["Delphes"]
    for name in DELPHES_BRANCHES:
        assert name in tree.keys(), name
    assert _leaf_dtype(tree["Jet.BTag"]) == "uint32"
    assert _leaf_dtype(tree["Particle.PID"]) == "int32"
    jets = tree.arrays(["Jet_size", "Jet.PT", "Jet.TauTag"])
    assert ak.all(jets["Jet_size"] == ak.num(jets["Jet.PT"]))
    assert ak.sum(jets["Jet.TauTag"]) > 0  # hadronic taus from W -> tau nu are tau-tagged jets


def test_delphes_daughter_links_invert_mother_links(ttbar_files):
    p = uproot.open(ttbar_files["delphes"])["Delphes"].arrays(["Particle.M1", "Particle.D1", "Particle.D2"], entry_stop=200)
    for m1, d1, d2 in zip(p["Particle.M1"], p["Particle.D1"], p["Particle.D2"]):
        m1, d1, d2 = (np.asarray(x) for x in (m1, d1, d2))
        for child, mother in enumerate(m1):
            if mother >= 0:
                assert d1[mother] <= child <= d2[mother]
