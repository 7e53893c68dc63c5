"""Bad input: one line naming the file or key, a non-zero exit, nothing half-written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import awkward as ak
import numpy as np
import uproot

REPO = Path(__file__).resolve().parents[2]



def evenet(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "evenet.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def assert_clean_failure(result, out_dir, *needles):
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if "error" in line.lower() or "Traceback" in line]
    assert result.returncode == 2, result.stderr
    assert len(errors) == 1 and errors[0] == lines[-1], result.stderr  # progress/log lines may precede it
    for needle in needles:
        assert needle in errors[0]
    assert list(out_dir.iterdir()) == [], "a failed run left files behind"


def test_unreadable_root_file(shared_data, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    bad = shared_data / "bad" / "bad_delphes.root"
    result = evenet("ingest", bad, "--format", "delphes", "-o", out / "x.parquet")
    assert_clean_failure(result, out, str(bad), "not a readable ROOT file")


def test_missing_file(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    result = evenet("ingest", tmp_path / "nope.root", "--format", "nanoaod", "-o", out / "x.parquet")
    assert_clean_failure(result, out, "nope.root: no such file")


def test_nan_in_later_chunk_leaves_nothing(tmp_path):
    # The bad value sits in the second chunk: the first chunk was already being written.
    src = tmp_path / "nan.root"
    n = 50
    pt = np.full(n, 30.0, np.float32)
    pt[40] = np.nan
    jets = ak.zip({f: ak.unflatten(pt if f == "pt" else np.ones(n, np.float32), np.ones(n, int))
                   for f in ("pt", "eta", "phi", "mass", "btagDeepFlavB")})
    lep = ak.zip({f: ak.unflatten(np.zeros(0, np.float32), np.zeros(n, int)) for f in ("pt", "eta", "phi", "mass", "charge")})
    data = {"run": np.ones(n, np.uint32), "luminosityBlock": np.ones(n, np.uint32), "event": np.arange(n, dtype=np.uint64),
            "MET_pt": np.ones(n, np.float32), "MET_phi": np.zeros(n, np.float32), "Jet": jets, "Electron": lep, "Muon": lep}
    with uproot.recreate(src) as f:
        tree = f.mktree("Events", {k: (v.type if isinstance(v, ak.Array) else v.dtype) for k, v in data.items()})
        tree.extend(data)
    out = tmp_path / "out"
    out.mkdir()
    result = evenet("ingest", src, "--format", "nanoaod", "--step-size", "20", "-o", out / "x.parquet")
    assert_clean_failure(result, out, "nan.root", "1 non-finite", "Jet_pt")


def test_bad_selection_config_names_key(nanoaod, tmp_path):
    ingested = tmp_path / "ev.parquet"
    assert evenet("ingest", nanoaod / "nano_tt_v12.root", "--format", "nanoaod", "--no-progress", "-o", ingested).returncode == 0
    out = tmp_path / "out"
    out.mkdir()
    result = evenet("select", ingested, "--selection", "haa", "--selection-params", '{"btag_wp": 0.3}', "--xsec-pb", "1",
                    "--lumi-pb", "1", "-o", out / "s.parquet", "--cutflow", out / "c.json")
    assert_clean_failure(result, out, "selections.haa")
    result = evenet("select", ingested, "--selection", "pretrain", "--selection-params", "{not json", "--lumi-pb", "1",
                    "-o", out / "s.parquet", "--cutflow", out / "c.json")
    assert_clean_failure(result, out, "--selection-params")


def test_simulation_without_cross_section(nanoaod, tmp_path):
    import json

    import yaml

    ingested = tmp_path / "ev.parquet"
    assert evenet("ingest", nanoaod / "nano_tt_v12.root", "--format", "nanoaod", "--no-progress", "-o", ingested).returncode == 0
    out = tmp_path / "out"
    out.mkdir()
    params = json.dumps(yaml.safe_load((REPO / "config" / "selections.yaml").read_text())["pretrain"])
    result = evenet("select", ingested, "--selection", "pretrain", "--selection-params", params, "--lumi-pb", "1",
                    "-o", out / "s.parquet", "--cutflow", out / "c.json")
    assert_clean_failure(result, out, "xsec_pb")
