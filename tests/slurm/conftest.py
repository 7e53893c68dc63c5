"""Tests against a running Slurm cluster (tests/slurm/cluster.sh starts a one-node one):
    tests/slurm/cluster.sh pytest -m slurm tests/slurm
Marked `slurm` (deselected by default); they skip when no cluster answers."""

from __future__ import annotations

import shutil
import subprocess

import pytest


@pytest.fixture(scope="session", autouse=True)
def slurm_cluster():
    if shutil.which("sinfo") is None:
        pytest.skip("no Slurm client commands (apt-get install slurm-wlm munge; run under tests/slurm/cluster.sh)")
    probe = subprocess.run(["sinfo", "-h", "-o", "%P"], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip(f"no Slurm cluster answers (run under tests/slurm/cluster.sh): {probe.stderr.strip()}")
