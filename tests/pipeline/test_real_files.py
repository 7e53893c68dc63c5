"""ingest -> select -> build -> normalize on the real CMS NanoAOD files of ../shared/data."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import uproot
import yaml

from evenet.cli import main
from evenet.pointcloud import schema as S

REPO = Path(__file__).resolve().parents[2]

SELECTIONS = yaml.safe_load((REPO / "config" / "selections.yaml").read_text())
TTBAR_TRUTH = {
    "resonances": {
        "t_had": {"pdgId": 6, "products": {"b": ["b"], "q1": ["W", "quark"], "q2": ["W", "quark"]}},
        "t_lep": {"pdgId": 6, "products": {"b": ["b"], "l": ["W", "lepton"]}},
    },
    "max_invisible": 2,
}


def run_chain(tmp_path, source, selection, truth=None, xsec="--xsec-pb=831.8"):
    ingested, selected, h5 = tmp_path / "ev.parquet", tmp_path / "sel.parquet", tmp_path / "pc.h5"
    assert main(["ingest", str(source), "--format", "nanoaod", "--no-progress", "-o", str(ingested)]) == 0
    args = ["select", str(ingested), "--selection", selection, "--selection-params", json.dumps(SELECTIONS[selection]),
            "--lumi-pb", "1000", "--label", "1", "--truth", json.dumps(truth or {}), "-o", str(selected),
            "--cutflow", str(tmp_path / "cutflow.json")]
    assert main(args + ([xsec] if xsec else [])) == 0
    assert main(["build", str(selected), "--stream", "s", "--sample", "x", "--classes", "bkg", "sig", "-o", str(h5)]) == 0
    return h5


def _parton_truth(source):
    """Independent reference: walk GenPart per event in plain Python (hard-process b and W daughters)."""
    gp = uproot.open(source)["Events"].arrays(
        ["GenPart_pdgId", "GenPart_genPartIdxMother", "GenPart_eta", "GenPart_phi"], library="np")
    out = []
    for pdg, mom, eta, phi in zip(*(gp[k] for k in ("GenPart_pdgId", "GenPart_genPartIdxMother", "GenPart_eta", "GenPart_phi"))):
        def root(i):
            while mom[i] >= 0 and pdg[mom[i]] == pdg[i]:
                i = mom[i]
            return i

        partons = []
        for i in range(len(pdg)):
            if root(i) != i or mom[i] < 0:
                continue
            parent = root(mom[i])
            if abs(pdg[i]) == 5 and abs(pdg[parent]) == 6:
                partons.append((eta[i], phi[i]))
            if 1 <= abs(pdg[i]) <= 5 and abs(pdg[parent]) == 24:
                partons.append((eta[i], phi[i]))
        out.append(partons)
    return out


def test_ttbar_truth_path(nanoaod, tmp_path):
    source = nanoaod / "nano_tt_v12.root"
    h5 = run_chain(tmp_path, source, "pretrain", TTBAR_TRUTH)
    with h5py.File(h5) as f:
        n = f.attrs["n_events"]
        assert n == 200 and f.attrs["schema_version"] == S.SCHEMA_VERSION
        assert list(f[f"{S.SOURCE}/data"].attrs["features"]) == list(S.SOURCE_FEATURES)
        source_data, mask = f[f"{S.SOURCE}/data"][:], f[f"{S.SOURCE}/mask"][:]
        assert source_data.shape == (200, 18, 7) and np.all(source_data[~mask] == 0)
        partons = _parton_truth(source)
        for res, prods in (("t_had", ("b", "q1", "q2")), ("t_lep", ("b",))):
            for prod in prods:
                idx = f[f"{S.TARGETS}/{res}/{prod}"][:]
                assert (idx >= 0).mean() > 0.5, (res, prod)
                for event in np.flatnonzero(idx >= 0):
                    obj = source_data[event, idx[event]]
                    assert mask[event, idx[event]] and obj[5] == 0  # a real slot, and a jet
                    dr = [np.hypot(obj[2] - e, (obj[3] - p + np.pi) % (2 * np.pi) - np.pi) for e, p in partons[event]]
                    assert min(dr) < 0.4
        lep = f[f"{S.TARGETS}/t_lep/l"][:]
        assert np.all(source_data[lep >= 0, lep[lep >= 0], 5] == 1)  # matched leptons are lepton slots
        inv_mask = f[f"{S.INVISIBLE}/mask"][:]
        assert inv_mask[:, 0].all()  # every semileptonic event has its prompt neutrino
        assert np.all(np.isin(np.abs(f[f"{S.INVISIBLE}/pdgId"][:][inv_mask]), (12, 14, 16)))
        weights = f[S.WEIGHT][:]
        gen_w = uproot.open(source)["Events"]["genWeight"].array(library="np")
        assert np.allclose(weights, 831.8 * 1000 * gen_w / gen_w.sum(), rtol=1e-5)


def test_collision_data_path(nanoaod, tmp_path):
    h5 = run_chain(tmp_path, nanoaod / "nano_dimuon.root", "dimuon", TTBAR_TRUTH, xsec=None)
    with h5py.File(h5) as f:
        assert f.attrs["is_data"]
        assert S.TARGETS not in f and S.INVISIBLE not in f
        n = f.attrs["n_events"]
        assert np.all(f[S.WEIGHT][:] == 1.0)
        assert np.all(f[f"{S.META}/run"][:] == 315267)
        assert n > 0 and f[f"{S.SOURCE}/mask"][:].sum(axis=1).min() >= 2
        assert {"channel", "region", "dimuon_mass"} <= set(f[S.META].keys())
    cutflow = json.loads((tmp_path / "cutflow.json").read_text())["cutflow"]
    assert cutflow[0]["events"] == 40 and cutflow[-1]["events"] == n


def test_empty_file_gives_empty_valid_output(nanoaod, tmp_path):
    h5 = run_chain(tmp_path, nanoaod / "nano_dy_empty.root", "pretrain", TTBAR_TRUTH)
    with h5py.File(h5) as f:
        assert f.attrs["n_events"] == 0
        assert f[f"{S.SOURCE}/data"].shape == (0, 18, 7) and f[f"{S.GLOBALS}/data"].shape == (0, 10)
        assert f[f"{S.TARGETS}/t_had/b"].shape == (0,)
    norm = tmp_path / "norm.json"
    assert main(["normalize", str(h5), "-o", str(norm)]) == 0
    assert json.loads(norm.read_text())["n_train_events"] == 0


def test_normalisation_uses_training_split_only(nanoaod, tmp_path):
    h5 = run_chain(tmp_path, nanoaod / "nano_tt_v12.root", "pretrain")
    with h5py.File(h5) as f:
        split = f[f"{S.META}/split"][:]
        data, mask = f[f"{S.SOURCE}/data"][:], f[f"{S.SOURCE}/mask"][:]
    norm = tmp_path / "norm.json"
    assert main(["normalize", str(h5), "-o", str(norm)]) == 0
    stats = json.loads(norm.read_text())
    train_pt = np.log1p(data[(split == 0)[:, None] & mask][:, 1])
    all_pt = np.log1p(data[mask][:, 1])
    assert stats["n_train_events"] == int((split == 0).sum()) < len(split)
    assert stats["source"]["mean"][1] == pytest.approx(train_pt.mean(), rel=1e-6)
    assert stats["source"]["mean"][1] != pytest.approx(all_pt.mean(), rel=1e-6)
    assert stats["source"]["std"][4:] == [1.0, 1.0, 1.0]  # categorical features are not standardised
