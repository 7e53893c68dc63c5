"""pyhf expected significance and CLs limits against asymptotic formulae computed independently."""

import numpy as np
import pyhf
import pytest
from scipy import optimize, stats

from evenet.stats.binning import Templates
from evenet.stats.sensitivity import (
    UpperLimit,
    build_model,
    cross_section_limit,
    expected_significance,
    expected_upper_limit,
)


def one_bin(s, b, relative_mc_error=1e-6):
    """One bin whose MC statistical error is negligible (relative 1e-6 of each yield)."""
    return Templates(np.array([0.0, 1.0]), np.array([s]), np.array([(s * relative_mc_error) ** 2]),
                     np.array([b]), np.array([(b * relative_mc_error) ** 2]))


@pytest.mark.parametrize("s, b", [(10.0, 100.0), (5.0, 2.0), (30.0, 1000.0)])
def test_one_bin_discovery_significance_is_the_asimov_formula(s, b):
    z = np.sqrt(2 * ((s + b) * np.log(1 + s / b) - s))  # Cowan et al. 2011, Eq. 97
    result = expected_significance(one_bin(s, b))
    assert result.z == pytest.approx(z, rel=1e-5)
    assert result.p0 == pytest.approx(stats.norm.sf(z), rel=1e-4)


def scipy_expected_limit(s, b, band, level=0.05):
    """Independent one-bin limit: Poisson q~_mu on the background-only Asimov count n = b,
    CLs of the background-only band ``band`` = Phi(band - sqrt(q)) / Phi(band), solved for mu."""
    def cls(mu):
        q = 2 * (mu * s - b * np.log(1 + mu * s / b))
        return stats.norm.cdf(band - np.sqrt(q)) / stats.norm.cdf(band) - level
    return optimize.brentq(cls, 1e-6, 1e3, xtol=1e-12)


@pytest.mark.parametrize("s, b", [(10.0, 100.0), (4.0, 1.0)])
def test_one_bin_upper_limit_matches_the_asymptotic_value(s, b):
    limit = expected_upper_limit(one_bin(s, b))
    median = scipy_expected_limit(s, b, 0)
    # median: CLs = 2 (1 - Phi(sqrt(q))) = 0.05, i.e. sqrt(q) = 1.96
    assert 2 * stats.norm.sf(np.sqrt(2 * (median * s - b * np.log(1 + median * s / b)))) == pytest.approx(0.05)
    assert limit.median == pytest.approx(median, rel=1e-3)
    bands = [limit.minus2, limit.minus1, limit.median, limit.plus1, limit.plus2]
    assert bands == pytest.approx([scipy_expected_limit(s, b, k) for k in (-2, -1, 0, 1, 2)], rel=1e-3)
    assert bands == sorted(bands) and limit.level == 0.05


def test_limits_agree_with_pyhf_own_calculator_on_a_model_with_mc_errors():
    """At each returned limit, pyhf's hypotest gives the expected CLs of that band = 0.05."""
    templates = Templates(np.linspace(0, 1, 4), np.array([1.0, 4.0, 8.0]), np.array([0.1, 0.5, 1.0]),
                          np.array([200.0, 40.0, 6.0]), np.array([50.0, 20.0, 4.0]))
    limit = expected_upper_limit(templates)
    model = build_model(templates)
    pars = np.asarray(model.config.suggested_init())
    pars[model.config.poi_index] = 0.0
    asimov = model.expected_data(pars)
    backend = pyhf.get_backend()
    pyhf.set_backend("numpy", "minuit")
    try:
        # pyhf orders the expected set from the -2 sigma band (lowest limit) to +2 sigma
        for k, mu in enumerate([limit.minus2, limit.minus1, limit.median, limit.plus1, limit.plus2]):
            _, expected_set = pyhf.infer.hypotest(mu, asimov, model, return_expected_set=True)
            assert float(expected_set[k]) == pytest.approx(0.05, abs=2e-4)
    finally:
        pyhf.set_backend(*backend)


def test_mc_statistical_error_weakens_the_expectation():
    precise, coarse = one_bin(10.0, 100.0), one_bin(10.0, 100.0, relative_mc_error=0.1)
    assert expected_significance(coarse).z < 0.9 * expected_significance(precise).z
    assert expected_upper_limit(coarse).median > 1.1 * expected_upper_limit(precise).median


def test_the_pyhf_backend_is_restored():
    before = pyhf.get_backend()
    expected_significance(one_bin(10.0, 100.0))
    assert pyhf.get_backend()[1] is before[1]


def test_cross_section_limit_scales_mu():
    mu = UpperLimit(median=2.0, minus2=1.0, minus1=1.5, plus1=3.0, plus2=4.0, level=0.05)
    xsec = cross_section_limit(mu, 0.5)
    assert (xsec.median, xsec.minus2, xsec.plus2) == (1.0, 0.5, 2.0)
    assert cross_section_limit(2.0, 0.25) == 0.5
    with pytest.raises(ValueError, match="cross section"):
        cross_section_limit(mu, 0.0)


@pytest.mark.parametrize("signal, background, words", [
    ([1.0, 1.0], [10.0, 0.0], "positive background"),
    ([0.0, 0.0], [10.0, 5.0], "no positive yield"),
    ([np.nan, 1.0], [10.0, 5.0], "NaN"),
])
def test_bad_templates_are_rejected(signal, background, words):
    templates = Templates(np.linspace(0, 1, 3), np.array(signal), np.ones(2), np.array(background), np.ones(2))
    with pytest.raises(ValueError, match=words):
        expected_significance(templates)
