"""Binomial intervals against scipy, weighted efficiencies by hand, bootstrap coverage."""

import numpy as np
import pytest
from scipy import stats

from evenet.stats.intervals import (
    ONE_SIGMA,
    bootstrap,
    clopper_pearson,
    efficiency,
    efficiency_variance,
    paired_bootstrap,
    weighted_efficiency,
    wilson,
)


@pytest.mark.parametrize("k, n", [(0, 10), (3, 10), (10, 10), (1, 1), (17, 250), (480, 500)])
@pytest.mark.parametrize("level", [ONE_SIGMA, 0.95])
def test_clopper_pearson_and_wilson_match_scipy_binomtest(k, n, level):
    test = stats.binomtest(k, n)
    exact = test.proportion_ci(confidence_level=level, method="exact")
    score = test.proportion_ci(confidence_level=level, method="wilson")
    assert np.allclose(clopper_pearson(k, n, level), (exact.low, exact.high), rtol=1e-9, atol=1e-12)
    assert np.allclose(wilson(k, n, level), (score.low, score.high), rtol=1e-9, atol=1e-12)


def test_intervals_broadcast_and_empty_total_is_nan():
    low, high = clopper_pearson(np.array([0, 2, 5]), np.array([5, 5, 0]))
    assert low.shape == (3,) and low[0] == 0.0 and np.isnan(low[2]) and np.isnan(high[2])
    assert 0 < low[1] < 0.4 < high[1] < 1


def test_efficiency_counts():
    e = efficiency(30, 40)
    assert e.value == 0.75
    assert e.error == pytest.approx(np.sqrt(0.75 * 0.25 / 40))
    assert e.low < 0.75 < e.high
    assert np.isnan(efficiency(0, 0).value)
    with pytest.raises(ValueError):
        efficiency(5, 4)


def test_weighted_efficiency_by_hand():
    w = np.array([2.0, 1.0, 3.0, 0.5])
    passed = np.array([True, False, True, False])
    e = weighted_efficiency(w, passed)
    p, f = 5.0, 1.5
    var = (f**2 * (4 + 9) + p**2 * (1 + 0.25)) / (p + f) ** 4
    assert e.value == pytest.approx(p / (p + f))
    assert e.error == pytest.approx(np.sqrt(var))
    n_eff = 6.5**2 / 14.25
    assert e.total == pytest.approx(n_eff)
    assert e.passed == pytest.approx(n_eff * p / (p + f))


def test_weighted_efficiency_with_unit_weights_is_binomial():
    passed = np.arange(40) < 30
    e = weighted_efficiency(np.ones(40), passed)
    counts = efficiency(30, 40)
    assert e.value == pytest.approx(counts.value)
    assert e.error == pytest.approx(counts.error)
    assert (e.low, e.high) == pytest.approx((counts.low, counts.high))


def test_efficiency_variance_zero_total_is_nan():
    assert np.isnan(efficiency_variance(1.0, 1.0, -1.0, 1.0))


def test_bootstrap_is_seeded_and_its_std_matches_the_standard_error():
    rng = np.random.default_rng(1)
    x = rng.normal(3.0, 2.0, 400)
    first = bootstrap(np.mean, x, n_resamples=500, seed=7)
    second = bootstrap(np.mean, x, n_resamples=500, seed=7)
    assert first.value == pytest.approx(x.mean())
    assert np.array_equal(first.samples, second.samples)
    assert first.std == pytest.approx(x.std(ddof=1) / np.sqrt(400), rel=0.1)
    assert first.low < first.value < first.high
    assert first.n_failed == 0


def test_bootstrap_percentile_interval_covers_the_true_mean_at_its_level():
    """Repeated experiments: the 68 % interval of the mean contains the truth in ~68 % of them."""
    rng = np.random.default_rng(2)
    truth, experiments = 1.0, 200
    covered = 0
    for i in range(experiments):
        x = rng.exponential(truth, 200)
        result = bootstrap(np.mean, x, n_resamples=100, seed=i)
        covered += result.low <= truth <= result.high
    # binomial spread of the coverage estimate: sqrt(0.68 * 0.32 / 200) = 0.033; 3 sigma either side
    assert 0.58 < covered / experiments < 0.78


def test_bootstrap_strata_keep_class_counts_and_vector_statistics():
    labels = np.array([1] * 5 + [0] * 95)
    values = np.arange(100.0)
    result = bootstrap(lambda v, y: np.array([y.sum(), v.mean()]), values, labels, n_resamples=50,
                       strata=labels)
    assert np.all(result.samples[:, 0] == 5)
    assert result.value.shape == (2,) and result.std[0] == 0.0


def test_bootstrap_counts_failed_resamples():
    x = np.array([0.0] * 3 + [1.0] * 3)
    result = bootstrap(lambda v: 1.0 / v.sum() if v.sum() > 0 else np.nan, x, n_resamples=400, seed=3)
    assert 0 < result.n_failed < 400  # all-zero resamples happen with probability 1/64
    assert np.isfinite(result.std)


def test_paired_bootstrap_difference_removes_the_shared_fluctuation():
    rng = np.random.default_rng(4)
    shared = rng.normal(0, 1, 500)
    a, b = shared + 0.3 + rng.normal(0, 0.05, 500), shared + rng.normal(0, 0.05, 500)
    result = paired_bootstrap(lambda x, y: x.mean(), lambda x, y: y.mean(), a, b, n_resamples=400, seed=0)
    assert result.difference.value == pytest.approx(a.mean() - b.mean())
    assert result.difference.std < 0.2 * result.a.std  # paired: the common spread cancels
    assert result.difference.low > 0.2
    assert np.allclose(result.difference.samples, result.a.samples - result.b.samples)
    assert np.allclose(result.ratio.samples, result.a.samples / result.b.samples)


def test_bootstrap_rejects_mismatched_or_empty_arrays():
    with pytest.raises(ValueError, match="length"):
        bootstrap(lambda x, y: 0.0, np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="empty"):
        bootstrap(np.mean, np.zeros(0))
