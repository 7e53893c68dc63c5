"""The Fig. 2-like figures and summary from result.json files of a small grid."""

from __future__ import annotations

import json

import pytest

from analyses.xyh import figures
from evenet.results import Measurement, write_result

POINTS = [(300, 60), (500, 100), (900, 150)]
METHODS = {"full": 3.0, "scratch": 2.0, "xgboost": 2.5, "param_full": 2.8, "param_xgboost": 2.2}


def results(tmp_path, seeds=(1, 2)):
    paths = []
    for mx, my in POINTS:
        for method, sic in METHODS.items():
            for seed in seeds:
                numbers = {"max_sic": Measurement(sic + 0.1 * seed + mx / 1000, 0.2),
                           "xsec_limit": Measurement(0.5, low=0.3, high=0.8, unit="pb"),
                           "steps_to_min_val_loss": Measurement(100.0 * seed), "effective_steps": Measurement(25.0 * seed),
                           "signal_train_events": Measurement(420.0), "signal_val_events": Measurement(120.0),
                           "signal_test_events": Measurement(60.0)}
                path = tmp_path / f"MX-{mx}_MY-{my}" / f"{method}_s{seed}" / "result.json"
                write_result(path, numbers, {}, point={"MX": mx, "MY": my}, method=method, seed=seed)
                paths.append(str(path))
    return paths


def test_summary_averages_seeds_and_adds_their_spread(tmp_path):
    table = figures.summarise(results(tmp_path))
    entry = table["MX-500_MY-100"]["methods"]["full"]["max_sic"]
    assert entry["seeds"] == pytest.approx([3.6, 3.7])
    assert entry["value"] == pytest.approx(3.65)
    assert entry["error"] == pytest.approx((0.2**2 + 0.1**2 / 2) ** 0.5)  # stat (+) sample std over seeds


def test_every_figure_is_written_with_its_caption(tmp_path):
    paths = results(tmp_path, seeds=(1,))
    assert figures.main([*paths, "--output-dir", str(tmp_path / "figs")]) == 0
    for name in ("max_sic", "winner", "steps", "signal_statistics", "ratio_to_full", "param_vs_individual",
                 "xsec_limit"):
        for suffix in (".png", ".pdf", ".caption.rst"):
            assert (tmp_path / "figs" / f"{name}{suffix}").stat().st_size > 0
    summary = json.loads((tmp_path / "figs" / "summary.json").read_text())
    assert set(summary) == {f"MX-{mx}_MY-{my}" for mx, my in POINTS}
    assert summary["MX-900_MY-150"]["methods"]["xgboost"]["max_sic"]["value"] == pytest.approx(2.5 + 0.1 + 0.9)
