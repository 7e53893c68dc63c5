"""Data-parallel training as one Slurm job with two tasks started by srun (CPU, gloo):
Lightning's SLURMEnvironment takes the ranks from srun, each rank trains on its own part of
the events, and the weights equal those of one process with the same global batch."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import torch
import yaml

from evenet.train.synthetic import write_synthetic_stream

pytestmark = pytest.mark.slurm

# 100 events per class: 160 training events (event % 10 < 8). Batches of 80 per rank (two
# ranks) or 160 (one process): every epoch is one step over the same 160 events, so the two
# runs differ only in the order of floating-point sums (the all-reduce of the gradients).
GLOBAL_BATCH = 160
EPOCHS = 3
# Largest |w_2ranks - w_1process| over all weights. Measured 3.8e-6 over 114,389 weights
# (float32 sums in another order); each AdamW step at lr 1e-3 moves a weight by about 1e-3,
# so three steps differing in one rank's events would differ by ~1e-3.
TOLERANCE = 1e-4

TRAIN_CONFIG = {
    "stage": "finetune",
    "model": {
        "preset": "tiny",
        # The assignment head (a1 -> b1 b2 of the synthetic files): no batch norm, whose
        # statistics are per rank (SyncBatchNorm works on GPUs only), and no random noise.
        "heads": {"assignment": {}},
        # No dropout: its masks are drawn per rank, which one process cannot reproduce.
        "overrides": {"body": {"dropout": 0.0, "feature_drop": 0.0, "drop_path": 0.0}, "encoder": {"dropout": 0.0}},
    },
    "data": {"event_weights": "unit", "load_targets": True, "num_workers": 0},
    # The learning rate as given, not scaled by sqrt(world size): the same update for both runs.
    "optimizer": {"name": "adamw", "lr": 1.0e-3, "scale_with_devices": False},
    "schedule": {"warmup_steps": 0},
    "ema": {"enabled": False},
    "early_stopping": {"enabled": False},
    "trainer": {"max_epochs": EPOCHS, "threads": 1},
}


def _train_command(files, norm, out: Path, config: Path, devices: int) -> list[str]:
    batch = GLOBAL_BATCH // devices
    cmd = [shutil.which("evenet"), "train", "--config", str(config), "--data", *map(str, files),
           "--normalization", str(norm), "--output", str(out), "--seed", "3", "--accelerator", "cpu",
           "--devices", str(devices), "--set", f"data.batch_size={batch}"]
    return cmd + (["--strategy", "ddp"] if devices > 1 else [])


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return torch.load(run / "last.ckpt", map_location="cpu", weights_only=False)["state_dict"]


def test_two_ranks_under_srun_equal_one_process(tmp_path):
    files, norm = write_synthetic_stream(tmp_path / "data", events_per_class=100, seed=2)
    config = tmp_path / "train.yaml"
    config.write_text(yaml.safe_dump(TRAIN_CONFIG))

    single = subprocess.run(_train_command(files, norm, tmp_path / "one", config, 1), capture_output=True,
                            text=True, timeout=600)
    assert single.returncode == 0, single.stderr[-3000:]

    log = tmp_path / "two.log"
    srun = "srun --ntasks-per-node=2 --cpus-per-task=1 --label " + " ".join(_train_command(files, norm, tmp_path / "two", config, 2))
    job = subprocess.run(["sbatch", "--parsable", "--wait", "--ntasks-per-node=2", "--cpus-per-task=1", "--nodes=1",
                          "-t", "15", "-o", str(log), "-D", str(tmp_path), "--wrap", srun],
                         capture_output=True, text=True, timeout=900)
    text = log.read_text() if log.exists() else ""
    assert job.returncode == 0, f"sbatch: {job.stderr}\n{text[-3000:]}"
    assert re.fullmatch(r"\d+", job.stdout.strip()), job.stdout

    # Two ranks ran (srun --label prefixes each line with its task id), each on its own part.
    parts = {}
    for task, rank, world, lo, hi, n in re.findall(
            r"^(\d+): .*rank (\d+) of (\d+): training events (\d+)-(\d+) of (\d+)", text, re.M):
        assert task == rank and world == "2" and n == str(GLOBAL_BATCH)
        parts[int(rank)] = (int(lo), int(hi))
    assert parts == {0: (0, 80), 1: (80, 160)}, text[-3000:]

    one, two = _weights(tmp_path / "one"), _weights(tmp_path / "two")
    assert one.keys() == two.keys()
    diff = max(float((one[k].float() - two[k].float()).abs().max()) for k in one)
    n_weights = sum(t.numel() for t in one.values())
    print(f"two ranks vs one process: max |dw| = {diff:.3g} over {n_weights} weights (tolerance {TOLERANCE})")
    assert diff < TOLERANCE
