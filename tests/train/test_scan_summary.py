"""evenet scan-summary: mean and spread over seeds per (variant, fraction)."""

from __future__ import annotations

import json

import pytest

from evenet.cli import main


def _run(tmp_path, name, auc, steps, events=100):
    run = tmp_path / name
    run.mkdir()
    (run / "metrics.json").write_text(json.dumps({"val_auc": auc, "steps_to_min_val_loss": steps, "train_events": events}))
    return run / "metrics.json"


def test_summary_groups_and_averages(tmp_path):
    files = [
        _run(tmp_path, "scratch_f0.05_s1", 0.70, 100), _run(tmp_path, "scratch_f0.05_s2", 0.80, 300),
        _run(tmp_path, "full_f0.05_s1", 0.90, 50), _run(tmp_path, "full_f0.05_s2", 0.94, 70),
    ]
    out = tmp_path / "summary.json"
    assert main(["scan-summary", *map(str, files), "-o", str(out)]) == 0
    rows = {r["variant"]: r for r in json.loads(out.read_text())["runs"]}
    assert rows["scratch"]["val_auc"]["mean"] == pytest.approx(0.75)
    assert rows["scratch"]["val_auc"]["std"] == pytest.approx(0.0707107, rel=1e-5)  # sample std of (0.7, 0.8)
    assert rows["full"]["steps_to_min_val_loss"]["mean"] == pytest.approx(60)
    assert rows["full"]["seeds"] == [1, 2] and rows["full"]["train_fraction"] == 0.05


def test_misnamed_run_is_rejected(tmp_path, capsys):
    bad = _run(tmp_path, "whatever", 0.5, 1)
    assert main(["scan-summary", str(bad), "-o", str(tmp_path / "s.json")]) == 2
    assert "whatever/metrics.json" in capsys.readouterr().err
    assert not (tmp_path / "s.json").exists()
