"""analyses.haa.summarize on hand-written run results: the seed mean and spread per group and
the paired Full - Scratch and SSL - Scratch differences over the seeds both variants have."""

from __future__ import annotations

import numpy as np
import pytest

from analyses.haa import summarize
from evenet.results import read_result, write_result

# (variant, seed) -> (max SIC, event purity)
RUNS = {("scratch", 1): (1.0, 0.2), ("scratch", 2): (2.0, 0.4), ("scratch", 3): (1.5, 0.3),
        ("full", 1): (1.5, 0.3), ("full", 2): (2.0, 0.6), ("full", 3): (2.5, 0.3),
        ("ssl", 1): (0.5, 0.2), ("ssl", 2): (2.0, 0.4)}   # SSL lacks seed 3: paired over two seeds


def _runs(tmp_path):
    paths = []
    for (variant, seed), (sic, purity) in RUNS.items():
        run = {"model": "cls_asn", "variant": variant, "size": 0.05, "seed": seed}
        path = tmp_path / f"{variant}_s0.05_seed{seed}.json"
        write_result(path, {"max_sic": sic, "event_purity": purity, "train_events": 29.0}, config={"run": run},
                     run=run)
        paths.append(str(path))
    return paths


def test_seed_spread_and_paired_differences(tmp_path, capsys):
    out = tmp_path / "summary.json"
    assert summarize.main([*_runs(tmp_path), "-o", str(out)]) == 0
    numbers = read_result(out).numbers

    scratch = numbers["cls_asn/scratch/s0.05/max_sic"]
    assert scratch.value == pytest.approx(1.5)
    assert scratch.error == pytest.approx(0.5)  # sample standard deviation of 1, 2, 1.5

    # Full - Scratch per seed: +0.5, 0, +1.0
    full = numbers["cls_asn/full-scratch/s0.05/max_sic"]
    assert full.value == pytest.approx(0.5)
    assert full.error == pytest.approx(0.5)
    assert full.high - full.value == pytest.approx(0.5 / np.sqrt(3))
    # event purity: +0.1, +0.2, 0
    assert numbers["cls_asn/full-scratch/s0.05/event_purity"].value == pytest.approx(0.1)

    # SSL - Scratch over seeds 1 and 2 only: -0.5, 0
    ssl = numbers["cls_asn/ssl-scratch/s0.05/max_sic"]
    assert ssl.value == pytest.approx(-0.25)
    assert ssl.error == pytest.approx(np.std([-0.5, 0.0], ddof=1))
    assert "particle_purity" not in {k.rsplit("/", 1)[1] for k in numbers if "-scratch" in k}
    assert "paired Full - Scratch" in capsys.readouterr().out


def test_figures_of_the_summary_and_bad_input(tmp_path, capsys):
    from analyses.haa import figures

    runs = _runs(tmp_path)
    summary = tmp_path / "summary.json"
    assert summarize.main([*runs, "-o", str(summary)]) == 0
    assert figures.main([str(summary), "--output", str(tmp_path / "study")]) == 0
    assert (tmp_path / "study_fig3.png").is_file() and (tmp_path / "study_fig8.png").is_file()
    capsys.readouterr()
    # A run's result is not a summary; a missing file is not one either: one line, exit 2.
    for bad, message in ((runs[0], "no `table` of runs"), (str(tmp_path / "missing.json"), "cannot read")):
        assert figures.main([bad, "--output", str(tmp_path / "bad")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("python -m analyses.haa.figures: error: ") and message in err and err.count("\n") == 1
    assert not list(tmp_path.glob("bad*"))
