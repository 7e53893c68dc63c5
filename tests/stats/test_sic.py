"""SIC on hand-made weighted samples whose answers are worked out below by hand."""

import numpy as np
import pytest

from evenet.stats.sic import sic_scan

# Four signal and five background events. Cuts are the distinct scores; an event passes
# when score >= cut. Signal weights sum to 4, background weights to 40.
SIGNAL = np.array([0.9, 0.8, 0.6, 0.3]), np.array([1.5, 1.0, 0.5, 1.0])
BACKGROUND = np.array([0.95, 0.7, 0.5, 0.2, 0.1]), np.array([2.0, 4.0, 6.0, 8.0, 20.0])
# cut   S_pass eps_S  B_pass eps_B  SIC = eps_S / sqrt(eps_B)
# 0.95  0      0      2      0.05   0
# 0.9   1.5    0.375  2      0.05   1.677
# 0.8   2.5    0.625  2      0.05   2.795   <- maximum with no floor
# 0.7   2.5    0.625  6      0.15   1.614
# 0.6   3.0    0.75   6      0.15   1.936   <- maximum with B >= 5
# 0.5   3.0    0.75   12     0.30   1.369
# 0.3   4.0    1.0    12     0.30   1.826   <- maximum with B >= 10
# 0.2   4.0    1.0    20     0.50   1.414
# 0.1   4.0    1.0    40     1.00   1.000


def scan(min_background, **kwargs):
    return sic_scan(SIGNAL[0], BACKGROUND[0], SIGNAL[1], BACKGROUND[1], min_background=min_background, **kwargs)


