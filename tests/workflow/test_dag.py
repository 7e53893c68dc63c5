"""The Snakemake DAG, built and run through the Snakemake Python API on a tiny config."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import pytest
import yaml
from snakemake.api import SnakemakeApi
from snakemake.settings.types import (
    ConfigSettings,
    DAGSettings,
    ExecutionSettings,
    OutputSettings,
    Quietness,
    ResourceSettings,
)

REPO = Path(__file__).resolve().parents[2]


TINY = {
    "luminosity_pb": 1000.0,
    "step_size": 150,
    "selections": str(REPO / "config" / "selections.yaml"),
    "detector": str(REPO / "config" / "detector.yaml"),
    "split": {"fractions": {"train": 0.6, "val": 0.2, "test": 0.2}, "seed": 3},
    "samples": {
        "tt": {"format": "nanoaod", "xsec_pb": 366.0, "generate": {"process": "ttbar_1l", "events": 200, "parts": 2, "seed": 5}},
        "zj": {"format": "delphes", "xsec_pb": 670.0, "generate": {"process": "zjets", "events": 200, "seed": 6}},
    },
    "streams": {
        "pre": {
            "selection": "pretrain",
            "classes": {"ttbar": ["tt"], "Zjets": ["zj"]},
            "truth": {"max_invisible": 2},
        },
    },
}


def run_dag(workdir: Path, config: dict, dryrun: bool = False) -> set[str]:
    """Run (or dry-run) ``all``; return the names of the rules that had jobs to do."""
    cfg = workdir / "config.yaml"
    cfg.write_text(yaml.safe_dump(config, sort_keys=False))
    with SnakemakeApi(OutputSettings(quiet={Quietness.PROGRESS, Quietness.RULES}, dryrun=dryrun)) as api:
        workflow = api.workflow(
            resource_settings=ResourceSettings(cores=2),
            config_settings=ConfigSettings(configfiles=[cfg]),
            snakefile=REPO / "Snakefile",
            workdir=workdir,
        )
        dag = workflow.dag(DAGSettings(targets=["all"]))
        dag.execute_workflow(executor="dryrun" if dryrun else "local", execution_settings=ExecutionSettings(latency_wait=1))
        planned = {job.rule.name for job in dag.workflow_api._workflow.dag.needrun_jobs()} if dryrun else set()
    return planned


@pytest.mark.slow
def test_tiny_dag_builds_every_stream(tmp_path):
    run_dag(tmp_path, TINY)
    out = tmp_path / "results" / "pointcloud" / "pre"
    total = 0
    for sample, label in (("tt", 0), ("zj", 1)):
        with h5py.File(out / f"{sample}.h5") as f:
            cutflow = json.loads((tmp_path / "results" / "cutflow" / "pre" / f"{sample}.json").read_text())["cutflow"]
            assert f.attrs["n_events"] == cutflow[-1]["events"] > 0
            assert set(f["CLASSIFICATIONS/EVENT/process"][:]) == {label}
            assert json.loads(f.attrs["class_names"]) == ["ttbar", "Zjets"]
            total += int((f["META/split"][:] == 0).sum())
    assert (tmp_path / "results" / "ingested" / "tt" / "1.parquet").is_file()  # one job per generated part
    norm = json.loads((out / "normalization.json").read_text())
    assert norm["n_train_events"] == total
    assert (tmp_path / "logs" / "ingest" / "zj" / "0.log").is_file()
    assert (tmp_path / "benchmarks" / "build" / "pre" / "tt.tsv").is_file()

    # Nothing changed: nothing to do. A selection threshold changed: only what depends on it reruns.
    assert run_dag(tmp_path, TINY, dryrun=True) == set()
    selections = yaml.safe_load(Path(TINY["selections"]).read_text())
    selections["pretrain"]["objects"]["jet"]["pt_min"] = 25.0
    edited = tmp_path / "selections.yaml"
    edited.write_text(yaml.safe_dump(selections, sort_keys=False))
    assert run_dag(tmp_path, {**TINY, "selections": str(edited)}, dryrun=True) == {"select", "build", "normalize", "all"}


def test_bad_config_stops_with_one_line(tmp_path, capsys):
    bad = json.loads(json.dumps(TINY))
    bad["samples"]["tt"]["xsec_pb"] = -1.0
    with pytest.raises(SystemExit) as exc:
        run_dag(tmp_path, bad, dryrun=True)
    assert "samples.tt.xsec_pb" in str(exc.value) and "\n" not in str(exc.value)
    assert not (tmp_path / "results").exists()
