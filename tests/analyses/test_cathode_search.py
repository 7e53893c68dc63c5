"""The search chain (classifier -> likelihood-ratio weights -> sideband fit -> Z) on toy events:
no excess from a perfect background model without signal, and more than the bump hunt with one."""

import numpy as np

from analyses.cathode.features import Dimuons
from analyses.cathode.search import run
from evenet.selection.dimuon import REGION_SB, REGION_SR

CONFIG = {
    "mass": {"range": [5.0, 16.0], "signal_region": [9.0, 10.6], "sr_edges": 12, "degree": 5},
    "classifier": {"features": ["pair_pt", "mu1_pt", "mu2_pt", "delta_r"], "folds": 3, "ensemble": 1,
                   "generated_events": 4000, "early_stopping_rounds": 10, "fprs": [0.1], "mu_min": 1e-3,
                   "xgboost": {"max_depth": 3, "learning_rate": 0.2, "n_estimators": 60}},
    "pseudo_experiments": {"bootstraps": 1, "resamplings": 2, "seed": 4},
}


def _muons(n, rng, pt_scale=1.0):
    pt1, pt2 = rng.gamma(2.0, 4.0 * pt_scale, n) + 3, rng.gamma(2.0, 2.0 * pt_scale, n) + 3
    return pt1, rng.uniform(-2, 2, n), rng.uniform(-np.pi, np.pi, n), pt2, rng.uniform(-2, 2, n), rng.uniform(-np.pi, np.pi, n)


def _events(mass, rng, pt_scale=1.0, channel=0):
    n = len(mass)
    region = np.where((mass >= 9.0) & (mass < 10.6), REGION_SR, REGION_SB)
    return Dimuons(*_muons(n, rng, pt_scale), mass, np.full(n, channel), region, np.zeros((n, 3), np.uint64))


def _continuum(n, rng):
    return 5.0 - 3.0 * np.log(1 - rng.random(n) * (1 - np.exp(-11 / 3)))


def _generated(rng, n=4000):
    return _events(rng.uniform(9.0, 10.6, n), rng), np.arange(n) % 2


def test_no_signal_no_excess():
    rng = np.random.default_rng(10)
    data = _events(_continuum(15000, rng), rng)
    generated, model = _generated(rng)
    out = run(data, generated, model, CONFIG, "os", "os", 1, 2)
    assert np.median(out["significances"]) < 2.0
    assert abs(out["numbers"]["auc_data_vs_generated"].value - 0.5) < 0.05


def test_signal_with_other_kinematics_beats_the_bump_hunt():
    rng = np.random.default_rng(11)
    data = Dimuons.concatenate([_events(_continuum(15000, rng), rng),
                                _events(rng.normal(9.46, 0.09, 120), rng, pt_scale=4.0)])
    generated, model = _generated(rng)
    out = run(data, generated, model, CONFIG, "os", "os", 1, 2)
    z = out["numbers"]["significance"].value
    assert z > out["numbers"]["bump_hunt_significance"].value + 1.0 and z > 3.0
