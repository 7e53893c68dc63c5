"""Skimmed NanoAOD (only the collections an analysis keeps) through ingest -> select -> build.

The skims are written with uproot (``mktree``, NanoAOD's one counter per
collection); the expected counts are computed by hand with numpy from the same
arrays, independently of the selection code.
"""

from __future__ import annotations

import copy
import json
import logging
import subprocess
import sys
from pathlib import Path

import awkward as ak
import h5py
import numpy as np
import pytest
import uproot
import yaml

from evenet.cli import main
from evenet.io.events import EVENT_ID_ENTRY, EVENT_ID_RUN_LUMI_EVENT
from evenet.pipeline.ingest import sample_record_needs, stream_record_needs
from evenet.pointcloud import schema as S
from evenet.selection.dimuon import CHANNEL_OS, CHANNEL_SS, REGION_SB, REGION_SR

REPO = Path(__file__).resolve().parents[2]
SELECTIONS = yaml.safe_load((REPO / "config" / "selections.yaml").read_text())
MUON_MASS = 0.1056584
N_EVENTS = 600


def evenet(*args):
    return subprocess.run([sys.executable, "-m", "evenet.cli", *map(str, args)], capture_output=True, text=True)


def dimuon_block(**muon):
    """The default dimuon block with the muon definition replaced (kinematics kept)."""
    block = copy.deepcopy(SELECTIONS["dimuon"])
    block["objects"]["muon"] = {"pt_min": block["objects"]["muon"]["pt_min"],
                                "abs_eta_max": block["objects"]["muon"]["abs_eta_max"], **muon}
    return block


def muon_arrays(seed: int, n: int = N_EVENTS) -> dict[str, np.ndarray]:
    """Flat muon columns and counts: mostly two muons near the Upsilon windows, some with 1 or 3,
    some failing pt or |eta|, both charge combinations."""
    rng = np.random.default_rng(seed)
    counts = rng.choice([1, 2, 3], size=n, p=[0.1, 0.75, 0.15])
    total = counts.sum()
    cols = {
        "pt": rng.uniform(2.0, 14.0, total),
        "eta": rng.uniform(-2.6, 2.6, total),
        "phi": rng.uniform(-np.pi, np.pi, total),
        "mass": np.full(total, MUON_MASS),
        "charge": rng.choice([-1, 1], total),
        "tightId": rng.random(total) < 0.8,
        "pfRelIso04_all": rng.exponential(0.5, total),
    }
    order = np.lexsort((-cols["pt"], np.repeat(np.arange(n), counts)))  # pt-descending in each event
    return {"counts": counts, **{k: v[order] for k, v in cols.items()}}


def write_skim(path: Path, muons: dict, id_fields=(), event_ids=False, gen_weight=None) -> None:
    """NanoAOD Events tree with nMuon and Muon_pt/eta/phi/mass/charge (+ ``id_fields``), nothing else unless asked."""
    types = {"pt": np.float32, "eta": np.float32, "phi": np.float32, "mass": np.float32, "charge": np.int32,
             "tightId": np.bool_, "pfRelIso04_all": np.float32}
    fields = ("pt", "eta", "phi", "mass", "charge", *id_fields)
    n = len(muons["counts"])
    branches = {"Muon": ak.zip({f: ak.unflatten(muons[f].astype(types[f]), muons["counts"]) for f in fields})}
    if event_ids:
        branches.update(run=np.full(n, 276831, np.uint32), luminosityBlock=np.full(n, 42, np.uint32),
                        event=np.arange(1000, 1000 + n, dtype=np.uint64))
    if gen_weight is not None:
        branches["genWeight"] = np.full(n, gen_weight, np.float32)
    with uproot.recreate(path) as f:
        f.mktree("Events", branches, counter_name=lambda counted: f"n{counted}",
                 field_name=lambda outer, inner: f"{outer}_{inner}")


