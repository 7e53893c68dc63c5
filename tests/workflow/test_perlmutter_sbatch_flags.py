"""profiles/perlmutter: the sbatch calls the Slurm executor plugin makes for each kind of job,
and the commands the training jobs run, without a Slurm cluster. `sbatch` is a stand-in that
records its arguments and refuses the job (tests/slurm runs the real thing)."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytest.importorskip("snakemake_executor_plugin_slurm", reason="the `slurm` extra is not installed")

REPO = Path(__file__).resolve().parents[2]

CONFIG = {
    "luminosity_pb": 1000.0,
    "step_size": 150,
    "selections": str(REPO / "config" / "selections.yaml"),
    "detector": str(REPO / "config" / "detector.yaml"),
    "split": {"fractions": {"train": 0.6, "val": 0.2, "test": 0.2}, "seed": 3},
    "samples": {
        "tt": {"format": "nanoaod", "xsec_pb": 366.0, "generate": {"process": "ttbar_1l", "events": 50, "seed": 5}},
        "zj": {"format": "delphes", "xsec_pb": 670.0, "generate": {"process": "zjets", "events": 50, "seed": 6}},
        "ww": {"format": "nanoaod", "xsec_pb": 118.7, "generate": {"process": "ww", "events": 50, "parts": 3, "seed": 7}},
    },
    "streams": {
        "pre": {"selection": "pretrain", "classes": {"ttbar": ["tt"]}, "truth": {"max_invisible": 2}},
        "other": {"selection": "pretrain", "classes": {"Zjets": ["zj"]}, "truth": {"max_invisible": 2}},
        "more": {"selection": "pretrain", "classes": {"WW": ["ww"]}, "truth": {"max_invisible": 2}},
    },
    "training": {
        "pretrain": {"stream": "pre", "ssl": str(REPO / "config/training/pretrain_ssl.yaml"),
                     "full": str(REPO / "config/training/pretrain_full.yaml")},
        "finetune": {"haa": {"stream": "pre", "config": str(REPO / "config/training/finetune_haa.yaml")}},
    },
}
SITE = {"EVENET_SLURM_ACCOUNT": "m1234", "EVENET_SLURM_QOS": "regular", "EVENET_SLURM_CPU_CONSTRAINT": "cpu"}

# Stand-ins for the Slurm client commands the plugin calls before and while submitting.
FAKES = {
    "sbatch": 'printf "%s\\n" "$*" >> "$SBATCH_CALLS"; echo "sbatch: error: stand-in refuses" >&2; exit 1',
    "sinfo": 'printf "PARTITION\\nregular*\\n"',
    "sacctmgr": 'echo m1234',
    "squeue": "exit 0",
    "sacct": "exit 1",
    "scontrol": "exit 1",
}


def _fake_slurm(bindir: Path) -> None:
    bindir.mkdir()
    for name, body in FAKES.items():
        path = bindir / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)


def _snakemake(workdir: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", *TARGETS, "-s", str(REPO / "Snakefile"), "-d", str(workdir),
           "--profile", str(REPO / "profiles" / "perlmutter"), "--configfile", str(workdir / "config.yaml"), *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


TARGETS = ["results/models/pretrain_ssl/metrics.json", "results/models/finetune_haa/metrics.json",
           "results/pointcloud/other/normalization.json",
           *[f"results/ingested/ww/{part}.parquet" for part in range(3)]]


@pytest.fixture(scope="module")
def submitted(tmp_path_factory):
    """{rule or group name: the sbatch arguments}, and the dry run's printed shell commands."""
    work = tmp_path_factory.mktemp("perlmutter")
    (work / "config.yaml").write_text(yaml.safe_dump(CONFIG, sort_keys=False))
    # The training inputs exist, so the training jobs are ready; the `other` stream is ingested
    # but not selected, so its prep group is submitted too, and the three files of `more` are
    # to be generated (an array job).
    for rel in ["results/pointcloud/pre/tt.h5", "results/pointcloud/pre/normalization.json",
                "results/ingested/zj/0.parquet"]:
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_text("")
    _fake_slurm(work / "bin")
    calls = work / "sbatch_calls.txt"
    env = {**os.environ, **SITE, "SBATCH_CALLS": str(calls), "PATH": f"{work / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    dry = _snakemake(work, env, "-n", "-p")
    assert dry.returncode == 0, (dry.stdout + dry.stderr)[-3000:]
    run = _snakemake(work, env, "--retries", "0", "--keep-going",
                     "--slurm-init-seconds-before-status-checks", "1")
    assert run.returncode != 0  # every submission was refused
    by_job = {}
    for line in calls.read_text().splitlines():
        args = shlex.split(line)
        comment = args[args.index("--comment") + 1]
        by_job[comment] = args
    return by_job, dry.stdout + dry.stderr


def _flags(args: list[str]) -> list[str]:
    return [a for a in args if not a.startswith("--wrap")]


def test_pretraining_is_one_job_with_one_task_per_gpu(submitted):
    by_job, _ = submitted
    args = _flags(by_job["rule_pretrain_ssl"])
    for flag in ["--gpus=4", "--ntasks-per-node=4", "--cpus-per-task=32", "--nodes=1", "--signal=TERM@120",
                 "--qos=regular", "--mem"]:
        assert flag in args, (flag, args)
    assert args[args.index("-C") + 1] == "gpu"
    assert args[args.index("-A") + 1] == "m1234"
    assert args[args.index("-t") + 1] == "720"


def test_finetune_asks_for_one_gpu_with_the_time_limit_warning(submitted):
    by_job, _ = submitted
    (name,) = [k for k in by_job if "finetune_haa" in k or k.startswith("group_gpu")] or [None]
    assert name is not None, sorted(by_job)
    args = _flags(by_job[name])
    assert "--gpus=1" in args and "--signal=TERM@120" in args and "--cpus-per-task=32" in args
    assert args[args.index("-C") + 1] == "gpu"


def test_small_cpu_jobs_go_as_one_group_job_on_cpu_nodes(submitted):
    by_job, _ = submitted
    prep = [k for k in by_job if "prep" in k]
    assert len(prep) == 1, sorted(by_job)  # select, build, normalize of `other`: one sbatch
    args = _flags(by_job[prep[0]])
    assert args[args.index("-C") + 1] == "cpu" and "--ntasks=1" in args and "--cpus-per-task=1" in args
    assert args[args.index("-t") + 1] == "30"  # run one after the other: 3 x 10 min
    assert not any(a.startswith("--gpus") for a in args)


def test_jobs_per_input_file_go_as_one_array_job(submitted):
    by_job, _ = submitted
    generate = [args for k, args in by_job.items() if "generate" in k]
    assert len(generate) == 1, sorted(by_job)  # the three files of `more`: one sbatch
    assert any(a.startswith("--array=") and a.count(",") + a.count("-") >= 1 for a in generate[0]), generate[0]


def test_training_commands_run_under_srun_on_the_jobs_gpus(submitted):
    _, dry = submitted
    lines = [line.strip().removeprefix("Shell command:").strip() for line in dry.splitlines() if "evenet train" in line]
    pretrain = [line for line in lines if "pretrain_ssl" in line]
    finetune = [line for line in lines if "finetune_haa" in line]
    assert pretrain and finetune, dry[-3000:]
    assert pretrain[0].startswith("srun --ntasks-per-node=4 --cpus-per-task=32 --gpus-per-node=4 evenet train")
    assert "--accelerator gpu --devices 4 --num-nodes 1" in pretrain[0]
    assert finetune[0].startswith("evenet train") and "--accelerator gpu --devices 1 --num-nodes 1" in finetune[0]


def test_allocation_profile_starts_gpu_rules_as_their_own_srun_steps(tmp_path):
    """profiles/perlmutter-alloc runs the rules itself; each GPU rule is a job step with its GPUs."""
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(CONFIG, sort_keys=False))
    for rel in ["results/pointcloud/pre/tt.h5", "results/pointcloud/pre/normalization.json"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    cmd = [sys.executable, "-m", "snakemake", *TARGETS[:2], "-s", str(REPO / "Snakefile"), "-d", str(tmp_path),
           "--profile", str(REPO / "profiles" / "perlmutter-alloc"), "--configfile", str(tmp_path / "config.yaml"),
           "-n", "-p", "--cores", "64"]  # a GPU node's cores (`all` on this machine would cap the threads)
    dry = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert dry.returncode == 0, (dry.stdout + dry.stderr)[-3000:]
    lines = [line.strip().removeprefix("Shell command:").strip() for line in dry.stdout.splitlines() if "evenet train" in line]
    (pretrain,) = [line for line in lines if "pretrain_ssl" in line]
    (finetune,) = [line for line in lines if "finetune_haa" in line]
    assert pretrain.startswith("srun --ntasks-per-node=4 --gpus-per-node=4 --cpus-per-task=16 --exact --job-name=evenet-train evenet train")
    assert "--accelerator gpu --devices 4 --num-nodes 1" in pretrain and "trainer.threads=16" in pretrain
    assert finetune.startswith("srun --ntasks=1 --gpus=1 --cpus-per-task=16 --exact evenet train")
    assert "--accelerator gpu --devices 1 --num-nodes 1" in finetune
