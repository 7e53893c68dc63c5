"""Editing one mass point's row or override reruns that point's jobs only (Snakemake API, tiny grid)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from snakemake.api import SnakemakeApi
from snakemake.settings.types import ConfigSettings, DAGSettings, ExecutionSettings, OutputSettings, Quietness, ResourceSettings

REPO = Path(__file__).resolve().parents[2]
ROWS = {"A": "700\t400\t400\t1\t21\n", "B": "900\t150\t400\t1\t22\n"}
TARGETS = ["results/xyh/MX-700_MY-400/xgboost_s1/result.json", "results/xyh/MX-900_MY-150/xgboost_s1/result.json"]


def tiny_config(tmp_path: Path) -> dict:
    return {
        "luminosity_pb": 138000.0,
        "selections": str(REPO / "config" / "selections.yaml"),
        "detector": str(REPO / "config" / "detector.yaml"),
        "split": {"fractions": {"train": 0.6, "val": 0.2, "test": 0.2}, "seed": 3},
        "samples": {"tt": {"format": "nanoaod", "xsec_pb": 244.2, "generate": {
            "level": "parton", "process": "ttbar_1l", "events": 1500, "seed": 5, "params": {"leptons": "11 13"}}}},
        "streams": {"x": {"selection": "xyh", "classes": {"background": ["tt"]}}},
        "xyh": {"masspoints": str(tmp_path / "grid.tsv"), "points": str(tmp_path / "points"), "stream": "x",
                "signal_class": "signal", "signal": {"format": "nanoaod", "xsec_pb": 0.6667, "params": {"leptons": "11 13"}},
                "methods": ["xgboost"], "xgboost": {"num_boost_round": 20}, "binning": {"bins": 2}},
    }


def write_grid(tmp_path: Path, rows: dict) -> None:
    (tmp_path / "grid.tsv").write_text("MX\tMY\tevents\tparts\tseed\n" + "".join(rows.values()))


def run(workdir: Path, dryrun: bool) -> list[tuple[str, str]]:
    """Run (or dry-run) the targets; return (rule, point or sample) of the jobs that had to run."""
    with SnakemakeApi(OutputSettings(quiet={Quietness.PROGRESS, Quietness.RULES}, dryrun=dryrun)) as api:
        workflow = api.workflow(resource_settings=ResourceSettings(cores=2),
                                config_settings=ConfigSettings(configfiles=[workdir / "config.yaml"]),
                                snakefile=REPO / "Snakefile", workdir=workdir)
        dag = workflow.dag(DAGSettings(targets=TARGETS))
        dag.execute_workflow(executor="dryrun" if dryrun else "local", execution_settings=ExecutionSettings(latency_wait=1))
        jobs = dag.workflow_api._workflow.dag.needrun_jobs() if dryrun else []
        return sorted((job.rule.name, job.wildcards.get("point") or job.wildcards.get("sample", "")) for job in jobs)


@pytest.mark.slow
def test_editing_one_point_reruns_only_its_jobs(tmp_path):
    (tmp_path / "points").mkdir()
    write_grid(tmp_path, ROWS)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(tiny_config(tmp_path)))
    run(tmp_path, dryrun=False)
    for target in TARGETS:
        assert (tmp_path / target).is_file()
    assert run(tmp_path, dryrun=True) == []

    # an override of point A: its booster and its metrics, nothing of B
    (tmp_path / "points" / "MX-700_MY-400.yaml").write_text("xgboost: {max_depth: 2}\n")
    assert run(tmp_path, dryrun=True) == [("xyh_evaluate", "MX-700_MY-400"), ("xyh_xgboost", "MX-700_MY-400")]
    run(tmp_path, dryrun=False)

    # B's row (its sample's seed): B's sample from generation on, and B's jobs; nothing of A or the background
    write_grid(tmp_path, {**ROWS, "B": "900\t150\t400\t1\t23\n"})
    planned = run(tmp_path, dryrun=True)
    assert planned == sorted([("generate", "xyh_mx900_my150"), ("ingest", "xyh_mx900_my150"),
                              ("select", "xyh_mx900_my150"), ("build", "xyh_mx900_my150"),
                              ("xyh_features", "xyh_mx900_my150"), ("xyh_xgboost", "MX-900_MY-150"),
                              ("xyh_evaluate", "MX-900_MY-150")])