def expected_dimuon(muons: dict, block: dict) -> dict:
    """Hand-computed dimuon selection: index, mass, channel and region of every passing event."""
    cut = block["objects"]["muon"]
    keep = (muons["pt"].astype(np.float32) > cut["pt_min"]) & (np.abs(muons["eta"].astype(np.float32)) < cut["abs_eta_max"])
    if cut.get("id") == "tight":
        keep &= muons["tightId"]
    if "iso_min" in cut:
        keep &= muons["pfRelIso04_all"].astype(np.float32) > cut["iso_min"]
    starts = np.concatenate([[0], np.cumsum(muons["counts"])[:-1]])
    out = {"index": [], "mass": [], "channel": [], "region": []}
    windows = block["cuts"]["windows"]
    n_two = 0
    for i, (start, count) in enumerate(zip(starts, muons["counts"])):
        rows = np.arange(start, start + count)[keep[start:start + count]]
        if len(rows) != 2:
            continue
        n_two += 1
        pt, eta, phi = (muons[k][rows].astype(np.float32).astype(np.float64) for k in ("pt", "eta", "phi"))
        px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
        e = np.sqrt(px**2 + py**2 + pz**2 + np.float32(MUON_MASS).astype(np.float64) ** 2)
        mass = np.sqrt(max(e.sum() ** 2 - px.sum() ** 2 - py.sum() ** 2 - pz.sum() ** 2, 0.0))
        low, high = windows["signal_region"]
        if low <= mass < high:
            region = REGION_SR
        elif any(lo <= mass < hi for lo, hi in windows["sidebands"]):
            region = REGION_SB
        else:
            continue
        out["index"].append(i)
        out["mass"].append(mass)
        out["channel"].append(CHANNEL_SS if muons["charge"][rows].prod() > 0 else CHANNEL_OS)
        out["region"].append(region)
    return {"n_two": n_two, **{k: np.array(v) for k, v in out.items()}}


def run_chain(tmp_path: Path, skim: Path, block: dict, extra_select=()) -> tuple[Path, list]:
    """ingest (with the needs the workflow would pass) -> select -> build, in process; returns the HDF5 and cutflow."""
    needs = stream_record_needs("dimuon", block, {})
    ingested, selected, h5, cutflow = (str(tmp_path / n) for n in ("ev.parquet", "sel.parquet", "pc.h5", "cutflow.json"))
    assert main(["ingest", str(skim), "--format", "nanoaod", "--needs", needs.to_json(), "--no-progress", "-o", ingested]) == 0
    assert main(["select", ingested, "--selection", "dimuon", "--selection-params", json.dumps(block), "--sample", "skim",
                 "--lumi-pb", "1000", "-o", selected, "--cutflow", cutflow, *extra_select]) == 0
    assert main(["build", selected, "--stream", "dimuon", "--sample", "skim", "--classes", "data", "-o", h5]) == 0
    return Path(h5), json.loads(Path(cutflow).read_text())["cutflow"]


def check_against_hand(h5: Path, cutflow: list, expected: dict) -> None:
    n = len(expected["index"])
    assert n > 20  # enough events for the channels, regions and split to mean something
    with h5py.File(h5) as f:
        assert f.attrs["n_events"] == n and f.attrs["is_data"]
        assert np.array_equal(f[f"{S.META}/channel"][:], expected["channel"])
        assert np.array_equal(f[f"{S.META}/region"][:], expected["region"])
        np.testing.assert_allclose(f[f"{S.META}/dimuon_mass"][:], expected["mass"], rtol=1e-5)
        assert np.all(f[S.WEIGHT][:] == 1.0)
        mask = f[f"{S.SOURCE}/mask"][:]
        assert np.all(mask.sum(axis=1) == 2)
        assert np.all(f[f"{S.GLOBALS}/data"][:, 0] == 0.0)  # no MET in the skim: read as 0
    counts = {row["cut"]: row["events"] for row in cutflow}
    assert counts["all"] == N_EVENTS and counts["n_muons"] == expected["n_two"] and counts["mass_window"] == n


