"""The systematics half of the DAG, dry-run through the Snakemake API: `all` runs the demo counts of
pseudo-experiments, `systematics_study` the paper's (100 JES for H -> aa; 50 JES + 50 soft MET for
ttbar), packed into batch jobs of one group that evaluate the nominal checkpoints without retraining."""

from __future__ import annotations

import shlex

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
from test_training_dag import REPO, training_config

from evenet.cli import build_parser

MODELS = {"haa": {"scratch": "results/models/finetune_haa/last.ckpt", "full": "results/models/finetune_haa/best.ckpt"},
          "tt": {"scratch": "results/models/finetune_tt/last.ckpt", "full": "results/models/finetune_tt/best.ckpt"}}
PAPER = {"haa": {"jes": 100}, "tt": {"jes": 50, "soft_met": 50}}
DEMO = {"haa": {"jes": 3}, "tt": {"jes": 2, "soft_met": 2}}


def systematics_config() -> dict:
    config = training_config()
    config["systematics"] = {"analyses": {
        "haa": {"stream": "haa", "models": MODELS["haa"], "metrics": ["max_sic", "pairing_efficiency"],
                "experiments": DEMO["haa"], "study": PAPER["haa"]},
        "tt": {"stream": "tt", "models": MODELS["tt"], "metrics": ["pairing_efficiency"],
               "experiments": DEMO["tt"], "study": PAPER["tt"]},
    }}
    return config


def plan(workdir, targets) -> list:
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(systematics_config(), sort_keys=False))
    with SnakemakeApi(OutputSettings(quiet={Quietness.PROGRESS, Quietness.RULES}, dryrun=True)) as api:
        workflow = api.workflow(resource_settings=ResourceSettings(cores=2), config_settings=ConfigSettings(configfiles=[path]),
                                snakefile=REPO / "Snakefile", workdir=workdir)
        dag = workflow.dag(DAGSettings(targets=targets))
        dag.execute_workflow(executor="dryrun", execution_settings=ExecutionSettings(latency_wait=1))
        return list(dag.workflow_api._workflow.dag.needrun_jobs())


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> dict[str, list]:
    return {target: plan(tmp_path_factory.mktemp(target), [target]) for target in ("all", "systematics_study")}


def vary_args(job):
    words = shlex.split(job.shellcmd)
    assert words[:2] == ["evenet", "vary"] and ">" in words
    return build_parser().parse_args(words[1 : words.index(">")])


def experiments_by_source(jobs) -> dict:
    """{(analysis, source): sorted experiment indices} of the planned batch jobs."""
    out: dict = {}
    for job in jobs:
        if job.rule.name == "syst_batch":
            args = vary_args(job)
            start, stop = map(int, args.experiments.split(":"))
            out.setdefault((job.wildcards.syst_analysis, args.source), []).extend(range(start, stop))
    return {key: sorted(value) for key, value in out.items()}


def test_study_runs_the_papers_counts_in_few_batch_jobs(planned):
    jobs = planned["systematics_study"]
    counts = {(a, s): n for a, sources in PAPER.items() for s, n in sources.items()}
    assert experiments_by_source(jobs) == {key: list(range(n)) for key, n in counts.items()}
    batches = [job for job in jobs if job.rule.name == "syst_batch"]
    assert len(batches) == 4 + 2 + 2  # 25 pseudo-experiments per job
    assert {job.group for job in batches} == {"systematics"}
    assert {job.rule.name for job in jobs} >= {"syst_nominal", "syst_summary_haa_study", "syst_summary_tt_study"}


def test_all_runs_the_demo_counts(planned):
    jobs = planned["all"]
    counts = {(a, s): n for a, sources in DEMO.items() for s, n in sources.items()}
    assert experiments_by_source(jobs) == {key: list(range(n)) for key, n in counts.items()}
    assert {"syst_summary_haa_demo", "syst_summary_tt_demo"} <= {job.rule.name for job in jobs}
    assert not any(job.rule.name.endswith("_study") for job in jobs)


def test_batches_evaluate_the_nominal_checkpoints_without_retraining(planned):
    jobs = planned["systematics_study"]
    training_outputs = {str(f) for job in jobs if job.rule.name.startswith(("finetune", "pretrain")) for f in job.output}
    for job in jobs:
        if job.rule.name in ("syst_batch", "syst_nominal"):
            args = vary_args(job)
            analysis = job.wildcards.syst_analysis
            assert dict(args.model) == MODELS[analysis]
            assert set(MODELS[analysis].values()) <= training_outputs
            assert all(str(p).startswith("results/selected/") for p in args.selected)  # never the ROOT files
            assert args.seed == 14
    variations = {vary_args(job).source: vary_args(job).variation for job in jobs if job.rule.name == "syst_batch"}
    assert yaml.safe_load(variations["jes"]) == {"width": 0.01, "clip": 0.1, "draw": "experiment", "met": "propagate"}
    assert yaml.safe_load(variations["soft_met"]) == {"mu": 0.0, "sigma": 1.0, "max_gev": 5.0}
