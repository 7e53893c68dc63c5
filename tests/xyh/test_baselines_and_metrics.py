"""XGBoost baselines and the per-point metrics on synthetic inputs with known answers."""

from __future__ import annotations

import json
from types import SimpleNamespace

import h5py
import numpy as np
import pandas as pd
import pyhf
import pytest
import yaml

from analyses.xyh import bdt, evaluate
from analyses.xyh.features import FEATURE_NAMES
from evenet.pointcloud import schema as S
from evenet.results import read_result
from evenet.stats.sic import sic_scan


def feature_table(path, n, label, shift, seed, masses=None, weight=1.0):
    rng = np.random.default_rng(seed)
    table = pd.DataFrame(rng.normal(size=(n, len(FEATURE_NAMES))), columns=list(FEATURE_NAMES))
    table["m_bb"] += shift
    table["label"] = label
    table["weight"] = weight
    table["split"] = rng.choice([0, 1, 2], size=n, p=[0.6, 0.2, 0.2])
    table["run"], table["luminosityBlock"], table["event"] = 1, seed, np.arange(n)
    if masses is not None:
        grid = np.asarray(masses, float)
        rows = grid[rng.integers(len(grid), size=n)]
        table["param_MX"], table["param_MY"] = rows[:, 0], rows[:, 1]
        if label == 1:  # a signal point's separation grows with its mass
            table["m_bb"] += (table["param_MX"] - 500) / 200
    table.to_parquet(path)
    return str(path)


def test_individual_booster_separates_and_stops_at_the_best_round(tmp_path):
    files = [feature_table(tmp_path / "b.parquet", 3000, 0, 0.0, 1, weight=50.0),
             feature_table(tmp_path / "s.parquet", 600, 1, 1.5, 2, weight=0.5)]
    metrics = bdt.train(files, str(tmp_path / "m.json"), str(tmp_path / "metrics.json"), False, 1, 3,
                        {"num_boost_round": 60, "early_stopping_rounds": 10})
    assert 1 <= metrics["steps_to_min_val_loss"] <= metrics["steps"] <= 60
    assert metrics["train_signal_events"] == int((pd.read_parquet(files[1]).split == 0).sum())
    n = bdt.predict(files, str(tmp_path / "m.json"), str(tmp_path / "scores.h5"), 1, None)
    with h5py.File(tmp_path / "scores.h5") as f:
        p = f["classification/probabilities"][:]
        labels = f[S.CLASSIFICATION][:]
        assert len(p) == n == sum((pd.read_parquet(x).split == 2).sum() for x in files)
        np.testing.assert_allclose(p.sum(1), 1.0, rtol=1e-6)
    assert p[labels == 1, 1].mean() > p[labels == 0, 1].mean() + 0.3  # the shifted feature is found
    with pytest.raises(Exception, match="takes no --hypothesis"):
        bdt.predict(files, str(tmp_path / "m.json"), str(tmp_path / "x.h5"), 1, [500.0, 100.0])


def test_parameterised_booster_reads_the_hypothesis(tmp_path):
    grid = [[300, 60], [700, 400]]
    files = [feature_table(tmp_path / "b.parquet", 3000, 0, 0.0, 1, masses=grid),
             feature_table(tmp_path / "s.parquet", 1500, 1, 1.0, 2, masses=grid)]
    bdt.train(files, str(tmp_path / "m.json"), str(tmp_path / "metrics.json"), True, 1, 3, {"num_boost_round": 40})
    means = []
    for hypothesis in ([300.0, 60.0], [700.0, 400.0]):
        bdt.predict(files, str(tmp_path / "m.json"), str(tmp_path / "s.h5"), 1, hypothesis)
        with h5py.File(tmp_path / "s.h5") as f:
            assert list(f.attrs["parameters"]) == hypothesis
            means.append(f["classification/probabilities"][:, 1][f[S.CLASSIFICATION][:] == 1].mean())
    assert means[0] != pytest.approx(means[1], abs=1e-3)  # the masses change the score
    with pytest.raises(Exception, match="unknown option"):
        bdt.train(files, str(tmp_path / "m.json"), str(tmp_path / "x.json"), True, 1, 3, {"depth": 3})


def write_scores(path, score, label, weight):
    with h5py.File(path, "w") as f:
        f["classification/probabilities"] = np.stack([1 - score, score], 1)
        f[S.CLASSIFICATION] = label
        f[S.WEIGHT] = weight


