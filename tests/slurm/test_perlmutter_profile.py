"""profiles/perlmutter against a real Slurm: a small end-to-end target of the demo (generate,
ingest, select, build, normalize of one stream) goes through sbatch as the profile groups it,
and its outputs equal those of a local run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

pytestmark = pytest.mark.slurm

REPO = Path(__file__).resolve().parents[2]
TARGET = "results/pointcloud/pre/normalization.json"
CONFIG = {
    "luminosity_pb": 1000.0,
    "step_size": 150,
    "selections": str(REPO / "config" / "selections.yaml"),
    "detector": str(REPO / "config" / "detector.yaml"),
    "split": {"fractions": {"train": 0.6, "val": 0.2, "test": 0.2}, "seed": 3},
    "samples": {
        "tt": {"format": "nanoaod", "xsec_pb": 366.0, "generate": {"process": "ttbar_1l", "events": 150, "parts": 2, "seed": 5}},
        "zj": {"format": "delphes", "xsec_pb": 670.0, "generate": {"process": "zjets", "events": 150, "seed": 6}},
    },
    "streams": {"pre": {"selection": "pretrain", "classes": {"ttbar": ["tt"], "Zjets": ["zj"]}, "truth": {"max_invisible": 2}}},
}
# generate 3 and ingest 3 (one array job each), select 2, build 2, normalize 1 (one component
# of the group `prep`, one Slurm job): 11 rule jobs, 3 Slurm jobs (7 array tasks and jobs).
RULE_JOBS, SLURM_JOBS, SLURM_TASKS = 11, 3, 7
# The test cluster has no accounting database: no account (an empty EVENET_SLURM_ACCOUNT);
# QOS and constraint as on Perlmutter (the node has the features cpu and gpu).
SITE = {"EVENET_SLURM_ACCOUNT": "", "EVENET_SLURM_QOS": "regular", "EVENET_SLURM_CPU_CONSTRAINT": "cpu"}


def _snakemake(workdir: Path, profile: str, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", TARGET, "-s", str(REPO / "Snakefile"), "-d", str(workdir),
           "--profile", str(REPO / "profiles" / profile), "--configfile", str(workdir / "config.yaml"), *args]
    env = {**os.environ, **SITE, "OMP_NUM_THREADS": "1"}
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200)


def _outputs(workdir: Path) -> dict:
    """Every dataset and attribute of the point clouds, the normalisation and the cutflows."""
    out = {}
    for h5 in sorted((workdir / "results" / "pointcloud").rglob("*.h5")):
        with h5py.File(h5) as f:
            out[f"{h5.name}:attrs"] = {k: str(v) for k, v in f.attrs.items()}
            f.visititems(lambda name, obj: out.__setitem__(f"{h5.name}:{name}", obj[()]) if isinstance(obj, h5py.Dataset) else None)
    for js in sorted((workdir / "results").rglob("*.json")):
        out[str(js.relative_to(workdir))] = json.loads(js.read_text())
    return out


def _equal(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    return a == b


@pytest.fixture(scope="module")
def local_run(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("local")
    (work / "config.yaml").write_text(yaml.safe_dump(CONFIG, sort_keys=False))
    run = _snakemake(work, "local", "--cores", "2")
    assert run.returncode == 0, run.stderr[-3000:]
    return work


def test_stream_through_sbatch_equals_local_run(tmp_path, local_run):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(CONFIG, sort_keys=False))
    run = _snakemake(tmp_path, "perlmutter", "--slurm-init-seconds-before-status-checks", "5")
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-4000:]

    # The rule jobs, and the Slurm jobs they went as: one sbatch per group job, its id in the log.
    counts = dict(re.findall(r"^(generate|ingest|select|build|normalize)\s+(\d+)$", log, re.M))
    assert sum(map(int, counts.values())) == RULE_JOBS, log[-4000:]
    # The plugin's log of each Slurm job or array task: <jobid>.log or <jobid>_<task>.log.
    slurm_logs = sorted((tmp_path / "logs" / "slurm").rglob("*.log"))
    assert len(slurm_logs) == SLURM_TASKS, slurm_logs
    job_ids = {p.stem.split("_")[0] for p in slurm_logs}
    assert len(job_ids) == SLURM_JOBS, slurm_logs
    for job_id in job_ids:
        assert re.search(rf"\b{job_id}\b", log), (job_id, log[-4000:])  # Snakemake's log names each
        # It went through Slurm with the profile's constraint (squeue keeps it for MinJobAge; this
        # cluster keeps no QOS without an accounting database, tests/workflow checks the flag).
        shown = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True).stdout
        assert "JobState=COMPLETED" in shown and "Features=cpu" in shown, shown
    print(f"{RULE_JOBS} rule jobs -> {SLURM_JOBS} Slurm jobs ({len(slurm_logs)} jobs and array tasks), ids {sorted(job_ids)}")

    here, there = _outputs(tmp_path), _outputs(local_run)
    assert here.keys() == there.keys() and len(here) > 10
    differ = [k for k in here if not _equal(here[k], there[k])]
    assert not differ, differ
