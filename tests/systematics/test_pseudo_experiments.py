"""Pseudo-experiments: zero-width variations reproduce the nominal point cloud exactly, every
experiment is seeded and records its nuisance value, and a batch is written whole."""

from __future__ import annotations

import json

import awkward as ak
import h5py
import numpy as np
import pytest

from evenet.io.parquet import ChunkWriter
from evenet.pipeline.build import build_pointcloud
from evenet.pointcloud.schema import SPLIT_CODES
from evenet.systematics.batch import BatchJob, run_batch
from evenet.systematics.config import JESVariation, SoftMETVariation
from evenet.systematics.pseudo_experiments import SampleInputs, write_varied_sample
from evenet.errors import InputFileError
from evenet.systematics.summary import collect, merge_readout, read_records, summary_table

from systematics_testing import haa_event, selected_chunk, selection_block

TOPOLOGY = {"resonances": {"a1": {"products": ["b1", "b2"], "symmetric": [["b1", "b2"]]},
                           "a2": {"products": ["b1", "b2"], "symmetric": [["b1", "b2"]]}},
            "identical": [["a1", "a2"]]}
ZERO = {"jes": JESVariation(0.0, 0.1, "experiment", "propagate"),
        "jes_per_event": JESVariation(0.0, 0.1, "event", "propagate"),
        "soft_met": SoftMETVariation(0.0, 1.0, 0.0)}


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> SampleInputs:
    """40 haa events (some with a jet near the 30 GeV cut), two thirds in the test split, with targets."""
    rng = np.random.default_rng(5)
    events = [haa_event(float(rng.uniform(30.05, 60.0)), met=(float(rng.uniform(0, 80)), float(rng.uniform(-3, 3))))
              for _ in range(40)]
    targets = {"a1": {"b1": [0] * 40, "b2": [3] * 40}, "a2": {"b1": [1] * 40, "b2": [-1] * 40}}
    chunk = selected_chunk(events, targets)
    split = np.where(np.arange(40) % 3 == 0, 0, SPLIT_CODES["test"]).astype(np.uint8)
    chunk = ak.with_field(chunk, split, "split")
    folder = tmp_path_factory.mktemp("sample")
    selected = folder / "haa4b.parquet"
    writer = ChunkWriter(selected, {"selection": "haa", "is_data": False, "label": 1, "sum_generator_weights": 40.0,
                                    "event_id": "run/luminosityBlock/event"})
    writer.write(chunk)
    writer.close()
    nominal = folder / "haa4b.h5"
    build_pointcloud(selected, nominal, {"sample": "haa4b", "stream": "haa", "class_names": ["QCD", "signal"]},
                     topology=TOPOLOGY)
    return SampleInputs("haa4b", selected, nominal)


def _datasets(path, rows=None) -> dict[str, np.ndarray]:
    out = {}
    with h5py.File(path, "r") as handle:
        handle.visititems(lambda name, obj: out.__setitem__(name, obj[:]) if isinstance(obj, h5py.Dataset) else None)
        split = handle["META/split"][:]
    keep = split == SPLIT_CODES["test"] if rows is None else rows
    return {k: v[keep] for k, v in out.items()}


@pytest.mark.parametrize("variation", [None, *ZERO], ids=["nominal", *ZERO])
def test_zero_width_reproduces_the_nominal_point_cloud_exactly(sample, tmp_path, variation):
    path = tmp_path / "varied.h5"
    out = write_varied_sample(sample, path, ZERO.get(variation), 11, "haa", selection_block("haa"))
    nominal = _datasets(sample.nominal)
    varied = _datasets(path, slice(None))
    assert out["events_in"] == out["events_out"] == len(nominal["META/event"]) > 20
    assert varied.keys() == nominal.keys()
    for name in nominal:
        assert varied[name].dtype == nominal[name].dtype, name
        np.testing.assert_array_equal(varied[name], nominal[name], err_msg=name)
    with h5py.File(path, "r") as v, h5py.File(sample.nominal, "r") as n:
        assert v.attrs["topology"] == n.attrs["topology"] and list(v.attrs["class_names"]) == list(n.attrs["class_names"])