def test_curve_is_every_distinct_score_with_weighted_efficiencies():
    curve = scan(0.0).curve
    assert np.allclose(curve.cuts, [0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
    assert np.allclose(curve.eps_s, [1, 1, 1, 0.75, 0.75, 0.625, 0.625, 0.375, 0])
    assert np.allclose(curve.background_yield, [40, 20, 12, 12, 6, 6, 2, 2, 2])
    assert np.allclose(curve.signal_yield, [4, 4, 4, 3, 3, 2.5, 2.5, 1.5, 0])
    assert np.allclose(curve.sic, curve.eps_s / np.sqrt(curve.background_yield / 40))


def test_maximum_without_floor():
    result = scan(0.0)
    assert result.ok
    assert result.cut == 0.8
    assert result.max_sic == pytest.approx(0.625 / np.sqrt(0.05))
    assert result.background_yield == 2.0


@pytest.mark.parametrize("floor, cut, eps_s, eps_b", [(5.0, 0.6, 0.75, 0.15), (10.0, 0.3, 1.0, 0.3)])
def test_background_floor_moves_the_maximum(floor, cut, eps_s, eps_b):
    result = scan(floor)
    assert result.cut == cut
    assert (result.eps_s, result.eps_b) == pytest.approx((eps_s, eps_b))
    assert result.max_sic == pytest.approx(eps_s / np.sqrt(eps_b))
    assert result.background_yield >= floor
    assert np.array_equal(result.curve.allowed, result.curve.background_yield >= floor)


def test_default_floor_is_ten_weighted_events():
    assert sic_scan(SIGNAL[0], BACKGROUND[0], SIGNAL[1], BACKGROUND[1]).cut == 0.3


def test_uncertainty_at_the_maximum_by_hand():
    """Cut 0.6 (floor 5): propagate Var(eps) = (F^2 sum_pass w^2 + P^2 sum_fail w^2) / T^4 by hand."""
    result = scan(5.0)
    # signal: passing weights 1.5, 1.0, 0.5 (P = 3, sum w^2 = 3.5); failing 1.0 (F = 1, sum w^2 = 1)
    var_s = (1.0**2 * 3.5 + 3.0**2 * 1.0) / 4.0**4
    # background: passing 2, 4 (P = 6, sum w^2 = 20); failing 6, 8, 20 (F = 34, sum w^2 = 500)
    var_b = (34.0**2 * 20.0 + 6.0**2 * 500.0) / 40.0**4
    eps_s, eps_b = 0.75, 0.15
    # SIC = eps_s eps_b^(-1/2): dSIC/deps_s = eps_b^(-1/2), dSIC/deps_b = -eps_s eps_b^(-3/2) / 2
    expected = np.sqrt(var_s / eps_b + (eps_s / 2) ** 2 * var_b / eps_b**3)
    assert result.eps_s_error == pytest.approx(np.sqrt(var_s))
    assert result.eps_b_error == pytest.approx(np.sqrt(var_b))
    assert result.max_sic_error == pytest.approx(expected)


def test_uncertainty_agrees_with_poisson_toys_at_the_chosen_cut():
    """Each event's count fluctuates as Poisson(1): the spread of SIC at the fixed cut matches the formula."""
    rng = np.random.default_rng(11)
    sig = rng.beta(5, 2, 2000)
    bkg = rng.beta(2, 5, 20000)
    w_sig = rng.uniform(0.5, 1.5, sig.size) * 0.01
    w_bkg = rng.exponential(1.0, bkg.size)
    result = sic_scan(sig, bkg, w_sig, w_bkg, min_background=300.0)
    pass_s, pass_b = sig >= result.cut, bkg >= result.cut
    toys = []
    for _ in range(1000):
        ws = w_sig * rng.poisson(1.0, sig.size)
        wb = w_bkg * rng.poisson(1.0, bkg.size)
        toys.append(ws[pass_s].sum() / ws.sum() / np.sqrt(wb[pass_b].sum() / wb.sum()))
    # the spread of a std estimated from 1000 toys is 1/sqrt(2 * 1000) = 2.2 %
    assert np.std(toys) == pytest.approx(result.max_sic_error, rel=0.08)


def test_no_cut_passes_the_floor_gives_nan_with_reason():
    result = scan(100.0)
    assert not result.ok
    assert np.isnan(result.max_sic) and np.isnan(result.cut)
    assert "100" in result.reason and "40" in result.reason
    assert len(result.curve.cuts) == 9 and not result.curve.allowed.any()


@pytest.mark.parametrize("signal, background, words", [
    ((np.zeros(0), np.zeros(0)), BACKGROUND, "no signal"),
    (SIGNAL, (np.zeros(0), np.zeros(0)), "no background"),
    (SIGNAL, (np.array([0.5]), np.array([-1.0])), "background weight"),
])
def test_empty_or_weightless_inputs(signal, background, words):
    result = sic_scan(signal[0], background[0], signal[1], background[1])
    assert np.isnan(result.max_sic) and words in result.reason


def test_negative_weights_enter_with_sign_and_nonpositive_eps_b_is_never_chosen():
    # The top background event has weight -3: cuts 0.6 and 0.95 keep a background yield of -3,
    # cut 0.97 keeps none; with a floor of -10 only eps_B > 0 decides which cuts count.
    bkg, w_bkg = np.array([0.95, 0.5, 0.1]), np.array([-3.0, 20.0, 20.0])
    sig, w_sig = np.array([0.97, 0.6]), np.array([1.0, 1.0])
    result = sic_scan(sig, bkg, w_sig, w_bkg, min_background=-10.0)
    curve = result.curve
    assert np.allclose(curve.cuts, [0.1, 0.5, 0.6, 0.95, 0.97])
    assert np.allclose(curve.background_yield, [37, 17, -3, -3, 0])
    assert np.isnan(curve.sic[2:]).all() and curve.allowed.tolist() == [True, True, False, False, False]
    # cut 0.5: eps_S = 1, eps_B = 17 / 37 (the -3 lowers the yield)
    assert result.cut == 0.5 and result.max_sic == pytest.approx(1 / np.sqrt(17 / 37))
    # the variance counts w^2 = 9 of the negative event: passing w^2 = 409, failing w^2 = 400
    var_b = (20.0**2 * 409 + 17.0**2 * 400) / 37.0**4
    assert result.eps_b_error == pytest.approx(np.sqrt(var_b))


def test_unit_weights_and_explicit_cuts():
    result = sic_scan([0.9, 0.8], [0.1] * 20 + [0.85] * 2, min_background=1, cuts=[0.5, 0.85])
    assert np.allclose(result.curve.cuts, [0.5, 0.85])
    # cut 0.5: eps_S = 1, eps_B = 2/22; cut 0.85: eps_S = 0.5, eps_B = 2/22
    assert result.cut == 0.5 and result.max_sic == pytest.approx(1 / np.sqrt(2 / 22))


def test_nan_scores_are_rejected():
    with pytest.raises(ValueError, match="signal: scores"):
        sic_scan([np.nan], [0.1])
    with pytest.raises(ValueError, match="background: 1 scores but 2 weights"):
        sic_scan([0.5], [0.1], None, [1.0, 2.0])
