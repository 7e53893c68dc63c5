"""The entanglement analysis in the DAG of the demo config (dry-run): `all` runs the closure,
the analytic and truth baselines and Full + Scratch at one size and seed; `ttbar_study`
every size x variant x seed."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import yaml
from snakemake.api import SnakemakeApi
from snakemake.settings.types import (ConfigSettings, DAGSettings, ExecutionSettings, OutputSettings, Quietness,
                                      ResourceSettings)

REPO = Path(__file__).resolve().parents[2]


def planned_jobs(workdir: Path, target: str) -> list:
    shutil.copytree(REPO / "config", workdir / "config", dirs_exist_ok=True)
    with SnakemakeApi(OutputSettings(quiet={Quietness.PROGRESS, Quietness.RULES}, dryrun=True)) as api:
        workflow = api.workflow(
            resource_settings=ResourceSettings(cores=2),
            config_settings=ConfigSettings(configfiles=[workdir / "config" / "config.yaml"]),
            snakefile=REPO / "Snakefile",
            workdir=workdir,
        )
        dag = workflow.dag(DAGSettings(targets=[target]))
        dag.execute_workflow(executor="dryrun", execution_settings=ExecutionSettings(latency_wait=1))
        return list(dag.workflow_api._workflow.dag.needrun_jobs())


def test_all_runs_one_size_and_study_runs_the_grid(tmp_path):
    settings = yaml.safe_load((REPO / "config" / "ttbar_qe" / "ttbar_qe.yaml").read_text())
    every = planned_jobs(tmp_path / "all", "all")
    demo = [j for j in every if j.rule.name.startswith("ttbar_qe")]
    counts = Counter(j.rule.name for j in demo)
    assert counts["ttbar_qe_closure"] == 1 and counts["ttbar_qe_baseline"] == 2
    runs = {(j.wildcards["variant"], j.wildcards["size"]) for j in demo if j.rule.name == "ttbar_qe_finetune"}
    assert runs == {(v, str(settings["demo_size"])) for v in settings["demo_variants"]}
    assert counts["ttbar_qe_figures"] == 1
    # issue 14: the demo fine-tunes' Delta D under JES and soft-MET pseudo-experiments, read out by
    # analyses.ttbar_qe.systematics with the response's generated spin state
    readout = [j for j in every if j.rule.name == "syst_readout_ttbar_qe"]
    assert len(readout) == 1 and "--response-model" in readout[0].shellcmd
    sources = {j.wildcards["syst_source"] for j in every
               if j.rule.name == "syst_batch" and j.wildcards["syst_analysis"] == "ttbar_qe"}
    assert sources == {"jes", "soft_met"}
    assert sum(j.rule.name == "syst_summary_ttbar_qe_demo" for j in every) == 1

    study = [j for j in planned_jobs(tmp_path / "study", "ttbar_study") if j.rule.name == "ttbar_qe_finetune"]
    grid = {(j.wildcards["variant"], j.wildcards["size"], j.wildcards["seed"]) for j in study}
    assert grid == {(v, str(s), str(seed)) for v in settings["variants"] for s in settings["sizes"]
                    for seed in settings["seeds"]}
    assert len(grid) == 27
