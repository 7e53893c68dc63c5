"""Declared dependencies: the cluster environment file keeps the same specifiers, the tested
environment satisfies them, and Snakemake is pinned to its tested major with the reports extra."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.version import Version

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


def test_snakemake_is_pinned_to_the_tested_major_with_reports():
    """The workflow is tested with one Snakemake major; `--report` needs the reports extra."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    (requirement,) = [Requirement(d) for d in project["dependencies"] if Requirement(d).name == "snakemake"]
    installed = Version(metadata.version("snakemake"))
    assert "reports" in requirement.extras
    assert requirement.specifier.contains(installed), f"installed snakemake {installed} outside {requirement}"
    assert not requirement.specifier.contains(Version(f"{installed.major + 1}.0")), "no upper bound on the major"


def test_installed_environment_satisfies_every_declared_dependency():
    """The versions the suite runs with are inside the declared ranges (a floor above them would be untested)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    outside = []
    for text in project["dependencies"]:
        requirement = Requirement(text)
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            outside.append(f"{requirement.name}: not installed")
            continue
        if not requirement.specifier.contains(Version(installed), prereleases=True):
            outside.append(f"{requirement.name} {installed} not in {requirement.specifier}")
    assert not outside, outside
