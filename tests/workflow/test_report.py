"""`snakemake --report results/report.zip` (the last step of `make demo`) collects the outputs
marked report(...): here the cutflows, category Preselection, of a one-sample stream."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CONFIG = {
    "luminosity_pb": 1000.0,
    "step_size": 150,
    "selections": str(REPO / "config" / "selections.yaml"),
    "detector": str(REPO / "config" / "detector.yaml"),
    "split": {"fractions": {"train": 0.6, "val": 0.2, "test": 0.2}, "seed": 3},
    "samples": {"zj": {"format": "delphes", "xsec_pb": 670.0, "generate": {"process": "zjets", "events": 100, "seed": 6}}},
    "streams": {"pre": {"selection": "pretrain", "classes": {"Zjets": ["zj"]}, "truth": {"max_invisible": 2}}},
}


def _snakemake(workdir: Path, *args: str) -> None:
    cmd = [sys.executable, "-m", "snakemake", "results/pointcloud/pre/normalization.json", "-s", str(REPO / "Snakefile"),
           "-d", str(workdir), "--profile", str(REPO / "profiles" / "local"), "--cores", "1",
           "--configfile", str(workdir / "config.yaml"), *args]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]


@pytest.mark.slow
def test_report_collects_the_cutflows_under_preselection(tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(CONFIG, sort_keys=False))
    _snakemake(tmp_path)
    _snakemake(tmp_path, "--report", "results/report.zip")
    with zipfile.ZipFile(tmp_path / "results" / "report.zip") as z:
        names = z.namelist()
        html = z.read("report/report.html").decode()
    assert any(n.startswith("report/data/") and n.endswith("/zj.json") for n in names), names
    assert "Preselection" in html and "Cutflow of sample" in html
    assert "EveNet analysis pipeline" in html  # the workflow description (workflow/report/workflow.rst)
