"""Issue 9 item 13: a training rule killed (SIGKILL) mid-epoch through the DAG, then `snakemake --unlock`
and the same command rerun, resumes at the step it saved and ends with the weights of an uninterrupted
run; with a changed config the rerun starts fresh. Issue 15 item 1: a job sent SIGTERM (Slurm's
warning ahead of its time limit) saves where it is and resumes from there.

Snakemake runs as a user runs it (its CLI, in its own process group, which the test kills whole, as a
node failure or `kill -9` would). Only `pretrain_ssl` is allowed to run (`--allowed-rules`): its
point-cloud inputs are written here directly, so the test trains a tiny model instead of building the
stream. 30 batches per epoch, 2 epochs; checkpoints every 7 steps, so every saved step is mid-epoch.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml
from test_dag import TINY

from evenet.cli import build_parser
from evenet.config import load_yaml
from evenet.pointcloud.normalization import write_normalization
from evenet.train.checkpoints import read_checkpoint
from evenet.train.resume import RESUME_DIR, checkpoint_step
from evenet.train.synthetic import write_synthetic_file

REPO = Path(__file__).resolve().parents[2]
RUN = Path("results/models/pretrain_ssl")
TARGET = str(RUN / "metrics.json")
LOG = Path("logs/train/pretrain_ssl.log")
EVERY, STEPS_PER_EPOCH, STEPS = 7, 30, 60
KILL_AFTER = 35  # kill once a checkpoint at or after this step (epoch 1) is on disk
PRESET = {  # the pretrain_ssl preset, shrunk
    "stage": "pretrain_ssl",
    "model": {"preset": "tiny", "heads": {"point_cloud_generation": {}}},
    "noise": {"start": 0.15, "end": 1.0, "ramp_fraction": 0.6},
    "data": {"batch_size": 16, "chunk_size": 64, "shuffle_blocks": 2, "event_weights": "unit", "load_targets": False},
    "optimizer": {"name": "lion", "lr": 3.0e-4},
    "schedule": {"warmup_steps": 5},
    "ema": {"enabled": True, "decay": 0.9},
    "trainer": {"max_epochs": 2},
}


def make_workdir(workdir: Path) -> Path:
    """The config and the pretraining stream's point-cloud files (300 events per sample, 240 for training)."""
    stream = workdir / "results" / "pointcloud" / "pre"
    stream.mkdir(parents=True)
    files = [write_synthetic_file(stream / f"{sample}.h5", 300, label, seed=11 + label)
             for label, sample in enumerate(("tt", "zj"))]
    write_normalization(files, stream / "normalization.json")
    (workdir / "ssl.yaml").write_text(yaml.safe_dump(PRESET, sort_keys=False))
    config = copy.deepcopy(TINY)
    config["training"] = {"threads": 1, "checkpoint_every": EVERY,
                          "pretrain": {"stream": "pre", "ssl": "ssl.yaml", "full": "ssl.yaml"}}
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return workdir


def snakemake(workdir: Path, *extra: str, **popen) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
            "--configfile", str(workdir / "config.yaml"), "--cores", "1", "--allowed-rules", "pretrain_ssl",
            "--latency-wait", "1", *extra]


def run(workdir: Path, *extra: str) -> None:
    done = subprocess.run(snakemake(workdir, *extra, TARGET), capture_output=True, text=True, timeout=300)
    log = (workdir / LOG).read_text() if (workdir / LOG).exists() else ""
    assert done.returncode == 0, done.stderr[-3000:] + log[-3000:]