def test_muon_only_skim_without_event_ids_or_weight(tmp_path, caplog):
    """Acceptance: nMuon + Muon_pt/eta/phi/mass/charge only: data, split on the entry index."""
    muons = muon_arrays(seed=1)
    skim = tmp_path / "skim.root"
    write_skim(skim, muons)
    block = dimuon_block()  # no id or isolation: the skim has neither
    expected = expected_dimuon(muons, block)
    with caplog.at_level(logging.INFO, logger="evenet.io.reader"):
        h5, cutflow = run_chain(tmp_path, skim, block)
    reader_lines = [r.getMessage() for r in caplog.records if r.name == "evenet.io.reader"]
    check_against_hand(h5, cutflow, expected)
    by_hand = {(c, r): int(np.sum((expected["channel"] == c) & (expected["region"] == r)))
               for c in (CHANNEL_OS, CHANNEL_SS) for r in (REGION_SB, REGION_SR)}
    assert all(count > 0 for count in by_hand.values()), by_hand
    with h5py.File(h5) as f:
        channel, region = f[f"{S.META}/channel"][:], f[f"{S.META}/region"][:]
        assert {key: int(np.sum((channel == key[0]) & (region == key[1]))) for key in by_hand} == by_hand
        assert f[S.META].attrs["event_id"] == EVENT_ID_ENTRY
        assert np.array_equal(f[f"{S.META}/event"][:], expected["index"])  # the entry index in the file
        split = f[f"{S.META}/split"][:]
        assert set(np.unique(split)) == {0, 1, 2}
    # one log line for each thing the skim lacks
    for text in ("no MET branches", "identified by their entry index", "read as collision data"):
        assert sum(text in line for line in reader_lines) == 1, reader_lines
    # the same skim again gives the same split: it depends on the entry index only
    h5_again, _ = run_chain(tmp_path / "again", write_again(tmp_path, muons), block)
    with h5py.File(h5) as f, h5py.File(h5_again) as g:
        assert np.array_equal(f[f"{S.META}/split"][:], g[f"{S.META}/split"][:])


def write_again(tmp_path: Path, muons: dict) -> Path:
    (tmp_path / "again").mkdir()
    path = tmp_path / "again" / "skim.root"
    write_skim(path, muons)
    return path


def test_skim_with_ids_and_event_numbers_anti_isolated(tmp_path):
    """Muons with tightId and pfRelIso04_all, run/lumi/event: the anti-isolated tight selection."""
    muons = muon_arrays(seed=2, n=N_EVENTS)
    skim = tmp_path / "skim.root"
    write_skim(skim, muons, id_fields=("tightId", "pfRelIso04_all"), event_ids=True)
    block = dimuon_block(id="tight", iso_min=0.3)
    expected = expected_dimuon(muons, block)
    h5, cutflow = run_chain(tmp_path, skim, block)
    check_against_hand(h5, cutflow, expected)
    with h5py.File(h5) as f:
        assert f[S.META].attrs["event_id"] == EVENT_ID_RUN_LUMI_EVENT
        assert np.array_equal(f[f"{S.META}/event"][:], 1000 + expected["index"])
        assert np.all(f[f"{S.META}/run"][:] == 276831)


def test_skim_without_the_id_a_selection_needs_names_the_branch(tmp_path):
    skim = tmp_path / "skim.root"
    write_skim(skim, muon_arrays(seed=3))
    out = tmp_path / "out"
    out.mkdir()
    needs = stream_record_needs("dimuon", dimuon_block(id="tight"), {})
    result = evenet("ingest", skim, "--format", "nanoaod", "--needs", needs.to_json(), "-o", out / "ev.parquet")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith("skim.root: missing branch 'Muon_tightId'")
    assert list(out.iterdir()) == []


def test_skim_missing_a_required_collection_names_its_branch(tmp_path):
    skim = tmp_path / "skim.root"
    write_skim(skim, muon_arrays(seed=4))
    needs = stream_record_needs("pretrain", SELECTIONS["pretrain"], {})
    result = evenet("ingest", skim, "--format", "nanoaod", "--needs", needs.to_json(), "-o", tmp_path / "ev.parquet")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith("missing branch 'Electron_pt' (collection Electron)")


def test_cross_section_on_collision_data_is_a_config_error(tmp_path):
    skim = tmp_path / "skim.root"
    write_skim(skim, muon_arrays(seed=5))
    ingested = tmp_path / "ev.parquet"
    needs = stream_record_needs("dimuon", dimuon_block(), {})
    assert main(["ingest", str(skim), "--format", "nanoaod", "--needs", needs.to_json(), "--no-progress", "-o", str(ingested)]) == 0
    out = tmp_path / "out"
    out.mkdir()
    result = evenet("select", ingested, "--selection", "dimuon", "--selection-params", json.dumps(dimuon_block()),
                    "--sample", "skim", "--xsec-pb", "12.5", "--lumi-pb", "1000", "-o", out / "s.parquet",
                    "--cutflow", out / "c.json")
    assert result.returncode == 2
    assert "error: samples.skim.xsec_pb: the sample is collision data" in result.stderr.strip().splitlines()[-1]
    assert list(out.iterdir()) == []


