"""Bump hunt: binning, the scaled-Poisson likelihood, the quintic sideband fit and Z = sqrt(q0)."""

import numpy as np
import pytest
from iminuit import Minuit
from iminuit.cost import ExtendedBinnedNLL
from numpy.polynomial import polynomial
from scipy import stats

from evenet.errors import ConfigError
from evenet.stats.bumphunt import (bump_hunt, discovery_significance, fit_sidebands, histogram, mass_edges,
                                   scaled_poisson_deviance, signal_region_bins)

SR, RANGE = (9.0, 10.6), (5.0, 16.0)


def test_edges_are_12_in_the_signal_region_at_1p5_percent_stepped_into_the_sidebands():
    edges = mass_edges(SR, RANGE, 12)
    ratio = edges[1:] / edges[:-1]
    assert np.allclose(ratio, ratio[0]) and abs(ratio[0] - 1.015) < 0.001
    inside = edges[(edges >= 9.0 - 1e-9) & (edges <= 10.6 + 1e-9)]
    assert len(inside) == 12 and np.isclose(inside[0], 9.0) and np.isclose(inside[-1], 10.6)
    assert edges[0] >= 5.0 and edges[0] / ratio[0] < 5.0 and edges[-1] <= 16.0 and edges[-1] * ratio[0] > 16.0
    assert signal_region_bins(edges, SR).sum() == 11
    with pytest.raises(ConfigError, match="signal_region"):
        mass_edges((9.0, 17.0), RANGE)


def test_scaled_poisson_equals_poisson_for_unit_weights_and_iminuits_weighted_cost():
    rng = np.random.default_rng(1)
    mu = rng.uniform(0.5, 30, 20)
    n = rng.poisson(mu).astype(float)
    poisson = -2 * np.sum(stats.poisson.logpmf(n, mu) - stats.poisson.logpmf(n, n))
    assert np.isclose(scaled_poisson_deviance(n, n, mu), poisson, rtol=1e-10)
    edges = np.arange(21.0)
    cdf = lambda xe, a: a * np.concatenate([[0.0], np.cumsum(mu)])
    unweighted, weighted = ExtendedBinnedNLL(n, edges, cdf), ExtendedBinnedNLL(np.stack([n, n], 1), edges, cdf)
    assert np.isclose(unweighted(1.0), weighted(1.0)) and np.isclose(weighted(1.0), poisson)
    # real weights: same value as iminuit's Bohm-Zech cost
    w = rng.uniform(0.2, 2.0, (20, 30)) * (rng.random((20, 30)) < 0.5)
    sumw, sumw2 = w.sum(1), (w**2).sum(1)
    assert np.isclose(scaled_poisson_deviance(sumw, sumw2, mu), ExtendedBinnedNLL(np.stack([sumw, sumw2], 1), edges, cdf)(1.0))


ROOTS = [17.0, 18.0, 19.5, 21.0, 23.0]  # a quintic that is positive and falling over 5-16 GeV


def _expected(edges):
    """Bin integrals of the known quintic density -(m - 17)...(m - 23) / 22 (about 70k events)."""
    anti = polynomial.polyint(polynomial.polyfromroots(ROOTS))
    return -np.diff(polynomial.polyval(edges, anti)) / 22.0


def test_quintic_fit_recovers_a_known_polynomial():
    edges = mass_edges(SR, RANGE, 12)
    sr = signal_region_bins(edges, SR)
    expected = _expected(edges)
    assert expected.min() > 0 and 3e4 < expected.sum() < 2e5
    pulls = []
    for seed in range(40):
        counts = np.random.default_rng(seed).poisson(expected).astype(float)
        fit = fit_sidebands(edges, counts, counts, sr, degree=5)
        assert fit.valid
        b, sigma_b = fit.signal_region_yield()
        pulls.append((b - expected[sr].sum()) / sigma_b)
    pulls = np.array(pulls)
    assert abs(pulls[0]) < 2
    assert abs(pulls.mean()) < 0.5 and 0.6 < pulls.std() < 1.4


def test_z_equals_sqrt_q0_of_the_asymptotic_counting_formula():
    for n, b in [(130.0, 100.0), (12.0, 4.0), (5200.0, 5000.0)]:
        q0, z = discovery_significance(n, n, b)
        assert np.isclose(z, np.sqrt(2 * (n * np.log(n / b) - (n - b))), rtol=1e-12) and np.isclose(z**2, q0)
    # Cowan et al. (Eur. Phys. J. C 71 (2011) 1554), Asimov n = s + b: Z_A = sqrt(2 ((s+b) ln(1+s/b) - s))
    s, b = 30.0, 100.0
    assert np.isclose(discovery_significance(s + b, s + b, b)[1], np.sqrt(2 * ((s + b) * np.log(1 + s / b) - s)))
    assert discovery_significance(90.0, 90.0, 100.0) == (0.0, 0.0)
    # weights: the scaled counts (every event weight 2 is the unit-weight experiment of half the events)
    assert np.isclose(discovery_significance(260.0, 520.0, 200.0)[1], discovery_significance(130.0, 130.0, 100.0)[1])


def test_background_uncertainty_is_profiled_like_a_numerical_fit():
    n, b, sigma = 130.0, 100.0, 8.0

    def nll(bp, mu_s):
        return 2 * (bp + mu_s - n * np.log(bp + mu_s)) + (bp - b) ** 2 / sigma**2

    null = Minuit(lambda bp: nll(bp, 0.0), b)
    null.limits = [(1e-3, None)]
    null.errordef = 1
    null.migrad()
    free = Minuit(nll, b, n - b)
    free.errordef = 1
    free.migrad()
    q0, z = discovery_significance(n, n, b, sigma)
    assert np.isclose(q0, null.fval - free.fval, rtol=1e-5)
    assert z < discovery_significance(n, n, b)[1]


def test_bump_hunt_sees_an_injected_peak_and_not_a_smooth_spectrum():
    rng = np.random.default_rng(5)
    edges = mass_edges(SR, RANGE, 12)
    continuum = 5.0 - 3.0 * np.log(1 - rng.random(40000) * (1 - np.exp(-11 / 3)))
    peak = rng.normal(9.46, 0.095, 600)
    assert bump_hunt(continuum, edges, SR).significance < 3
    found = bump_hunt(np.concatenate([continuum, peak]), edges, SR)
    assert found.significance > 5 and found.observed > found.background
    sumw, sumw2 = histogram(continuum, edges, np.full(len(continuum), 0.5))
    assert np.allclose(sumw2, sumw / 2)
