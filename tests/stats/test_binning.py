"""Score binning from config, the background floor per bin, and weighted templates."""

import numpy as np
import pytest

from evenet.errors import ConfigError
from evenet.stats.binning import ScoreBinning, fill_templates, merge_for_background


def test_equal_signal_efficiency_bins_hold_equal_signal():
    signal = np.arange(100) / 100  # 0.00 ... 0.99, unit weights
    background = np.linspace(0.0, 0.99, 1000)
    binning = ScoreBinning.from_config({"scheme": "equal_signal_efficiency", "bins": 4,
                                        "min_background_per_bin": 1e-9})
    templates = binning.templates(signal, background, None, None)
    assert templates.edges[0] == 0.0 and templates.edges[-1] == 0.99
    assert np.allclose(templates.edges[1:-1], [0.245, 0.495, 0.745])
    assert templates.signal.tolist() == [25, 25, 25, 25]
    assert templates.background.sum() == 1000


def test_equal_signal_efficiency_uses_the_weights():
    signal = np.array([0.1, 0.2, 0.3, 0.4])
    weights = np.array([3.0, 1.0, 1.0, 1.0])  # half the signal weight sits at 0.1
    templates = ScoreBinning(bins=2).templates(signal, [0.0, 0.35], weights, None)
    assert np.allclose(templates.edges, [0.0, 0.15, 0.4])
    assert templates.signal.tolist() == [3.0, 3.0]


def test_bins_merge_from_the_top_until_each_has_enough_background():
    edges = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    assert np.allclose(merge_for_background(edges, [50, 5, 0.5, 0.0], 1.0), [0.0, 0.25, 1.0])
    # short leftover at the bottom joins the lowest complete group
    assert np.allclose(merge_for_background(edges[:4], [0.5, 5, 5], 1.0), [0.0, 0.5, 0.75])
    # too little background overall: one bin
    assert np.allclose(merge_for_background(edges[:3], [0.2, 0.3], 1.0), [0.0, 0.5])
    assert np.allclose(merge_for_background(edges, [5, 5, 5, 5], 1.0), edges)


def test_templates_from_a_uniform_config_merge_empty_top_bins():
    rng = np.random.default_rng(0)
    background = rng.uniform(0.0, 0.6, 500)
    signal = rng.uniform(0.4, 1.0, 200)
    binning = ScoreBinning.from_config({"scheme": "uniform", "bins": 10, "range": [0, 1],
                                        "min_background_per_bin": 2.0})
    templates = binning.templates(signal, background, np.full(200, 0.1), np.full(500, 0.5))
    assert np.all(templates.background >= 2.0)
    assert templates.edges[-1] == 1.0 and templates.n_bins < 10
    assert templates.signal.sum() == pytest.approx(20.0) and templates.background.sum() == pytest.approx(250.0)
    assert np.allclose(templates.signal_sumw2, templates.signal * 0.1)


def test_fill_counts_overflow_in_the_end_bins_and_sums_squares():
    templates = fill_templates([0.0, 0.5, 1.0], [-0.2, 0.2, 0.7, 1.5], [0.9], [1.0, 2.0, 3.0, 4.0], [2.0])
    assert templates.signal.tolist() == [3.0, 7.0]
    assert templates.signal_sumw2.tolist() == [5.0, 25.0]
    assert templates.background.tolist() == [0.0, 2.0] and templates.background_sumw2.tolist() == [0.0, 4.0]
    assert templates.as_dict()["edges"] == [0.0, 0.5, 1.0]


def test_explicit_edges():
    binning = ScoreBinning.from_config({"edges": [0, 0.5, 0.9, 1]})
    assert binning.scheme == "edges" and binning.bins == 3
    templates = binning.templates([0.95], [0.1, 0.6, 0.95], None, [5.0, 5.0, 5.0])
    assert templates.background.tolist() == [5.0, 5.0, 5.0]


@pytest.mark.parametrize("config, key", [
    ({"scheme": "quantile"}, "binning.scheme"),
    ({"bins": 0}, "binning.bins"),
    ({"range": [1, 0], "scheme": "uniform"}, "binning.range"),
    ({"min_background_per_bin": 0}, "binning.min_background_per_bin"),
    ({"edges": [0, 0.5, 0.5]}, "binning.edges"),
    ({"edges": [0, 1], "bins": 3}, "either 'edges'"),
    ({"nbins": 3}, "unknown key"),
])
def test_bad_config_names_the_key(config, key):
    with pytest.raises(ConfigError, match=key):
        ScoreBinning.from_config(config)