def test_simulated_skim_with_generator_weight_is_normalised(tmp_path):
    """genWeight present (no Runs tree): simulation, weight = xsec x lumi / sum(genWeight) x genWeight."""
    muons = muon_arrays(seed=6)
    skim = tmp_path / "skim.root"
    write_skim(skim, muons, gen_weight=0.5)
    block = dimuon_block()
    h5, _ = run_chain(tmp_path, skim, block, extra_select=("--xsec-pb", "20"))
    with h5py.File(h5) as f:
        assert not f.attrs["is_data"]
        np.testing.assert_allclose(f[S.WEIGHT][:], 20.0 * 1000.0 * 0.5 / (0.5 * N_EVENTS), rtol=1e-6)


def test_ingest_reads_only_what_the_streams_of_a_sample_need():
    config = {
        "samples": {"mu": {}, "tt": {}},
        "streams": {
            "dimuon": {"selection": "dimuon", "classes": {"data": ["mu"]}},
            "pretrain": {"selection": "pretrain", "classes": {"tt": ["tt", "mu"]}, "truth": {"max_invisible": 2}},
        },
    }
    selections = {"dimuon": dimuon_block(id="soft"), "pretrain": SELECTIONS["pretrain"]}
    only_dimuon = sample_record_needs({**config, "streams": {"dimuon": config["streams"]["dimuon"]}}, selections, "mu")
    assert only_dimuon.required == {"Muon", "Muon.softId"} and only_dimuon.optional == {"MET"}
    both = sample_record_needs(config, selections, "mu")
    assert both.required == {"Electron", "Muon", "Muon.softId", "Jet", "MET"}
    assert both.optional == {"Tau", "Photon", "GenPart"}


@pytest.mark.parametrize("muon, trigger, n_fired", [
    ({"id": "tight"}, "HLT_Mu17_TrkIsoVVL_Mu8_TrkIsoVVL_DZ_Mass3p8", 16),
    ({"id": "soft", "sip3d_max": 4.0}, "HLT_IsoMu24", 4),
])
def test_real_collision_file_through_the_dimuon_needs(nanoaod, tmp_path, muon, trigger, n_fired):
    """The real 2018 file (full branch set) read with only what the dimuon selection needs, trigger included."""
    source = nanoaod / "nano_dimuon.root"
    block = dimuon_block(**muon)
    block["cuts"]["triggers"] = [trigger]
    h5, cutflow = run_chain(tmp_path, source, block)
    raw = uproot.open(source)["Events"].arrays(library="ak")
    fired = ak.to_numpy(raw[trigger])
    assert fired.sum() == n_fired
    good = (raw.Muon_pt > 3.0) & (abs(raw.Muon_eta) < 2.4) & raw[f"Muon_{muon['id']}Id"]
    if "sip3d_max" in muon:
        good = good & (raw.Muon_sip3d < muon["sip3d_max"])
    two = fired & (ak.to_numpy(ak.sum(good, axis=1)) == 2)
    counts = {row["cut"]: row["events"] for row in cutflow}
    assert counts["trigger"] == n_fired and counts["n_muons"] == int(two.sum())
    with h5py.File(h5) as f:
        assert f[S.META].attrs["event_id"] == EVENT_ID_RUN_LUMI_EVENT
        assert set(f[f"{S.META}/event"][:]) <= set(ak.to_numpy(raw.event)[two])


def test_select_names_what_the_ingested_events_lack(tmp_path, capsys):
    """Ingested for a selection without muon id, then selected with one: one line naming the record key."""
    skim = tmp_path / "skim.root"
    write_skim(skim, muon_arrays(seed=7), id_fields=("tightId",))
    ingested = tmp_path / "ev.parquet"
    needs = stream_record_needs("dimuon", dimuon_block(), {})
    assert main(["ingest", str(skim), "--format", "nanoaod", "--needs", needs.to_json(), "--no-progress", "-o", str(ingested)]) == 0
    out = tmp_path / "out"
    out.mkdir()
    code = main(["select", str(ingested), "--selection", "dimuon", "--selection-params", json.dumps(dimuon_block(id="soft")),
                 "--lumi-pb", "1000", "-o", str(out / "s.parquet"), "--cutflow", str(out / "c.json")])
    assert code == 2 and list(out.iterdir()) == []
    assert "ev.parquet: ingested without Muon.softId, which the selection needs" in capsys.readouterr().err
