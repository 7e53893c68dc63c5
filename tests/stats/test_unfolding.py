"""Iterative Bayesian unfolding through pyunfold against a small numpy implementation of
D'Agostini's iteration, on a known response."""

import numpy as np
import pytest

from evenet.stats.unfolding import build_response, unfold, unfold_many


def dagostini(observed, matrix, efficiencies, prior, n_iterations):
    """n(C) <- 1/eff(C) sum_E n(E) P(E|C) p(C) / sum_C' P(E|C') p(C'), p <- n / sum n."""
    p = prior / prior.sum()
    for _ in range(n_iterations):
        folded = matrix @ p
        unfolded = (matrix * p[None, :] / np.where(folded > 0, folded, 1)[:, None]).T @ observed / efficiencies
        p = unfolded / unfolded.sum()
    return unfolded


KNOWN = np.array([[0.6, 0.1, 0.0],
                  [0.2, 0.7, 0.2],
                  [0.0, 0.1, 0.6],
                  [0.1, 0.0, 0.1]])  # P(reco | truth), columns sum to 0.9 / 0.9 / 0.9


def _events(truth_shape, n, seed):
    """Truth bins from truth_shape, reco bins through KNOWN (-1 = lost)."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(3, size=n, p=np.asarray(truth_shape) / np.sum(truth_shape))
    table = np.vstack([KNOWN, 1 - KNOWN.sum(axis=0)])  # last row: not reconstructed
    reco = np.array([rng.choice(5, p=table[:, t]) for t in truth])
    return truth, np.where(reco == 4, -1, reco)


def test_response_from_events():
    truth, reco = _events([1, 1, 1], 30000, 1)
    response = build_response(truth, reco, 3, 4)
    np.testing.assert_allclose(response.matrix, KNOWN, atol=0.015)
    np.testing.assert_allclose(response.efficiencies, 0.9, atol=0.01)
    binomial = np.sqrt(response.matrix * (1 - response.matrix) / response.truth[None, :])
    np.testing.assert_allclose(response.matrix_err, binomial, rtol=1e-9)


@pytest.mark.parametrize("n_iterations", [1, 3, 10])
def test_pyunfold_equals_numpy_dagostini(n_iterations):
    truth, reco = _events([1, 2, 1], 20000, 2)
    response = build_response(truth, reco, 3, 4)
    observed = np.array([3000.0, 5200.0, 2500.0, 900.0])
    prior = np.array([0.2, 0.5, 0.3])
    got = unfold(observed, response, n_iterations, prior=prior)
    want = dagostini(observed, response.matrix, response.efficiencies, prior, n_iterations)
    assert got.n_iterations == n_iterations
    np.testing.assert_allclose(got.counts, want, rtol=1e-10)
    many = unfold_many(np.stack([observed, 2 * observed]), response, n_iterations, prior=prior)
    np.testing.assert_allclose(many[0], want, rtol=1e-10)
    np.testing.assert_allclose(many[1], 2 * want, rtol=1e-10)
    flat = unfold(observed, response, n_iterations)
    np.testing.assert_allclose(flat.counts, dagostini(observed, response.matrix, response.efficiencies,
                                                      np.ones(3), n_iterations), rtol=1e-10)


def test_unfolding_recovers_a_different_truth():
    """Response from a flat truth, data from a steep one: the unfolded counts approach the data's
    truth (not the response sample's) within their errors."""
    truth, reco = _events([1, 1, 1], 60000, 3)
    response = build_response(truth, reco, 3, 4)
    data_truth, data_reco = _events([5, 3, 1], 20000, 4)
    observed = np.bincount(data_reco[data_reco >= 0], minlength=4).astype(float)
    got = unfold(observed, response, 20)
    expected = np.bincount(data_truth, minlength=3)
    assert np.all(np.abs(got.counts - expected) < 3 * np.hypot(got.stat_err, got.sys_err) + 0.02 * expected)


def test_empty_truth_bin_and_bad_input():
    truth = np.array([0, 0, 1, 1])
    reco = np.array([0, -1, 1, 1])
    response = build_response(truth, reco, 3, 2)
    assert response.efficiencies[2] == 0
    got = unfold(np.array([10.0, 20.0]), response, 2)
    assert got.counts[2] == 0
    with pytest.raises(ValueError, match="shape"):
        unfold(np.ones(3), response, 2)
    with pytest.raises(ValueError, match="outside"):
        build_response([3], [0], 3, 2)
