"""The haa rules: `all` runs the small demo block, `haa_study` every model x variant x size x seed,
with Full and Scratch at one seed trained on the same subset (dry runs of the demo config)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from snakemake.api import SnakemakeApi
from snakemake.settings.types import ConfigSettings, DAGSettings, OutputSettings, Quietness, ResourceSettings

REPO = Path(__file__).resolve().parents[2]


def planned_jobs(workdir: Path, target: str):
    (workdir / "config").symlink_to(REPO / "config")
    with SnakemakeApi(OutputSettings(quiet={Quietness.PROGRESS, Quietness.RULES}, dryrun=True)) as api:
        workflow = api.workflow(resource_settings=ResourceSettings(cores=2),
                                config_settings=ConfigSettings(configfiles=[REPO / "config" / "config.yaml"]),
                                snakefile=REPO / "Snakefile", workdir=workdir)
        dag = workflow.dag(DAGSettings(targets=[target]))
        dag.execute_workflow(executor="dryrun")
        return list(dag.workflow_api._workflow.dag.needrun_jobs())


@pytest.fixture(scope="module")
def haa():
    return yaml.safe_load((REPO / "config" / "haa" / "haa.yaml").read_text())


def _count(jobs, rule):
    return sum(job.rule.name == rule for job in jobs)


def test_all_runs_the_demo_block(tmp_path, haa):
    jobs = planned_jobs(tmp_path, "all")
    block = haa["all"]
    runs = len(block["models"]) * len(block["variants"]) * len(block["sizes"]) * len(block["seeds"])
    assert _count(jobs, "haa_finetune") == runs
    assert _count(jobs, "haa_spanet") == len(block["sizes"]) * len(block["seeds"])
    assert _count(jobs, "haa_evaluate") == runs + _count(jobs, "haa_spanet")
    assert {"haa_summary", "haa_figures", "haa_cutflow"} <= {job.rule.name for job in jobs}


def test_study_is_the_full_grid_with_paired_subsets(tmp_path, haa):
    jobs = planned_jobs(tmp_path, "haa_study")
    study = haa["study"]
    assert len(study["seeds"]) >= 5
    assert _count(jobs, "haa_finetune") == (len(study["models"]) * len(study["variants"]) * len(study["sizes"])
                                            * len(study["seeds"]))
    assert _count(jobs, "haa_spanet") == len(study["sizes"]) * len(study["seeds"])
    subsets = {}
    for job in jobs:
        if job.rule.name != "haa_finetune":
            continue
        w = job.wildcards
        fraction = re.search(r"data\.train_fraction=([0-9.]+)", job.params.overrides).group(1)
        seed = re.search(r"data\.subset_seed=(\d+)", job.params.overrides).group(1)
        assert float(fraction) == pytest.approx(float(w.haa_size) * haa["reference_fraction"])
        assert seed == w.haa_seed
        subsets.setdefault((w.haa_size, w.haa_seed), set()).add((fraction, seed))
    # every (size, seed): one subset for all models and variants (Full - Scratch is paired)
    assert all(len(found) == 1 for found in subsets.values())
