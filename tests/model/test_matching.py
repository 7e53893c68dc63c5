import itertools

import numpy as np
import pytest
import torch

from evenet.model.heads.matching import hungarian_match


def brute_force_min_cost(cost: np.ndarray, targets: list[int]) -> float:
    """Minimum total cost over all injective maps targets -> predictions."""
    best = np.inf
    for queries in itertools.permutations(range(cost.shape[0]), len(targets)):
        best = min(best, sum(cost[q, m] for q, m in zip(queries, targets)))
    return best


def test_hungarian_equals_brute_force_on_random_batches():
    rng = np.random.default_rng(7)
    batch, num_queries, num_targets = 40, 5, 4
    cost = rng.normal(size=(batch, num_queries, num_targets))
    valid = rng.random((batch, num_targets)) < 0.7
    valid[0] = True
    valid[1] = False
    matched = hungarian_match(torch.tensor(cost), torch.tensor(valid)).numpy()
    for b in range(batch):
        targets = list(np.flatnonzero(valid[b]))
        assert (matched[b, ~valid[b]] == -1).all()
        queries = matched[b, targets]
        assert len(set(queries)) == len(queries) and (queries >= 0).all()
        total = sum(cost[b, q, m] for q, m in zip(queries, targets))
        assert total == pytest.approx(brute_force_min_cost(cost[b], targets), abs=1e-12)


def test_hungarian_known_assignment():
    # Query 2 is best for target 0, query 0 for target 1; greedy on target 0 first would agree,
    # but on target 1 the cheapest query (2) is taken by target 0 in the optimum.
    cost = torch.tensor([[[5.0, 1.0], [4.0, 9.0], [0.0, 0.5]]])
    matched = hungarian_match(cost, torch.tensor([[True, True]]))
    assert matched.tolist() == [[2, 0]]


def test_hungarian_rejects_more_targets_than_predictions():
    with pytest.raises(ValueError):
        hungarian_match(torch.zeros(1, 2, 3), torch.ones(1, 3, dtype=torch.bool))
