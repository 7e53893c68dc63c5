"""The spin unfolding and measurement on synthetic samples with known C: self-closure is exact,
an independent response recovers a different injected D, and the luminosity scaling."""

import dataclasses

import numpy as np
import pytest

from analyses.ttbar_qe.measure import Sample, measure
from analyses.ttbar_qe.spin_reweighting import generator_correlation, response_weights, target_correlation
from analyses.ttbar_qe.spin_unfolding import SpinUnfolder, UnfoldingSetup, bin_index
from evenet.physics.spin import products
from ttbar_events import make_events

SETUP = UnfoldingSetup((0.0, 400.0, 800.0, np.inf), 6, 4, "response")
CONFIG = {"threshold_bin": 0, "uncertainty": {"luminosity_fb": 140.0, "replicas": 50, "seed": 1}}


def _sample(c, n, seed, efficiency=0.5, smear=0.05):
    """Cosines drawn from 1 - cos+ C cos- (paper convention, |C| small), m_tt flat in [300, 900];
    a fraction ``efficiency`` (or efficiency(cos+, cos-) per event) is 'selected' and its cosines
    smeared. The sample records the C it was generated with (for spin reweighting)."""
    rng = np.random.default_rng(seed)
    out = []
    while sum(len(o[0]) for o in out) < n:
        a, b = rng.uniform(-1, 1, (2 * n, 3)), rng.uniform(-1, 1, (2 * n, 3))
        keep = rng.uniform(0, 2, 2 * n) < 1 - np.sum((a @ c) * b, axis=1)
        out.append((a[keep], b[keep]))
    cos_plus = np.concatenate([o[0] for o in out])[:n]
    cos_minus = np.concatenate([o[1] for o in out])[:n]
    truth = products(cos_plus, cos_minus)
    mtt = rng.uniform(300, 900, n)
    ok = rng.random(n) < (efficiency(cos_plus, cos_minus) if callable(efficiency) else efficiency)
    reco = products(np.clip(cos_plus + rng.normal(0, smear, cos_plus.shape), -1, 1),
                    np.clip(cos_minus + rng.normal(0, smear, cos_minus.shape), -1, 1))
    return Sample(truth, mtt, np.where(ok[:, None], reco, np.nan), np.where(ok, mtt * rng.normal(1, 0.02, n), np.nan),
                  ok, n, cos_plus, cos_minus, np.broadcast_to(c, (n, 3, 3)).copy())


def _d(c):
    return abs(c[0, 0] + c[1, 1]) - c[2, 2]


def test_bin_index():
    z = np.zeros((3, 9))
    z[1, 0] = 0.99
    got = bin_index(z, np.array([100.0, 500.0, 1e4]), np.array([True, True, False]), SETUP)
    assert got[0, 0] == 3 and got[1, 0] == 6 + 5 and np.all(got[2] == -1)


def test_self_closure_is_exact():
    s = _sample(-0.5 * np.eye(3), 4000, 1)
    unfolder = SpinUnfolder(SETUP, s.truth_products, s.truth_mtt, s.reco_products, s.reco_mtt, s.reco_ok)
    c = unfolder.correlation_matrix(unfolder.unfold_central(unfolder.observed(s.reco_products, s.reco_mtt, s.reco_ok)[0]))
    threshold = s.truth_mtt < 400
    expected = -9 * s.truth_products[threshold].mean(axis=0).reshape(3, 3)
    np.testing.assert_allclose(c[0], expected, atol=1e-8)


@pytest.mark.parametrize("c_data", [-0.6 * np.eye(3), -0.2 * np.eye(3)])
def test_independent_response_recovers_the_injected_d(c_data):
    response = _sample(-0.4 * np.eye(3), 20000, 2)
    data = _sample(c_data, 8000, 3)
    result = measure(SETUP, CONFIG, response, data, xsec_pb=1.0)["numbers"]
    d_injected = _d(c_data)
    assert abs(result["D"].value - d_injected) < 3 * result["D_sample_error"].value + 0.05
    # luminosity scaling: 1 pb x 140/fb = 140000 expected events for 8000 generated
    assert result["D"].error == pytest.approx(result["D_sample_error"].value * np.sqrt(8000 / 140000.0))
    assert result["Delta_D"].value == pytest.approx(result["D"].error / (result["D"].value - 1))



def test_spin_reweighting_turns_one_spin_state_into_another():
    s = _sample(-0.6 * np.eye(3), 30000, 4)
    target = np.diag([-0.3, 0.3, -0.2])
    c_bins = np.broadcast_to(target, (SETUP.n_mtt, 3, 3))
    w = response_weights("constant", c_bins, s.truth_cos_plus, s.truth_cos_minus, s.truth_mtt, SETUP.mtt_edges,
                         s.generator_c)
    c = -9 * (w[:, None] * s.truth_products).sum(axis=0).reshape(3, 3) / w.sum()
    np.testing.assert_allclose(c, target, atol=0.06)   # ~3 sigma at 30k events
    # sm_shape keeps the generated per-event variation and moves its bin mean to the target
    shifted = target_correlation("sm_shape", c_bins, s.truth_mtt, SETUP.mtt_edges, s.generator_c)
    np.testing.assert_allclose(shifted, np.broadcast_to(target, shifted.shape), atol=1e-12)


def test_generator_correlation_converts_the_generator_convention():
    truth, _ = make_events(5, 1)
    c = generator_correlation(truth, [[0.6, 0, 0], [0, 0.3, 0], [0, 0, 0.6]])
    np.testing.assert_allclose(c, np.broadcast_to(-np.diag([0.6, 0.3, 0.6]), (5, 3, 3)))
    with pytest.raises(ValueError, match="incoming partons"):
        generator_correlation(truth, "sm")
    sm = generator_correlation(dataclasses.replace(truth, gluon_fusion=np.ones(5, bool)), "sm")
    assert sm.shape == (5, 3, 3) and np.all(np.abs(sm) <= 1 + 1e-12)


def test_reweighted_measurement_recovers_the_injected_d():
    response = _sample(-0.4 * np.eye(3), 20000, 2)
    data = _sample(-0.2 * np.eye(3), 8000, 3)
    result = measure(SETUP, {**CONFIG, "unfolding": {"reweighting_iterations": 2}}, response, data, xsec_pb=1.0)
    numbers = result["numbers"]
    assert abs(numbers["D"].value - _d(-0.2 * np.eye(3))) < 3 * numbers["D_sample_error"].value + 0.05
    assert len(result["extra"]["reweighting"]["D_history"]) == 3
    assert numbers["D_model"].value >= 0
