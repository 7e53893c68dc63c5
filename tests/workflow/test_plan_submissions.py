"""tests/slurm/plan_submissions.py counts Slurm submissions as the profile packs rule jobs."""

import importlib.util
from pathlib import Path

import yaml

SCRIPT = Path(__file__).resolve().parents[1] / "slurm" / "plan_submissions.py"
spec = importlib.util.spec_from_file_location("plan_submissions", SCRIPT)
plan_submissions = importlib.util.module_from_spec(spec)
spec.loader.exec_module(plan_submissions)

DAG = """digraph snakemake_dag {
    0[label = "all", color = "0.00 0.6 0.85", style="rounded"];
    1[label = "ingest\\nsample: a", color = "0.1 0.6 0.85", style="rounded"];
    2[label = "ingest\\nsample: b", color = "0.1 0.6 0.85", style="rounded"];
    3[label = "select", color = "0.2 0.6 0.85", style="rounded"];
    4[label = "build", color = "0.3 0.6 0.85", style="rounded"];
    5[label = "select", color = "0.2 0.6 0.85", style="rounded"];
    6[label = "build", color = "0.3 0.6 0.85", style="rounded"];
    7[label = "train", color = "0.4 0.6 0.85", style="rounded"];
    8[label = "train", color = "0.4 0.6 0.85", style="rounded"];
    1 -> 3
    3 -> 4
    2 -> 5
    5 -> 6
    4 -> 7
    6 -> 8
    7 -> 0
    8 -> 0
}
"""


def _plan(tmp_path, components):
    (tmp_path / "dag.dot").write_text(DAG)
    (tmp_path / "profile.yaml").write_text(yaml.safe_dump({
        "slurm-array-jobs": "generate,ingest", "groups": {"select": "prep", "build": "prep"},
        "group-components": {"prep": components}}))
    return plan_submissions.plan(str(tmp_path / "dag.dot"), str(tmp_path / "profile.yaml"))


def test_arrays_groups_and_single_jobs_are_counted_as_submitted(tmp_path):
    one_per_job = _plan(tmp_path, components=1)
    assert one_per_job["rule_jobs"] == 8
    assert one_per_job["by_submission"] == {"array ingest": 1, "group prep": 2, "train": 2}
    assert one_per_job["slurm_submissions"] == 5
    assert _plan(tmp_path, components=8)["by_submission"]["group prep"] == 1


def test_real_data_like_dag_plans_with_every_multi_job_rule_packed(tmp_path):
    """The full DAG of a config with ROOT files for every sample plans with profiles/perlmutter
    (no rule may assume generator samples), and no rule sends its many jobs one by one."""
    import os
    import subprocess
    import sys

    repo = SCRIPT.parents[2]
    spec = importlib.util.spec_from_file_location("real_data_like_config", SCRIPT.parent / "real_data_like_config.py")
    real = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(real)
    config = real.real_data_like(tmp_path)
    env = dict(os.environ, EVENET_SLURM_ACCOUNT="m1234")
    dag = subprocess.run([sys.executable, "-m", "snakemake", "all", "--dag", "--profile", str(repo / "profiles/perlmutter"),
                          "-s", str(repo / "Snakefile"), "-d", str(tmp_path), "--configfile", str(config)],
                         capture_output=True, text=True, timeout=300, env=env, cwd=repo)
    assert dag.returncode == 0, dag.stderr[-2000:]
    (tmp_path / "dag.dot").write_text(dag.stdout)
    planned = plan_submissions.plan(str(tmp_path / "dag.dot"), str(repo / "profiles/perlmutter/config.yaml"))
    assert planned["rule_jobs"] > 300
    unpacked = {name: n for name, n in planned["by_submission"].items() if n > 1 and not name.startswith("group ")}
    assert not unpacked, f"rules submitted job by job: {unpacked}"
    assert planned["slurm_submissions"] < planned["rule_jobs"] / 10