def run_and_kill(workdir: Path) -> int:
    """Start the target, SIGKILL Snakemake and its jobs once a checkpoint at step >= KILL_AFTER exists;
    return the step of the checkpoint left behind."""
    checkpoint = workdir / RUN / RESUME_DIR / "last.ckpt"
    proc = subprocess.Popen(snakemake(workdir, TARGET), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if checkpoint_step(checkpoint) >= KILL_AFTER:
                    break
            except (OSError, RuntimeError, KeyError):  # not there yet
                pass
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not (workdir / TARGET).exists()
    return checkpoint_step(checkpoint)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    workdir = make_workdir(tmp_path_factory.mktemp("uninterrupted"))
    run(workdir)
    return workdir


@pytest.fixture(scope="module")
def killed(tmp_path_factory) -> tuple[Path, int]:
    workdir = make_workdir(tmp_path_factory.mktemp("killed"))
    return workdir, run_and_kill(workdir)


def rerun_after_crash(workdir: Path) -> None:
    """What the README says to do after a crash: `snakemake --unlock`, then the same command again."""
    subprocess.run(snakemake(workdir, "--unlock"), check=True, capture_output=True, timeout=120)
    run(workdir, "--rerun-incomplete")


def test_killed_training_rule_resumes_at_its_saved_step(killed, uninterrupted, tmp_path):
    source, saved = killed
    assert KILL_AFTER <= saved < STEPS and saved % EVERY == 0 and saved % STEPS_PER_EPOCH != 0  # mid-epoch
    shutil.copytree(source, tmp_path / "w", symlinks=True)  # a copy per test; modification times kept
    rerun_after_crash(tmp_path / "w")
    log = (tmp_path / "w" / LOG).read_text()
    assert re.search(rf"resumed at step {saved} from {RUN / RESUME_DIR / 'last.ckpt'}", log), log[-2000:]
    metrics = json.loads((tmp_path / "w" / TARGET).read_text())
    reference = json.loads((uninterrupted / TARGET).read_text())
    assert metrics["resumed_at_step"] == saved and metrics["steps"] == reference["steps"] == STEPS
    # Equal to the uninterrupted run: torch.equal, no tolerance, on every tensor of the final weights.
    for name in ("last.ckpt", "best.ckpt"):
        a = read_checkpoint(uninterrupted / RUN / name)
        b = read_checkpoint(tmp_path / "w" / RUN / name)
        assert a["global_step"] == b["global_step"] and a["state_dict"].keys() == b["state_dict"].keys()
        assert all(torch.equal(b["state_dict"][k], v) for k, v in a["state_dict"].items()), name
    assert [h["loss"] for h in metrics["history"]] == [h["loss"] for h in reference["history"]]
    assert not (tmp_path / "w" / RUN / RESUME_DIR).exists()


def test_changed_config_starts_fresh(killed, tmp_path):
    source, _ = killed
    workdir = tmp_path / "w"
    shutil.copytree(source, workdir, symlinks=True)
    preset = yaml.safe_load((workdir / "ssl.yaml").read_text())
    preset["trainer"]["max_epochs"] = 1  # also a new learning-rate schedule: the saved state does not apply
    (workdir / "ssl.yaml").write_text(yaml.safe_dump(preset, sort_keys=False))
    rerun_after_crash(workdir)
    log = (workdir / LOG).read_text()
    assert "resumed at step" not in log
    changed = r"not used, changed since it was saved: config trainer\.max_epochs; starting from step 0"
    assert re.search(changed, log), log[-2000:]
    metrics = json.loads((workdir / TARGET).read_text())
    assert metrics["resumed_from"] is None and metrics["steps"] == STEPS_PER_EPOCH


def test_terminated_job_saves_where_it_is_and_resumes(uninterrupted, tmp_path):
    """SIGTERM to every process of the job, as Slurm sends it (`--signal=TERM@120`, a cancelled or
    preempted job): `evenet train` saves at the end of its batch and exits non-zero, Snakemake removes
    the job's outputs and stops cleanly (no lock left); the rerun resumes at the saved step."""
    workdir = make_workdir(tmp_path / "w")
    checkpoint = workdir / RUN / RESUME_DIR / "last.ckpt"
    proc = subprocess.Popen(snakemake(workdir, TARGET), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        while proc.poll() is None and not checkpoint.exists():  # training has started
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=120) == 1
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    log = (workdir / LOG).read_text()
    stopped = re.search(r"evenet train: stopped by SIGTERM at step (\d+); saved (\S+): rerun", log)
    assert stopped and stopped[2] == str(RUN / RESUME_DIR / "last.ckpt")
    saved = int(stopped[1])
    assert checkpoint_step(checkpoint) == saved and 0 < saved < STEPS
    assert not (workdir / RUN / "config.yaml").exists()  # removed by Snakemake as the failed job's output
    run(workdir)
    assert f"resumed at step {saved} from" in (workdir / LOG).read_text()
    a, b = read_checkpoint(uninterrupted / RUN / "last.ckpt"), read_checkpoint(workdir / RUN / "last.ckpt")
    assert all(torch.equal(b["state_dict"][k], v) for k, v in a["state_dict"].items())


def test_cli_checkpoint_interval_is_the_schema_default():
    schema = load_yaml(REPO / "workflow" / "schemas" / "config.schema.yaml")
    default = schema["$defs"]["training"]["properties"]["checkpoint_every"]["default"]
    args = build_parser().parse_args(["train", "--config", "c.yaml", "--data", "d.h5", "--output", "o"])
    assert args.checkpoint_every == default
