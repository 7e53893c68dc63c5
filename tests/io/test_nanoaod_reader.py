"""The NanoAOD reader on the real CMS files of ../shared/data."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
import uproot

from evenet.errors import InputFileError
from evenet.io.reader import iterate_events, plan_file, sum_generator_weights


def test_simulation_record_matches_branches(nanoaod):
    path = nanoaod / "nano_tt_v12.root"
    events = ak.concatenate(list(iterate_events(path, "nanoaod", step_size=64)))
    raw = uproot.open(path)["Events"].arrays(["Jet_pt", "Jet_btagDeepFlavB", "GenPart_genPartIdxMother", "MET_pt", "event"])
    assert len(events) == 200
    assert ak.all(events.Jet.pt == raw.Jet_pt)
    assert ak.all(events.Jet.btag == raw.Jet_btagDeepFlavB)
    assert ak.all(events.GenPart.motherIdx == raw.GenPart_genPartIdxMother)
    assert np.all(ak.to_numpy(events.MET.pt) == ak.to_numpy(raw.MET_pt))
    assert np.all(ak.to_numpy(events.event) == ak.to_numpy(raw.event))
    # This skim has no Tau/Photon collections: they read as empty, not as an error.
    assert ak.sum(ak.num(events.Tau)) == 0 and ak.sum(ak.num(events.Photon)) == 0


def test_chunking_does_not_change_content(nanoaod):
    path = nanoaod / "nano_tt_v12.root"
    small = ak.concatenate(list(iterate_events(path, "nanoaod", step_size=7)))
    whole = ak.concatenate(list(iterate_events(path, "nanoaod", step_size=1000)))
    assert ak.all(ak.flatten(small.Jet.pt) == ak.flatten(whole.Jet.pt))
    assert len(list(iterate_events(path, "nanoaod", step_size=64))) == 4


def test_collision_data_has_no_truth(nanoaod):
    path = nanoaod / "nano_dimuon.root"
    plan = plan_file(path, "nanoaod")
    assert not plan.has_truth and not plan.has_generator_weight
    events = next(iterate_events(path, "nanoaod"))
    assert "GenPart" not in events.fields
    assert np.all(ak.to_numpy(events.genWeight) == 1.0)
    assert {"pfRelIso04_all", "ip3d", "dxy", "dz", "tightId"} <= set(events.Muon.fields)
    assert sum_generator_weights(path, "nanoaod") == (40.0, 40)


def test_runs_tree_gives_pre_skim_totals(nanoaod):
    path = nanoaod / "nano_dy.root"
    runs = uproot.open(path)["Runs"].arrays(["genEventSumw_", "genEventCount_"], library="np")
    assert sum_generator_weights(path, "nanoaod") == (pytest.approx(runs["genEventSumw_"].sum()), runs["genEventCount_"].sum())


def test_empty_file_gives_one_empty_chunk(nanoaod):
    chunks = list(iterate_events(nanoaod / "nano_dy_empty.root", "nanoaod"))
    assert len(chunks) == 1 and len(chunks[0]) == 0
    assert {"Jet", "Muon", "MET", "event"} <= set(chunks[0].fields)


def test_unreadable_file_names_it(shared_data):
    bad = shared_data / "bad" / "bad_delphes.root"
    with pytest.raises(InputFileError, match="bad_delphes.root: not a readable ROOT file"):
        plan_file(bad, "delphes")


def _write_nanoaod(path, jet_pt, drop=()):
    counts = np.array([len(x) for x in jet_pt])
    jets = {f: ak.unflatten(np.asarray(np.concatenate(jet_pt) if f == "pt" else np.ones(counts.sum()), np.float32), counts)
            for f in ("pt", "eta", "phi", "mass", "btagDeepFlavB")}
    lep = {f: ak.unflatten(np.zeros(0, np.float32), np.zeros(len(counts), int)) for f in ("pt", "eta", "phi", "mass", "charge")}
    branches = {
        "run": np.ones(len(counts), np.uint32), "luminosityBlock": np.ones(len(counts), np.uint32),
        "event": np.arange(len(counts), dtype=np.uint64), "MET_pt": np.ones(len(counts), np.float32),
        "MET_phi": np.zeros(len(counts), np.float32), "Jet": ak.zip(jets), "Electron": ak.zip(lep), "Muon": ak.zip(lep),
    }
    branches = {k: v for k, v in branches.items() if k not in drop}
    with uproot.recreate(path) as f:
        tree = f.mktree("Events", {k: (v.type if isinstance(v, ak.Array) else v.dtype) for k, v in branches.items()})
        tree.extend(branches)


def test_missing_branch_names_branch_and_file(tmp_path):
    path = tmp_path / "nomet.root"
    _write_nanoaod(path, [[30.0, 20.0], [50.0]], drop=("MET_phi",))
    with pytest.raises(InputFileError, match=r"nomet.root: missing branch 'MET_phi'"):
        plan_file(path, "nanoaod")


def test_non_finite_kinematics_reported_with_count(tmp_path):
    path = tmp_path / "nan.root"
    _write_nanoaod(path, [[np.nan, 20.0], [np.inf], [np.nan]])
    with pytest.raises(InputFileError, match=r"nan.root: 3 non-finite .* 'Jet_pt'"):
        list(iterate_events(path, "nanoaod"))