def test_batch_records_seeds_and_nuisances_and_reruns_identically(sample, tmp_path):
    variation = JESVariation(0.05, 0.1, "experiment", "propagate")
    job = BatchJob([sample], "haa", selection_block("haa"), variation, seed=3, indices=[0, 1, 2])
    first = run_batch(job, tmp_path / "a")
    again = run_batch(job, tmp_path / "b")
    assert [r["nuisance"] for r in first] == [r["nuisance"] for r in again]
    deltas = [r["nuisance"]["delta"] for r in first]
    assert len(set(deltas)) == 3 and all(abs(d) <= 0.1 for d in deltas)
    assert len({r["seed"] for r in first}) == 3
    for label in ("jes_000", "jes_001", "jes_002"):
        a, b = _datasets(tmp_path / "a" / label / "pointcloud" / "haa4b.h5", slice(None)), \
            _datasets(tmp_path / "b" / label / "pointcloud" / "haa4b.h5", slice(None))
        assert all(np.array_equal(a[k], b[k]) for k in a)
    # a shift down removes the events whose softest jet drops below 30 GeV
    lowest = min(first, key=lambda r: r["nuisance"]["delta"])
    assert lowest["events"]["haa4b"]["events_out"] <= lowest["events"]["haa4b"]["events_in"]
    document = read_records(tmp_path / "a")
    assert document["source"] == "jes" and document["variation"]["width"] == 0.05
    assert not list(tmp_path.glob(".*.tmp"))


def test_failed_batch_leaves_nothing(sample, tmp_path):
    broken = SampleInputs("haa4b", sample.selected, tmp_path / "missing.h5")
    job = BatchJob([broken], "haa", selection_block("haa"), ZERO["jes"], seed=3, indices=[0])
    with pytest.raises(OSError):
        run_batch(job, tmp_path / "batch")
    assert list(tmp_path.iterdir()) == []


def test_summary_of_known_shifts():
    nominal = {"experiments": [{"metrics": {"full": {"max_sic": {"value": 2.0, "error": 0.5}}}}]}
    values = [2.0 + 0.5 * k for k in (-2, -1, 0, 1, 2)]
    batch = {"source": "jes", "experiments": [
        {"index": i, "nuisance": {"value": 0.01 * i}, "metrics": {"full": {"max_sic": {"value": v, "error": 0.5}}},
         "events": {"s": {"events_in": 10, "events_out": 10}}, "seconds": {"vary": 0.1, "evaluate": 0.2}}
        for i, v in enumerate(values)]}
    (shifts,) = collect(nominal, [batch])
    np.testing.assert_allclose(shifts.shifts["full"]["max_sic"], [-2, -1, 0, 1, 2])
    table = summary_table([shifts])["jes"]["full"]["max_sic"]
    assert table["median"] == 0.0
    assert table["width_95"] == pytest.approx(np.percentile([-2, -1, 0, 1, 2], 97.5) - np.percentile([-2, -1, 0, 1, 2], 2.5))
    (absolute,) = collect(nominal, [batch], absolute=["max_sic"])
    np.testing.assert_allclose(absolute.shifts["full"]["max_sic"], [-1, -0.5, 0, 0.5, 1])


def test_cli_bad_input_is_one_line_and_writes_nothing(sample, tmp_path, capsys):
    from evenet.cli import main

    base = ["vary", "--selected", str(sample.selected), "--nominal", str(sample.nominal), "--selection", "haa",
            "--selection-params", json.dumps(selection_block("haa")), "--seed", "1", "-o", str(tmp_path / "out")]
    for extra, message in (
        (["--source", "jes", "--variation", '{"width": 0.01}'], "--variation.jes.clip: missing"),
        (["--source", "jes", "--variation", json.dumps(vars(ZERO["jes"]) | {"source": None})], "unknown key"),
        (["--source", "nominal", "--model", f"full={tmp_path / 'none.ckpt'}"], "none.ckpt: no such file"),
    ):
        assert main(base + extra) == 2
        stderr = capsys.readouterr().err
        assert message in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert not (tmp_path / "out").exists()


def test_an_analysis_readout_is_merged_by_label(tmp_path):
    batch = {"source": "jes", "experiments": [{"label": "jes_000", "index": 0, "metrics": {"full": {"a": {"value": 1.0}}}}]}
    (tmp_path / "readout.json").write_text(json.dumps({"jes_000": {"full": {"delta_d": {"value": 0.02, "error": 0.001}}}}))
    merge_readout([batch], tmp_path / "readout.json")
    assert batch["experiments"][0]["metrics"]["full"] == {"a": {"value": 1.0}, "delta_d": {"value": 0.02, "error": 0.001}}
    (tmp_path / "other.json").write_text(json.dumps({"jes_007": {"full": {}}}))
    with pytest.raises(InputFileError, match="other.json"):
        merge_readout([batch], tmp_path / "other.json")
