"""Cutflow counts and weights."""

import json

import numpy as np
import pytest

from evenet.selection.cutflow import Cutflow, merge_cutflows


def test_cumulative_counts_and_weights():
    flow = Cutflow(np.array([1.0, 2.0, 4.0, 8.0]))
    flow.apply("a", np.array([True, True, False, True]))
    flow.apply("b", np.array([False, True, True, True]))
    assert flow.to_list() == [
        {"cut": "all", "events": 4, "weighted": 15.0},
        {"cut": "a", "events": 3, "weighted": 11.0},
        {"cut": "b", "events": 2, "weighted": 10.0},
    ]
    json.dumps(flow.to_list())


def test_none_counts_as_fail():
    import awkward as ak

    flow = Cutflow(np.ones(3))
    flow.apply("c", ak.Array([True, None, True]))
    assert flow.to_list()[-1]["events"] == 2


def test_empty_chunk_gives_zeros():
    flow = Cutflow(np.zeros(0))
    flow.apply("a", np.zeros(0, dtype=bool))
    assert flow.to_list() == [{"cut": "all", "events": 0, "weighted": 0.0}, {"cut": "a", "events": 0, "weighted": 0.0}]


def test_merge_sums_chunks_and_refuses_different_cuts():
    one = [{"cut": "all", "events": 3, "weighted": 1.5}, {"cut": "x", "events": 1, "weighted": 0.5}]
    two = [{"cut": "all", "events": 2, "weighted": 2.0}, {"cut": "x", "events": 2, "weighted": 2.0}]
    assert merge_cutflows([one, two]) == [{"cut": "all", "events": 5, "weighted": 3.5}, {"cut": "x", "events": 3, "weighted": 2.5}]
    with pytest.raises(ValueError):
        merge_cutflows([one, [{"cut": "all", "events": 1, "weighted": 1.0}]])
