"""The k-fold classifier: every data event is scored by models that never trained on it."""

import numpy as np

from analyses.cathode.classifier import auc, kfold_scores
from analyses.cathode.search import lr_weights

PARAMS = {"max_depth": 6, "learning_rate": 0.3, "n_estimators": 60}


def test_every_data_event_is_scored_only_by_models_that_did_not_train_on_it():
    rng = np.random.default_rng(0)
    x_data, x_gen, x_others = rng.normal(size=(600, 3)), rng.normal(size=(900, 3)), rng.normal(size=(50, 3))
    s = kfold_scores(x_data, x_gen, x_others, folds=4, ensemble=2, params=PARAMS, early_stopping_rounds=5, seed=1)
    assert len(s.trained_on) == 4 and np.bincount(s.data_fold).tolist() == [150] * 4
    for k, trained in enumerate(s.trained_on):
        assert not np.isin(np.flatnonzero(s.data_fold == k), trained).any()
        assert np.isin(np.flatnonzero(s.data_fold != k), trained).all()
    assert s.others.shape == (50,) and np.all((s.others > 0) & (s.others < 1))


def test_memorised_data_events_do_not_leak_into_their_scores():
    """Each data event carries a unique tag the BDTs can memorise: scored in-fold it would be
    recognised (AUC near 1); out of fold the scores of data and generated events match."""
    rng = np.random.default_rng(2)
    n = 800
    x_data = np.stack([rng.permutation(n) * 2.0, rng.normal(size=n)], axis=1)  # even tags
    x_gen = np.stack([rng.permutation(n) * 2.0 + 1.0, rng.normal(size=n)], axis=1)  # odd tags
    s = kfold_scores(x_data, x_gen, np.zeros((0, 2)), folds=4, ensemble=1,
                     params={"max_depth": 8, "learning_rate": 0.5, "n_estimators": 100}, early_stopping_rounds=100,
                     seed=3)
    assert abs(auc(s.data, s.generated) - 0.5) < 0.1


def test_auc_and_likelihood_ratio_weights():
    assert auc(np.array([0.9, 0.8]), np.array([0.1, 0.2])) == 1.0
    assert auc(np.array([0.5]), np.array([0.5])) == 0.5
    mu = 0.1
    z = np.array([0.2, 0.5, 0.6, 0.9])
    w = lr_weights(z, mu)
    expected = (z - (1 - mu) * (1 - z)) / (mu * (1 - z))
    assert np.allclose(w, np.clip(expected, 0, None)) and w[0] == 0 and np.isclose(w[1], 1.0)
    # z from p_data = mu p_sig + (1 - mu) p_bkg: the weight is p_sig / p_bkg
    p_sig, p_bkg = 3.0, 0.5
    p_data = mu * p_sig + (1 - mu) * p_bkg
    assert np.isclose(lr_weights(np.array([p_data / (p_data + p_bkg)]), mu)[0], p_sig / p_bkg)
