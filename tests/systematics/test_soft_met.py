"""Soft MET: magnitudes follow the truncated log-normal (goodness of fit at a fixed seed),
directions are uniform, and the vector is added to MET."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
from scipy import stats

from evenet.systematics.config import SoftMETVariation, parse_variation
from evenet.systematics.pseudo_experiments import vary_chunk
from evenet.systematics.soft_met import soft_met_kicks, truncated_lognormal_cdf

from systematics_testing import haa_event, selected_chunk, selection_block

PAPER = SoftMETVariation(mu=0.0, sigma=1.0, max_gev=5.0)
N = 20_000


def _identity(n):
    return np.full(n, 1, np.uint64), np.full(n, 7, np.uint64), np.arange(n, dtype=np.uint64)


def test_magnitudes_follow_the_truncated_lognormal():
    magnitude, _ = soft_met_kicks(PAPER, 1234, *_identity(N))
    assert magnitude.min() >= 0.0 and magnitude.max() <= 5.0
    result = stats.kstest(magnitude, lambda x: truncated_lognormal_cdf(x, PAPER))
    assert result.pvalue > 0.01
    # the untruncated log-normal is rejected: the fit is not vacuous
    assert stats.kstest(magnitude, stats.lognorm(s=1.0).cdf).pvalue < 1e-6
    # and the reference distribution is scipy's truncated one (mass above 5 GeV removed)
    top = stats.lognorm(s=1.0).cdf(5.0)
    x = np.array([0.3, 1.0, 2.0, 4.9])
    np.testing.assert_allclose(truncated_lognormal_cdf(x, PAPER), stats.lognorm(s=1.0).cdf(x) / top, rtol=1e-12)


def test_directions_are_uniform_and_independent_of_the_magnitude():
    magnitude, phi = soft_met_kicks(PAPER, 1234, *_identity(N))
    assert phi.min() >= 0.0 and phi.max() < 2 * np.pi
    assert stats.kstest(phi, stats.uniform(0.0, 2 * np.pi).cdf).pvalue > 0.01
    # Rayleigh test: no preferred direction
    resultant = np.hypot(np.cos(phi).sum(), np.sin(phi).sum()) / N
    assert N * resultant**2 < 6.0  # 2 N R^2 ~ chi2(2): p > 0.0025
    assert abs(stats.spearmanr(magnitude, phi).statistic) < 0.03


def test_draws_are_seeded_per_event_and_experiment():
    a, _ = soft_met_kicks(PAPER, 1, *_identity(100))
    b, _ = soft_met_kicks(PAPER, 1, *_identity(100))
    c, _ = soft_met_kicks(PAPER, 2, *_identity(100))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    run, lumi, event = _identity(100)
    reversed_, _ = soft_met_kicks(PAPER, 1, run[::-1], lumi[::-1], event[::-1])
    assert np.array_equal(reversed_[::-1], a)  # a function of the event, not of its position


def test_vector_added_to_met():
    chunk = selected_chunk([haa_event(45.0, met=(20.0, 0.0)), haa_event(50.0, met=(10.0, 1.0))])
    varied, magnitude = vary_chunk(chunk, PAPER, 99, "haa", selection_block("haa"))
    _, phi = soft_met_kicks(PAPER, 99, *(ak.to_numpy(chunk[f]) for f in ("run", "luminosityBlock", "event")))
    before = ak.to_numpy(chunk.MET.pt).astype(float), ak.to_numpy(chunk.MET.phi).astype(float)
    x = before[0] * np.cos(before[1]) + magnitude * np.cos(phi)
    y = before[0] * np.sin(before[1]) + magnitude * np.sin(phi)
    np.testing.assert_allclose(ak.to_numpy(varied.MET.pt), np.hypot(x, y), rtol=1e-6)
    np.testing.assert_array_equal(ak.to_numpy(varied.objects.pt), ak.to_numpy(chunk.objects.pt))


def test_sigma_must_be_positive():
    from evenet.errors import ConfigError

    with pytest.raises(ConfigError, match="systematics.soft_met.sigma"):
        parse_variation("soft_met", {"mu": 0.0, "sigma": 0.0, "max_gev": 5.0})
