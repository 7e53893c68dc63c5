"""Helicity basis, decay angles and C_ij / D on hand-built events with known angles,
the sign(y) factor and the generator -> paper convention conversion."""

import numpy as np
import pytest

from evenet.physics.spin import (atlas_d, boost, from_generator_convention, helicity_basis, lepton_cosines, marker_d,
                                 mtt_bins, spin_coefficients)

M_TOP = 172.5


def _p4(m, p3):
    p3 = np.asarray(p3, dtype=float)
    return np.concatenate([[np.sqrt(m**2 + p3 @ p3)], p3])


def _event(theta, cos_plus, cos_minus, lab_beta, p_top=150.0):
    """Top at polar angle theta in the ttbar rest frame (in the x-z plane), leptons at the given
    (k, r, n) components in their parents' rest frames, all boosted to the lab by lab_beta.
    The axes are written out by hand: k = (sin, 0, cos), r = s (-cos, 0, sin), n = s (0, 1, 0),
    s = sign(cos theta)."""
    s = 1.0 if np.cos(theta) >= 0 else -1.0
    k = np.array([np.sin(theta), 0.0, np.cos(theta)])
    r = s * np.array([-np.cos(theta), 0.0, np.sin(theta)])
    n = s * np.array([0.0, 1.0, 0.0])
    top, antitop = _p4(M_TOP, p_top * k), _p4(M_TOP, -p_top * k)
    to_lab = np.asarray(lab_beta, dtype=float)[None]
    out = [boost(top[None], to_lab)[0], boost(antitop[None], to_lab)[0]]
    for parent, cosines in ((top, cos_plus), (antitop, cos_minus)):
        direction = np.asarray(cosines, dtype=float) @ np.stack([k, r, n])
        lepton_rest = _p4(0.0, 30.0 * direction / np.linalg.norm(direction))
        lepton_zmf = boost(lepton_rest[None], parent[None, 1:] / parent[None, :1])
        out.append(boost(lepton_zmf, to_lab)[0])
    return [x[None] for x in out]


@pytest.mark.parametrize("theta", [0.4, 1.2, 2.0, 2.9])
@pytest.mark.parametrize("lab_beta", [(0, 0, 0), (0, 0, 0.6), (0.2, -0.3, -0.5)])
def test_known_angles_are_recovered(theta, lab_beta):
    cos_plus = np.array([0.6, 0.0, 0.8])
    cos_minus = np.array([-0.48, 0.6, 0.64])
    top, antitop, lp, lm = _event(theta, cos_plus, cos_minus, lab_beta)
    got_plus, got_minus = lepton_cosines(top, antitop, lp, lm)
    np.testing.assert_allclose(got_plus[0], cos_plus, atol=1e-9)
    np.testing.assert_allclose(got_minus[0], cos_minus, atol=1e-9)


def test_sign_y_flips_r_and_n_for_a_backward_top():
    forward = helicity_basis(_p4(M_TOP, [50.0, 0.0, 100.0])[None])[0]
    backward = helicity_basis(_p4(M_TOP, [50.0, 0.0, -100.0])[None])[0]
    np.testing.assert_allclose(forward[1], np.array([-100.0, 0.0, 50.0]) / np.hypot(50, 100), atol=1e-12)
    np.testing.assert_allclose(forward[2], [0, 1, 0], atol=1e-12)
    # mirrored top (z -> -z): without sign(y) r would be (100, 0, 50)/norm and n = (0, 1, 0)
    np.testing.assert_allclose(backward[1], np.array([-100.0, 0.0, -50.0]) / np.hypot(50, 100), atol=1e-12)
    np.testing.assert_allclose(backward[2], [0, -1, 0], atol=1e-12)
    # n = p x k, so (k, r, n) is left-handed; sign(y) flips r and n together
    assert np.dot(np.cross(forward[0], forward[1]), forward[2]) == pytest.approx(-1.0)
    assert np.dot(np.cross(backward[0], backward[1]), backward[2]) == pytest.approx(-1.0)


def test_sign_y_keeps_c_rk_in_forward_backward_symmetric_events():
    """A correlation cos_r+ cos_k- fixed in the helicity frame survives summing a forward
    and its mirrored backward event only because of sign(y)."""
    events = [_event(theta, [0.0, 1.0, 0.0], [1.0, 0.0, 0.0], (0, 0, 0)) for theta in (0.7, np.pi - 0.7)]
    cos_plus, cos_minus = lepton_cosines(*(np.concatenate(parts) for parts in zip(*events)))
    c = spin_coefficients(cos_plus, cos_minus).C
    assert c[1, 0] == pytest.approx(-9.0)


def test_coefficients_are_the_moments():
    cos_plus = np.array([[0.5, 0.1, -0.2], [-0.3, 0.4, 0.6], [0.2, -0.7, 0.1]])
    cos_minus = np.array([[0.3, -0.5, 0.8], [0.1, 0.2, -0.4], [-0.6, 0.3, 0.5]])
    sc = spin_coefficients(cos_plus, cos_minus)
    for i in range(3):
        for j in range(3):
            assert sc.C[i, j] == pytest.approx(-9 * np.mean(cos_plus[:, i] * cos_minus[:, j]))
    np.testing.assert_allclose(sc.B_plus, 3 * cos_plus.mean(axis=0))
    np.testing.assert_allclose(sc.B_minus, -3 * cos_minus.mean(axis=0))
    # covariance of a mean: var / N with the 1/N (population) variance
    assert sc.covariance[0, 0] == pytest.approx(np.var(-9 * cos_plus[:, 0] * cos_minus[:, 0]) / 3)


def test_d_error_propagates_the_correlations():
    c = np.diag([0.4, 0.1, 0.3])
    cov = np.zeros((9, 9))
    cov[0, 0], cov[4, 4], cov[8, 8] = 0.04, 0.09, 0.01
    cov[0, 8] = cov[8, 0] = 0.015
    d, sigma = marker_d(-c, cov)
    assert d == pytest.approx(0.5 + 0.3)
    # D = -(C_kk + C_rr) - C_nn for C_kk + C_rr < 0: gradient (-1, -1, -1)
    assert sigma == pytest.approx(np.sqrt(0.04 + 0.09 + 0.01 + 2 * 0.015))


def test_generator_convention_conversion():
    """The generator's old C = 0.47 x identity (Bernreuther sign) is D = 1.41 in the paper's
    convention, tr(C)/3 = -0.47 (ATLAS), i.e. entangled; not D = 0.47."""
    c, b_plus, b_minus = from_generator_convention(0.47 * np.eye(3), [0.1, 0, 0], [0, 0.2, 0])
    np.testing.assert_allclose(c, -0.47 * np.eye(3))
    np.testing.assert_allclose(b_plus, [0.1, 0, 0])
    np.testing.assert_allclose(b_minus, [0, 0.2, 0])
    assert marker_d(c)[0] == pytest.approx(1.41)
    assert atlas_d(c) == pytest.approx(-0.47)
    # the spin singlet: C = -1 in the paper convention, D = 3, tr(C)/3 = -1
    assert marker_d(-np.eye(3))[0] == pytest.approx(3.0)


def test_mtt_bins():
    got = mtt_bins(np.array([-1.0, 0.0, 399.9, 400.0, 650.0, 800.0, 1e5]))
    np.testing.assert_array_equal(got, [-1, 0, 0, 1, 2, 3, 3])
