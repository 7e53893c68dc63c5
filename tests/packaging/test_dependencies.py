"""The cluster environment file declares the package's dependencies with the same specifiers."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]

# pyproject name -> the cluster environment's name for the same import (the CUDA build).
CUDA_BUILDS = {"xgboost-cpu": "xgboost"}


def _requirement(text: str) -> tuple[str, str]:
    """'snakemake[reports]>=9,<10' -> ('snakemake', '[reports]>=9,<10'), name normalised."""
    match = re.match(r"^\s*([A-Za-z0-9_.-]+)(.*)$", text)
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_cuda_environment_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = {CUDA_BUILDS.get(name, name): spec for name, spec in map(_requirement, project["dependencies"])}
    env = yaml.safe_load((REPO / "envs" / "evenet-cuda.yaml").read_text())
    declared: dict[str, str] = {}
    for entry in env["dependencies"]:
        items = entry["pip"] if isinstance(entry, dict) else [entry]
        for item in items:
            if not item.startswith("-"):
                name, spec = _requirement(item)
                declared[name] = spec
    missing = sorted(set(wanted) - set(declared))
    assert not missing, f"envs/evenet-cuda.yaml lacks {missing}"
    differ = {n: (wanted[n], declared[n]) for n in wanted if wanted[n] != declared[n]}
    assert not differ, f"specifiers differ (pyproject, env file): {differ}"
