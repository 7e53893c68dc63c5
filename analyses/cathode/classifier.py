"""k-fold XGBoost ensemble separating SR data from generated SR background.

Data events are split into ``folds`` folds by position in a seeded permutation; the
generated events likewise. The ensemble of fold k is trained on the data and generated
events of every other fold (classes balanced by weight: each class sums to the same
total) and scores the data of fold k, so every data event's score comes from models
that never saw it (generated events likewise). Each of the ``ensemble`` BDTs of a fold holds out a random 20 % of
its training events for early stopping and predicts with its best iteration; their
probabilities are averaged. Events of no training set (``others``: sideband data, the
other channel) are each assigned a fold at random and scored by that fold's ensemble
alone, exactly as a data event of the fold: averaging all folds would shrink their
score spread, and since the likelihood-ratio weight is convex in the score, SR data
(one fold's score) would then carry a larger mean weight than sideband events at the
same true likelihood ratio, a spurious SR excess (seen: 5 sigma on the signal-free
same-sign channel with a perfect background).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xgboost as xgb

HOLDOUT = 0.2


@dataclass(frozen=True)
class Scores:
    data: np.ndarray  # (n_data,) out-of-fold score of each data event
    generated: np.ndarray  # (n_generated,) out-of-fold score of each generated event
    others: np.ndarray  # (n_others,) score of one (random) fold's ensemble
    data_fold: np.ndarray  # (n_data,) fold each data event belongs to
    trained_on: list[np.ndarray]  # per fold: indices of the data events its models trained on (incl. holdout)
    best_iterations: list[int]


def _fit_one(x, y, w, params: dict, rounds: int, rng: np.random.Generator) -> xgb.Booster:
    """One BDT: ``params`` as XGBClassifier's (n_estimators = maximum rounds), early stopping on a holdout."""
    params = dict(params)
    n_rounds = int(params.pop("n_estimators"))
    if "learning_rate" in params:
        params["eta"] = params.pop("learning_rate")
    holdout = rng.random(len(y)) < HOLDOUT
    train = xgb.DMatrix(x[~holdout], label=y[~holdout], weight=w[~holdout])
    valid = xgb.DMatrix(x[holdout], label=y[holdout], weight=w[holdout])
    return xgb.train({**params, "objective": "binary:logistic", "eval_metric": "logloss", "nthread": 1,
                      "seed": int(rng.integers(2**31))}, train, n_rounds, evals=[(valid, "holdout")],
                     early_stopping_rounds=rounds, verbose_eval=False)


def _predict(model: xgb.Booster, x: np.ndarray) -> np.ndarray:
    """Probability of 'data' from the best iteration of early stopping."""
    return model.predict(xgb.DMatrix(x), iteration_range=(0, model.best_iteration + 1))


def kfold_scores(x_data: np.ndarray, x_generated: np.ndarray, x_others: np.ndarray, folds: int, ensemble: int,
                 params: dict, early_stopping_rounds: int, seed: int) -> Scores:
    rng = np.random.default_rng(seed)
    data_fold = rng.permutation(len(x_data)) % folds
    gen_fold = rng.permutation(len(x_generated)) % folds
    other_fold = rng.integers(folds, size=len(x_others))
    scores, gen_scores = np.zeros(len(x_data)), np.zeros(len(x_generated))
    others = np.zeros(len(x_others))
    trained_on, best = [], []
    for k in range(folds):
        train_d, train_g = np.flatnonzero(data_fold != k), np.flatnonzero(gen_fold != k)
        x = np.concatenate([x_data[train_d], x_generated[train_g]])
        y = np.concatenate([np.ones(len(train_d)), np.zeros(len(train_g))])
        w = np.where(y == 1, 0.5 / len(train_d), 0.5 / len(train_g)) * len(y)
        fold_scores, fold_others = np.zeros(np.sum(data_fold == k)), np.zeros(np.sum(other_fold == k))
        for _ in range(ensemble):
            model = _fit_one(x, y, w, params, early_stopping_rounds, rng)
            best.append(int(model.best_iteration))
            fold_scores += _predict(model, x_data[data_fold == k]) / ensemble
            gen_scores[gen_fold == k] += _predict(model, x_generated[gen_fold == k]) / ensemble
            if len(fold_others):
                fold_others += _predict(model, x_others[other_fold == k]) / ensemble
        scores[data_fold == k] = fold_scores
        others[other_fold == k] = fold_others
        trained_on.append(train_d)
    return Scores(scores, gen_scores, others, data_fold, trained_on, best)


def auc(scores_pos: np.ndarray, scores_neg: np.ndarray) -> float:
    """Area under the ROC curve (probability a positive scores above a negative; ties count half)."""
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([scores_pos, scores_neg]))
    n_pos, n_neg = len(scores_pos), len(scores_neg)
    return float((ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
