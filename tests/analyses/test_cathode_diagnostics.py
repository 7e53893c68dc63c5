"""Generator diagnostics and the pooled null: hand-built inputs with known answers."""

import numpy as np
import pytest

import analyses.cathode.generate as gen
from analyses.cathode.diagnose import compare, sideband_masses
from analyses.cathode.features import pair_mass
from analyses.cathode.null import pool
from evenet.results import Measurement, Result

CONFIG = {"classifier": {"folds": 3, "generated_events": 3000, "early_stopping_rounds": 10,
                         "xgboost": {"max_depth": 2, "learning_rate": 0.3, "n_estimators": 40}}}


def test_sideband_masses_are_disjoint_equal_shares_of_the_data_masses():
    mass = np.arange(1000.0)
    draws = sideband_masses(mass, 5, 150, np.random.default_rng(1))
    assert [len(d) for d in draws] == [150] * 5
    flat = np.concatenate(draws)
    assert len(np.unique(flat)) == 750 and np.isin(flat, mass).all()
    assert [len(d) for d in sideband_masses(mass, 5, 10_000, np.random.default_rng(1))] == [200] * 5


def test_compare_gives_one_half_for_the_same_distribution_and_more_for_a_shift():
    rng = np.random.default_rng(2)
    names = ["a", "b"]
    same = compare(rng.normal(size=(3000, 2)), rng.normal(size=(3000, 2)), names, CONFIG, 3)
    assert abs(same["auc"] - 0.5) < 0.04 and all(abs(v - 0.5) < 0.04 for v in same["feature_auc"].values())
    shifted = rng.normal(size=(3000, 2))
    shifted[:, 1] += 0.5  # generated b larger: per-feature AUC of b below 0.5
    other = compare(rng.normal(size=(3000, 2)), shifted, names, CONFIG, 3)
    assert other["auc"] > 0.6 and other["feature_auc"]["b"] < 0.4 and abs(other["feature_auc"]["a"] - 0.5) < 0.04


def test_generated_events_are_calibrated_to_the_condition_and_selected_in_the_windows(monkeypatch):
    """A stand-in model that ignores the mass: calibration restores it; only masses in the windows are
    selected (no muon cuts here)."""
    def fake(checkpoint, mass, channel, steps, seed):
        n = len(mass)
        pt = np.stack([np.full(n, 8.0), np.full(n, 5.0)], 1)
        eta = np.stack([np.full(n, 0.3), np.full(n, -0.2)], 1)
        phi = np.stack([np.zeros(n), np.full(n, 2.0)], 1)
        return {"ht_condition": pt.sum(1), "pt": pt, "eta": eta, "phi": phi}

    monkeypatch.setattr(gen, "_sample_model", fake)
    masses = [np.array([6.0, 9.5, 12.0]), np.array([8.5])]
    out = gen.generate_events(["m0", "m1"], masses, "os", 5, 1, (0.0, 10.0), [(5.0, 9.0), (10.6, 16.0)])
    assert list(out["model"]) == [0, 0, 0, 1]
    cal = pair_mass(*(out[f"calibrated/{f}"] for f in gen.MUON_FIELDS))
    assert np.allclose(cal, [6.0, 9.5, 12.0, 8.5], rtol=1e-6)
    assert list(out["calibrated/selected"]) == [True, False, True, True]
    raw = out["raw/mass"]  # the stand-in's pair mass, the same for every event
    assert np.allclose(raw, raw[0]) and out["raw/selected"].all() == ((5 <= raw[0] < 9) or (10.6 <= raw[0] < 16))


def _result(z, bump, aucs):
    numbers = {"bump_hunt_significance": Measurement(bump)}
    return Result(numbers, {}, [], {}, 1, {"significances": list(z), "aucs": list(aucs)})


def test_pooled_null_band_and_fractions():
    results = [_result([0.0, 0.5, 1.0, 1.5], 0.2, [0.5] * 4), _result([2.0, 2.5, 3.5, 0.0], 1.0, [0.7] * 4)]
    out = pool(results)
    z = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.5, 0.0])
    n = out["numbers"]
    assert n["significance"].value == pytest.approx(np.median(z))
    assert n["significance"].low == pytest.approx(np.percentile(z, 16))
    assert n["fraction_above_2_sigma"].value == pytest.approx(2 / 8)
    assert n["fraction_above_3_sigma"].value == pytest.approx(1 / 8)
    assert n["bump_hunt_significance"].value == pytest.approx(0.6)
    assert out["per_sample_median_significance"] == [0.75, 2.25]
    assert n["auc_data_vs_generated"].value == pytest.approx(0.6)


def test_mass_response_is_one_for_a_generator_that_follows_the_condition_and_zero_for_one_that_ignores_it():
    from analyses.cathode.diagnose import mass_response

    rng = np.random.default_rng(4)
    m = rng.uniform(5, 16, 5000)
    assert mass_response(m, m * (1 + 0.05 * rng.normal(size=5000))) == pytest.approx(1.0, abs=0.05)
    assert mass_response(m, rng.uniform(5, 16, 5000)) == pytest.approx(0.0, abs=0.05)


def test_mass_dependence_flags_a_mass_correlated_feature_only():
    from analyses.cathode.diagnose import mass_dependence
    from analyses.cathode.features import Dimuons

    rng = np.random.default_rng(5)
    n = 20000
    mass = rng.uniform(5, 16, n)
    pt_pair = rng.gamma(2.0, 6.0, n) + 1
    # two muons of a pair along x, opening angle set by the mass: delta_phi ~ 2 m / pT
    half = np.minimum(mass / pt_pair, 1.4)
    d = Dimuons(pt_pair / 2, np.zeros(n), half, pt_pair / 2, np.zeros(n), -half, mass, np.zeros(n, int),
                np.zeros(n, int), np.zeros((n, 3), np.uint64))
    dep = mass_dependence(d, ["delta_phi", "mu1_eta"], {"signal_region": [9.0, 10.6]})
    assert dep["delta_phi"] < 0.45 and dep["mu1_eta"] == pytest.approx(0.5)