def test_result_of_a_known_sample(tmp_path):
    """Scores whose SIC and yields are known by hand; weights scale by 1 / test fraction."""
    rng = np.random.default_rng(5)
    sig = rng.uniform(0.5, 1.0, 400)
    bkg = rng.uniform(0.0, 1.0, 4000)
    score = np.concatenate([sig, bkg])
    label = np.concatenate([np.ones(400, int), np.zeros(4000, int)])
    weight = np.concatenate([np.full(400, 0.1), np.full(4000, 2.0)]).astype(np.float32)
    write_scores(tmp_path / "scores.h5", score, label, weight)
    with h5py.File(tmp_path / "signal.h5", "w") as f:
        f[f"{S.META}/split"] = np.array([0] * 7 + [1] * 2 + [2], np.uint8)
    (tmp_path / "metrics.json").write_text(json.dumps({"steps": 120, "steps_to_min_val_loss": 80}))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"trainer": {"devices": 2, "num_nodes": 1},
                                                          "data": {"batch_size": 64}}))
    numbers = evaluate.evaluate(
        str(tmp_path / "scores.h5"), str(tmp_path / "signal.h5"), str(tmp_path / "metrics.json"),
        str(tmp_path / "config.yaml"), str(tmp_path / "result.json"), signal_label=1, test_fraction=0.1,
        min_background=10.0, reference_xsec_pb=2.0, reference_batch=256, binning={"bins": 4},
        point={"MX": 500, "MY": 100}, method="full", seed=1, config={"x": 1}, checkpoints={})
    expected = sic_scan(sig, bkg, np.full(400, 1.0), np.full(4000, 20.0), min_background=10.0)
    assert numbers["max_sic"] == pytest.approx(expected.max_sic)
    assert numbers["signal_test_yield"] == pytest.approx(400.0, rel=1e-6)  # 400 x 0.1 / 0.1
    assert numbers["background_test_yield"] == pytest.approx(80000.0, rel=1e-6)
    assert numbers["effective_steps"] == pytest.approx(80 * 2 * 64 / 256)
    assert (numbers["signal_train_events"], numbers["signal_val_events"], numbers["signal_test_events"]) == (7, 2, 1)
    assert numbers["xsec_limit"] == pytest.approx(2.0 * numbers["mu_limit"])
    result = read_result(tmp_path / "result.json")
    assert result.extra["point"] == {"MX": 500, "MY": 100} and result.extra["method"] == "full"
    assert result.numbers["max_sic"].error == pytest.approx(expected.max_sic_error)
    assert result.numbers["xsec_limit"].unit == "pb"
    assert result.numbers["xsec_limit"].low < result.numbers["xsec_limit"].value < result.numbers["xsec_limit"].high


def test_failed_limit_fit_keeps_the_other_numbers(tmp_path, monkeypatch):
    """pyhf's fit can fail on a nearly flat score: the result is written without a limit and says why."""
    rng = np.random.default_rng(6)
    score = rng.uniform(0.0, 1.0, 440)
    label = np.concatenate([np.ones(40, int), np.zeros(400, int)])
    write_scores(tmp_path / "scores.h5", score, label, np.ones(440, np.float32))
    with h5py.File(tmp_path / "signal.h5", "w") as f:
        f[f"{S.META}/split"] = np.array([0, 1, 2], np.uint8)
    (tmp_path / "metrics.json").write_text(json.dumps({"steps": 10, "steps_to_min_val_loss": 5}))

    def failed(templates):
        raise pyhf.exceptions.FailedMinimization(SimpleNamespace(message="Optimization terminated successfully."))

    monkeypatch.setattr(evaluate, "expected_upper_limit", failed)
    numbers = evaluate.evaluate(
        str(tmp_path / "scores.h5"), str(tmp_path / "signal.h5"), str(tmp_path / "metrics.json"), None,
        str(tmp_path / "result.json"), signal_label=1, test_fraction=1.0, min_background=10.0,
        reference_xsec_pb=1.0, reference_batch=256, binning={"bins": 4}, point={"MX": 300, "MY": 60},
        method="param_scratch", seed=2, config={}, checkpoints={})
    assert "mu_limit" not in numbers and "xsec_limit" not in numbers and "max_sic" in numbers
    assert read_result(tmp_path / "result.json").extra["limit_status"].startswith("limit fit failed")
